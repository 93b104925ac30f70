package delivery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// batchStore records the batches committed; the writer uses nothing else
// of hookd.Store.
type batchStore struct {
	hookd.Store
	mu      sync.Mutex
	batches []hookd.Batch
}

func (s *batchStore) Commit(_ context.Context, b *hookd.Batch) error {
	s.mu.Lock()
	s.batches = append(s.batches, *b)
	s.mu.Unlock()
	return nil
}

func (s *batchStore) committed() []hookd.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookd.Batch(nil), s.batches...)
}

// startTestWriter runs a writer whose results linger for linger, and
// returns a function that stops it and waits for its last commit.
func startTestWriter(t *testing.T, linger time.Duration) (*writer, *batchStore, func()) {
	t.Helper()
	st := &batchStore{}
	cfg := Config{ResultLinger: linger}.withDefaults()
	w := newWriter(st, &cfg, newMetrics(nil, func() float64 { return 0 }, func() float64 { return 0 }))
	stop := make(chan struct{})
	go w.run(stop)
	var once sync.Once
	end := func() { once.Do(func() { close(stop); <-w.stopped }) }
	t.Cleanup(end)
	return w, st, end
}

func testResult() *resultOp {
	return &resultOp{attempt: &hookd.Attempt{ID: hookd.NewID(hookd.PrefixAttempt)}}
}

func TestWriterPublishDoesNotWaitForLingeringResults(t *testing.T) {
	t.Parallel()
	w, st, end := startTestWriter(t, time.Hour) // results wait until the writer stops
	for range 3 {
		w.record(testResult())
	}
	ev := &hookd.EventWrite{Event: &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent)}}
	if err := w.submit(context.Background(), &writeOp{event: ev}, time.Second); err != nil {
		t.Fatal(err)
	}
	bs := st.committed()
	if len(bs) != 1 || len(bs[0].Events) != 1 || len(bs[0].Attempts) != 0 {
		t.Fatalf("the publish was not committed alone at once: %d batches", len(bs))
	}
	end() // stopping commits what lingers
	bs = st.committed()
	if len(bs) != 2 || len(bs[1].Attempts) != 3 {
		t.Fatalf("after stop: %d batches; want the three results in one more", len(bs))
	}
}

func TestWriterResultsShareACommit(t *testing.T) {
	t.Parallel()
	w, st, end := startTestWriter(t, time.Hour)
	for range 5 {
		w.record(testResult())
	}
	end()
	if bs := st.committed(); len(bs) != 1 || len(bs[0].Attempts) != 5 {
		t.Fatalf("%d batches; want the five results in one", len(bs))
	}
}

func TestWriterWithoutLingerCommitsResultsAtOnce(t *testing.T) {
	t.Parallel()
	w, st, _ := startTestWriter(t, -1)
	var done sync.WaitGroup
	done.Add(1)
	r := testResult()
	r.doneFunc = done.Done
	w.record(r)
	done.Wait() // with a linger of an hour this would only end at stop
	if bs := st.committed(); len(bs) != 1 || len(bs[0].Attempts) != 1 {
		t.Fatalf("%d batches, want the result in one", len(bs))
	}
}
