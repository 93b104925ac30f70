package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/store/sqlite"
)

// commitLog is a store that records the events of every commit, and may
// run a hook before each.
type commitLog struct {
	hookd.Store
	before  func(b *hookd.Batch)
	mu      sync.Mutex
	commits [][]string // the event ids of each commit that carried events
}

func (c *commitLog) Commit(ctx context.Context, b *hookd.Batch) error {
	if c.before != nil {
		c.before(b)
	}
	var ids []string
	for _, ew := range b.Events {
		ids = append(ids, ew.Event.ID)
	}
	err := c.Store.Commit(ctx, b)
	if err == nil && len(ids) > 0 {
		c.mu.Lock()
		c.commits = append(c.commits, ids)
		c.mu.Unlock()
	}
	return err
}

// carrying returns the commits that carried any of ids.
func (c *commitLog) carrying(ids []string) [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]string
	for _, cm := range c.commits {
		if slices.ContainsFunc(cm, func(id string) bool { return slices.Contains(ids, id) }) {
			out = append(out, cm)
		}
	}
	return out
}

// newLoggedEnv is newEnv over a commitLog.
func newLoggedEnv(t *testing.T, cfg delivery.Config) (*env, *commitLog) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/hookd.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := &commitLog{Store: st}
	cfg.Guard = egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	cfg.Client = &http.Client{Transport: egress.NewTransport(cfg.Guard, egress.TransportOptions{})}
	eng := delivery.New(log, cfg)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	return &env{t: t, store: st, engine: eng}, log
}

func batchOf(n int, key func(i int) string) []*hookd.Publish {
	ps := make([]*hookd.Publish, n)
	for i := range ps {
		ps[i] = &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
			Data: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))}
		if key != nil {
			ps[i].IdempotencyKey = key(i)
		}
	}
	return ps
}

func countEvents(t *testing.T, st hookd.Store) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		es, next, err := st.ListEvents(context.Background(), hookd.EventFilter{TenantID: hookd.DefaultTenant,
			Page: hookd.Page{Limit: hookd.MaxPageLimit, Cursor: cursor}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(es)
		if next == "" {
			return n
		}
		cursor = next
	}
}

func TestPublishBatchOneCommit(t *testing.T) {
	t.Parallel()
	e, log := newLoggedEnv(t, delivery.Config{})
	rc := newReceiver(t, nil)
	e.endpoint(rc.URL, nil)
	ctx := context.Background()
	ps := batchOf(hookd.MaxPublishBatch, func(i int) string {
		if i%10 == 0 {
			return fmt.Sprintf("order-%d", i)
		}
		return ""
	})
	res, err := e.engine.PublishBatch(ctx, ps)
	if err != nil || len(res) != len(ps) {
		t.Fatalf("PublishBatch = %d results, %v", len(res), err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		if r.Duplicate || r.Deliveries != 1 || r.Event.IdempotencyKey != ps[i].IdempotencyKey {
			t.Fatalf("result %d = %+v", i, r)
		}
		ids[i] = r.Event.ID
	}
	commits := log.carrying(ids)
	if len(commits) != 1 || len(commits[0]) != len(ps) {
		t.Fatalf("the batch went in %d commits (sizes %v), want one of %d", len(commits), lens(commits), len(ps))
	}
	for _, i := range []int{0, 1, 499, 999} {
		ev, err := e.store.GetEvent(ctx, hookd.DefaultTenant, ids[i])
		if err != nil || string(ev.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("event %d = %+v, %v: out of order", i, ev, err)
		}
	}
	waitFor(t, 30*time.Second, func() bool { return rc.count.Load() >= int64(len(ps)) })
}

func lens(cs [][]string) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = len(c)
	}
	return out
}

// checkAmount is a catalog that knows order.created (any data) and
// invoice.paid (an integer amount).
func checkAmount(_ context.Context, typ string, data []byte) (string, error) {
	switch typ {
	case "order.created":
		return "", nil
	case "invoice.paid":
		var v struct{ Amount any }
		if json.Unmarshal(data, &v) == nil {
			if _, ok := v.Amount.(float64); ok {
				return "", nil
			}
		}
		return "", hookd.Invalid("invalid data", hookd.FieldError{Pointer: "/data/amount", Message: "must be an integer"})
	}
	return "", hookd.Invalid("unknown event type", hookd.FieldError{Pointer: "/type", Message: "is not in the catalog"})
}

func TestPublishBatchAllOrNothing(t *testing.T) {
	t.Parallel()
	e, log := newLoggedEnv(t, delivery.Config{CheckFunc: checkAmount})
	ctx := context.Background()
	if _, err := e.engine.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
		Data: json.RawMessage(`{"n":0}`), IdempotencyKey: "taken"}); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, e.store)
	ps := batchOf(8, nil)
	ps[1].Type = "no.such"
	ps[2].Type, ps[2].Data = "invoice.paid", json.RawMessage(`{"amount":"x"}`)
	ps[3].IdempotencyKey = "bad key"
	ps[4].Type = "a..b"
	ps[5].Data = json.RawMessage(`{`)
	ps[6].IdempotencyKey, ps[7].IdempotencyKey = "same", "same" // with different data
	ps = append(ps, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
		Data: json.RawMessage(`{"n":1}`), IdempotencyKey: "taken"}) // taken with other data
	_, err := e.engine.PublishBatch(ctx, ps)
	if hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("err = %v, want %s", err, hookd.EINVALID)
	}
	var got []string
	for _, f := range hookd.ErrorFields(err) {
		got = append(got, f.Pointer)
	}
	want := []string{"/1/type", "/2/data/amount", "/3/id", "/4/type", "/5/data", "/7/id"}
	if !slices.Equal(got, want) {
		t.Fatalf("pointers = %v, want %v", got, want)
	}
	// The stored key's mismatch is found once the batch is otherwise valid.
	_, err = e.engine.PublishBatch(ctx, ps[8:])
	if fe := hookd.ErrorFields(err); hookd.ErrorCode(err) != hookd.EINVALID || len(fe) != 1 || fe[0].Pointer != "/0/id" {
		t.Fatalf("stored key with other data: %v", err)
	}
	for _, n := range []int{0, hookd.MaxPublishBatch + 1} {
		if _, err := e.engine.PublishBatch(ctx, batchOf(n, nil)); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("%d events: %v, want %s", n, err, hookd.EINVALID)
		}
	}
	other := batchOf(2, nil)
	other[1].TenantID = "nobody"
	if _, err := e.engine.PublishBatch(ctx, other); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("unknown tenant: %v, want %s", err, hookd.ENOTFOUND)
	}
	if n := countEvents(t, e.store); n != before {
		t.Fatalf("%d events stored by refused batches", n-before)
	}
	if n := len(log.commits); n != 1 {
		t.Fatalf("%d commits with events, want only the first publish's", n)
	}
}

func TestPublishBatchDuplicates(t *testing.T) {
	t.Parallel()
	e, log := newLoggedEnv(t, delivery.Config{})
	ctx := context.Background()
	first, err := e.engine.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
		Data: json.RawMessage(`{"n": 0}`), IdempotencyKey: "k0"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"k0", "k1", "", "k1", "k0", ""}
	ps := batchOf(len(keys), func(i int) string { return keys[i] })
	ps[3].Data, ps[4].Data = ps[1].Data, ps[0].Data // the same requests again
	res, err := e.engine.PublishBatch(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	dup := []bool{true, false, false, true, true, false}
	for i, r := range res {
		if r.Duplicate != dup[i] {
			t.Errorf("event %d: duplicate = %v, want %v", i, r.Duplicate, dup[i])
		}
	}
	if res[0].Event.ID != first.Event.ID || res[4].Event.ID != first.Event.ID || res[3].Event.ID != res[1].Event.ID {
		t.Fatalf("duplicates do not answer the first events: %s %s %s %s %s", first.Event.ID,
			res[0].Event.ID, res[4].Event.ID, res[1].Event.ID, res[3].Event.ID)
	}
	if res[2].Event.ID == res[5].Event.ID {
		t.Fatal("two events without a key got the same id")
	}
	if c := log.carrying([]string{res[1].Event.ID}); len(c) != 1 || len(c[0]) != 3 {
		t.Fatalf("the new events went in commits of sizes %v, want one of 3", lens(c))
	}
	if n := countEvents(t, e.store); n != 4 {
		t.Fatalf("%d events stored, want 4", n)
	}
	again, err := e.engine.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
		Data: ps[1].Data, IdempotencyKey: "k1"})
	if err != nil || !again.Duplicate || again.Event.ID != res[1].Event.ID {
		t.Fatalf("single publish of a batch's key = %+v, %v", again, err)
	}
}

func TestPublishBatchKeyBeingCommitted(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e, log := newLoggedEnv(t, delivery.Config{})
	log.before = func(b *hookd.Batch) {
		for _, ew := range b.Events {
			if ew.Event.IdempotencyKey == "slow" {
				once.Do(func() { close(entered) })
				<-release
			}
		}
	}
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := e.engine.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
			Data: json.RawMessage(`{}`), IdempotencyKey: "slow"})
		done <- err
	}()
	<-entered
	_, err := e.engine.PublishBatch(ctx, batchOf(3, func(i int) string { return []string{"a", "slow", "b"}[i] }))
	close(release)
	if hookd.ErrorCode(err) != hookd.ECONFLICT {
		t.Fatalf("err = %v, want %s", err, hookd.ECONFLICT)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, e.store); n != 1 {
		t.Fatalf("%d events stored, want the single publish's alone", n)
	}
	// The keys the refused batch reserved are free again.
	res, err := e.engine.PublishBatch(ctx, batchOf(2, func(i int) string { return []string{"a", "b"}[i] }))
	if err != nil || res[0].Duplicate || res[1].Duplicate {
		t.Fatalf("retry = %v, %v", res, err)
	}
}

// TestPublishBatchKeyTakenMeanwhile: another node takes a key between the
// batch's checks and its commit; that event answers the other node's, the
// rest is stored. When the other node's request differs, the event is
// invalid at its /id instead, never someone else's event.
func TestPublishBatchKeyTakenMeanwhile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, theirData string
		same            bool
	}{{"same request", `{"n":1}`, true}, {"another request", `{"n":99}`, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, theirs, res, err := publishBatchRacing(t, tc.theirData)
			if theirs == nil {
				t.Fatal("the other node published nothing")
			}
			if tc.same && (err != nil || !res[1].Duplicate || res[1].Event.ID != theirs.Event.ID || res[0].Duplicate || res[2].Duplicate) {
				t.Fatalf("PublishBatch = %v, %v; want the middle one the other node's %s", res, err, theirs.Event.ID)
			}
			if fe := hookd.ErrorFields(err); !tc.same && (hookd.ErrorCode(err) != hookd.EINVALID || len(fe) != 1 || fe[0].Pointer != "/1/id") {
				t.Fatalf("PublishBatch = %v, %v; want invalid at /1/id (/events/1/id through the API)", res, err)
			}
			if n := countEvents(t, e.store); n != 3 {
				t.Fatalf("%d events stored, want 3 (two of the batch, one of the other node)", n)
			}
		})
	}
}

// publishBatchRacing publishes a batch of three whose middle event's key
// another node takes, with theirData, just before the batch commits.
func publishBatchRacing(t *testing.T, theirData string) (*env, *hookd.PublishResult, []*hookd.PublishResult, error) {
	e, log := newLoggedEnv(t, delivery.Config{})
	other := delivery.New(e.store, delivery.Config{NodeID: "other"})
	ctx := context.Background()
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close(context.Background()) })
	var theirs *hookd.PublishResult
	var once sync.Once
	log.before = func(b *hookd.Batch) {
		if len(b.Events) == 3 {
			once.Do(func() {
				var err error
				theirs, err = other.Publish(ctx, &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "order.created",
					Data: json.RawMessage(theirData), IdempotencyKey: "race"})
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
	res, err := e.engine.PublishBatch(ctx, batchOf(3, func(i int) string { return []string{"", "race", ""}[i] }))
	return e, theirs, res, err
}

// TestPublishBatchBeyondRoom: a node without room for a batch's deliveries
// leases no more of them to a healthy endpoint than one publish would; the
// others are stored for the claimer, and every event still arrives.
func TestPublishBatchBeyondRoom(t *testing.T) {
	t.Parallel()
	e, log := newLoggedEnv(t, delivery.Config{MaxHeld: 1})
	rc := newReceiver(t, nil)
	e.endpoint(rc.URL, nil)
	var leased atomic.Int64
	log.before = func(b *hookd.Batch) {
		if len(b.Events) != 50 {
			return
		}
		for _, ew := range b.Events {
			for _, d := range ew.Deliveries {
				if d.LeaseOwner != "" {
					leased.Add(1)
				}
			}
		}
	}
	res, err := e.engine.PublishBatch(context.Background(), batchOf(50, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := leased.Load(); n != 2 {
		t.Fatalf("%d of 50 deliveries leased at publish, want 2: one within the room, one beyond it for the healthy lane", n)
	}
	if len(res) != 50 {
		t.Fatalf("%d results", len(res))
	}
	waitFor(t, 30*time.Second, func() bool { return rc.count.Load() >= 50 })
}
