package sqlite

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestWALStartsOverUnderLoad commits without pause while checkpoint rounds
// run: the WAL must start over again and again rather than grow with
// everything written.
func TestWALStartsOverUnderLoad(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.stopCheckpointsFunc() // the test runs the rounds itself
	<-s.checkpointsDone
	s.walReset = 64

	var stop atomic.Bool
	errc := make(chan error, 1)
	go func() {
		for !stop.Load() {
			ev := &hookd.Event{TenantID: hookd.DefaultTenant, Type: "invoice.paid", Payload: []byte(`{"a":1}`),
				Data: []byte(`1`), Method: "POST", ContentType: "application/json"}
			if err := s.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev}}}); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var written, peak int
	for written < 40*s.walReset {
		time.Sleep(20 * time.Millisecond)
		before, _, err := checkpoint(ctx, s.cdb)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.checkpointRound(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // a commit or two, which start the WAL over
		after, _, err := checkpoint(ctx, s.cdb)
		if err != nil {
			t.Fatal(err)
		}
		if after < before {
			written += before
		}
		peak = max(peak, after)
		if written == 0 && after > 100*s.walReset {
			break // never started over
		}
	}
	stop.Store(true)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if written < 40*s.walReset {
		t.Fatalf("the WAL grew to %d frames without starting over", peak)
	}
	t.Logf("%d frames written through a WAL that peaked at %d", written, peak)
}
