package bulkretry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/bulkretry"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
)

// requeuer re-queues through the store like the engine does, and records
// every delivery it re-queued. stopAfter, when above 0, cancels the run's
// context after that many batches: the node dies mid-run.
type requeuer struct {
	store     hookd.Store
	owner     string
	stopAfter int
	cancel    context.CancelFunc
	fail      error

	mu      sync.Mutex
	batches int
	got     []string
}

func (r *requeuer) RequeueBatch(ctx context.Context, f hookd.RequeueFilter) (int, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, "", r.fail
	}
	if r.stopAfter > 0 && r.batches == r.stopAfter {
		r.cancel()
		return 0, "", ctx.Err()
	}
	r.batches++
	now := time.Now()
	cl, err := r.store.Requeue(ctx, f, r.owner, now, now.Add(time.Minute))
	if err != nil {
		return 0, "", err
	}
	lowest := ""
	for _, c := range cl {
		r.got = append(r.got, c.Delivery.ID)
		if lowest == "" || c.Delivery.ID < lowest {
			lowest = c.Delivery.ID
		}
	}
	return len(cl), lowest, nil
}

// backend opens the store of one node; every call for one test reaches
// the same database.
type backend func(t *testing.T) hookd.Store

// backends are SQLite (one process: every node gets the same store) and,
// when HOOKD_TEST_POSTGRES_URL is set, PostgreSQL (a store per node on one
// schema).
func backends(t *testing.T) map[string]func(t *testing.T) backend {
	out := map[string]func(t *testing.T) backend{"sqlite": func(t *testing.T) backend {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hookd.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return func(*testing.T) hookd.Store { return st }
	}}
	if os.Getenv(pgtest.URLEnv) == "" {
		return out
	}
	out["postgres"] = func(t *testing.T) backend {
		dsn := pgtest.Schema(t)
		// Every node of one database shares the master key.
		key, err := secrets.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		cipher, err := secrets.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		return func(t *testing.T) hookd.Store {
			st, err := postgres.Open(context.Background(), dsn, postgres.Options{Cipher: cipher})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		}
	}
	return out
}

// deadDeliveries stores n dead deliveries and a succeeded one.
func deadDeliveries(t *testing.T, st hookd.Store, n int) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	payload, start := hookd.RenderPayload("a.one", now, []byte(`{}`))
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "a.one",
		Payload: payload, Data: payload[start : start+2], CreatedAt: now}
	w := &hookd.EventWrite{Event: ev}
	var ids []string
	for i := range n + 1 {
		d := &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: fmt.Sprintf("ep_%d", i),
			TenantID: hookd.DefaultTenant, Status: hookd.StatusDead, Attempts: 8, CreatedAt: now, UpdatedAt: now}
		if i == n {
			d.Status = hookd.StatusSucceeded
		} else {
			ids = append(ids, d.ID)
		}
		w.Deliveries = append(w.Deliveries, d)
	}
	if err := st.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{w}}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func newJob(t *testing.T, st hookd.Store, total int64) *hookd.RetryJob {
	t.Helper()
	j := &hookd.RetryJob{TenantID: hookd.DefaultTenant, Total: total, Filter: hookd.RequeueFilter{
		TenantID: hookd.DefaultTenant, Statuses: []string{hookd.StatusDead}, Until: time.Now().Add(time.Second)}}
	if err := st.CreateRetryJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestResumeAfterNodeDies: node a dies after two batches; once its lease
// lapses node b resumes from the saved cursor, and every delivery is
// re-queued exactly once.
func TestResumeAfterNodeDies(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			node := open(t)
			testResume(t, node(t), node(t))
		})
	}
}

func testResume(t *testing.T, stA, stB hookd.Store) {
	ids := deadDeliveries(t, stA, 7)
	slices.Sort(ids)
	job := newJob(t, stA, 7)
	now := time.Now()
	clock := func() time.Time { return now }

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	ra := &requeuer{store: stA, owner: "a", stopAfter: 2, cancel: cancelA}
	a := bulkretry.New(bulkretry.Config{Store: stA, Engine: ra, NodeID: "a", BatchSize: 3, NowFunc: clock})
	if !a.RunOnce(ctxA) {
		t.Fatal("a found no job")
	}
	mid, err := stB.GetRetryJob(context.Background(), hookd.DefaultTenant, job.ID)
	if err != nil || mid.Status != hookd.RetryJobRunning || mid.Queued != 6 || mid.LeaseOwner != "a" {
		t.Fatalf("after a died: %+v, %v", mid, err)
	}

	rb := &requeuer{store: stB, owner: "b"}
	b := bulkretry.New(bulkretry.Config{Store: stB, Engine: rb, NodeID: "b", BatchSize: 3, NowFunc: clock})
	if b.RunOnce(context.Background()) {
		t.Fatal("b took a job whose lease is live")
	}
	now = now.Add(bulkretry.DefaultLease + time.Second)
	if !b.RunOnce(context.Background()) {
		t.Fatal("b did not resume the job once the lease lapsed")
	}
	done, err := stA.GetRetryJob(context.Background(), hookd.DefaultTenant, job.ID)
	if err != nil || done.Status != hookd.RetryJobSucceeded || done.Queued != 7 || done.FinishedAt.IsZero() {
		t.Fatalf("after b: %+v, %v", done, err)
	}
	all := append(slices.Clone(ra.got), rb.got...)
	slices.Sort(all)
	if !slices.Equal(all, ids) || len(rb.got) != 1 {
		t.Fatalf("re-queued %v (b: %v), want each of %v once", all, rb.got, ids)
	}
}

func TestFailedBatchEndsTheJob(t *testing.T) {
	t.Parallel()
	st := backends(t)["sqlite"](t)(t)
	deadDeliveries(t, st, 2)
	job := newJob(t, st, 2)
	r := bulkretry.New(bulkretry.Config{Store: st, Engine: &requeuer{store: st, fail: errors.New("store is read-only")}, NodeID: "a"})
	if !r.RunOnce(context.Background()) {
		t.Fatal("no job")
	}
	got, err := st.GetRetryJob(context.Background(), hookd.DefaultTenant, job.ID)
	if err != nil || got.Status != hookd.RetryJobFailed || got.Error != "store is read-only" || got.FinishedAt.IsZero() {
		t.Fatalf("job = %+v, %v", got, err)
	}
}

// TestLoopRunsWokenJobs checks Start, Wake and Close together.
func TestLoopRunsWokenJobs(t *testing.T) {
	t.Parallel()
	st := backends(t)["sqlite"](t)(t)
	deadDeliveries(t, st, 4)
	rq := &requeuer{store: st, owner: "a"}
	r := bulkretry.New(bulkretry.Config{Store: st, Engine: rq, NodeID: "a", PollInterval: time.Hour})
	r.Start(context.Background())
	defer r.Close()
	job := newJob(t, st, 4)
	r.Wake()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := st.GetRetryJob(context.Background(), hookd.DefaultTenant, job.ID)
		if err == nil && got.Status == hookd.RetryJobSucceeded && got.Queued == 4 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job = %+v, %v", got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
