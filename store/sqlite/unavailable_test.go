package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// fillUp commits events of 16 KiB until the database refuses one, and
// returns that error. It fails the test after 10,000 events.
func fillUp(t *testing.T, s *Store) error {
	t.Helper()
	data := []byte(`"` + strings.Repeat("x", 16<<10) + `"`)
	for range 10000 {
		ev := &hookd.Event{TenantID: hookd.DefaultTenant, Type: "invoice.paid", Payload: data, Data: data,
			Method: "POST", ContentType: "application/json"}
		if err := s.Commit(context.Background(), &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev}}}); err != nil {
			return err
		}
	}
	t.Fatal("the database never filled up")
	return nil
}

// TestFullDatabaseIsUnavailable fills a database for real (max_page_count
// through Options.MaxSize) and checks that writes then fail with
// EUNAVAILABLE, never an internal error, that CheckWrite fails too, and
// that both recover once there is room again, with no restart.
func TestFullDatabaseIsUnavailable(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro())
	now := func() time.Time { return time.UnixMicro(clock.Load()) }
	s, err := Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), Options{NowFunc: now, MaxSize: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckWrite(ctx); err != nil {
		t.Fatalf("CheckWrite on a healthy store: %v", err)
	}
	err = fillUp(t, s)
	if hookd.ErrorCode(err) != hookd.EUNAVAILABLE || !strings.Contains(hookd.ErrorMessage(err), "full") {
		t.Fatalf("commit to a full database: %v (code %q), want EUNAVAILABLE", err, hookd.ErrorCode(err))
	}
	err = s.PutSource(ctx, &hookd.Source{ID: "src", Spec: []byte(`{"description":"` + strings.Repeat("d", 64<<10) + `"}`)})
	if hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
		t.Fatalf("PutSource on a full database: %v, want EUNAVAILABLE", err)
	}
	if err := s.CheckWrite(ctx); hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
		t.Fatalf("CheckWrite on a full database: %v, want EUNAVAILABLE", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("reads still work: %v", err)
	}

	// Room again (the operator freed space): the probe succeeds, but a
	// write failed less than failureMemory ago, so the store is not
	// ready yet; once that has passed, it is.
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWrite(ctx); hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
		t.Fatalf("CheckWrite right after failures: %v, want EUNAVAILABLE", err)
	}
	clock.Add(failureMemory.Microseconds())
	if err := s.CheckWrite(ctx); err != nil {
		t.Fatalf("CheckWrite after recovery: %v", err)
	}
	ev := &hookd.Event{TenantID: hookd.DefaultTenant, Type: "invoice.paid", Payload: []byte(`1`), Data: []byte(`1`),
		Method: "POST", ContentType: "application/json"}
	if err := s.Commit(ctx, &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev}}}); err != nil {
		t.Fatalf("commit after recovery: %v", err)
	}
}

// TestUnavailableKeepsOtherErrors checks that only lack of space and I/O
// errors become EUNAVAILABLE.
func TestUnavailableKeepsOtherErrors(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := &hookd.Source{ID: "a"}
	if err := s.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSource(ctx, src); hookd.ErrorCode(err) != hookd.ECONFLICT {
		t.Fatalf("duplicate: %v, want ECONFLICT", err)
	}
	if unavailable(nil) != nil {
		t.Fatal("unavailable(nil) != nil")
	}
}
