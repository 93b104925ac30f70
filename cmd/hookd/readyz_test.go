package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/sqlite"
)

// TestReadyzWhenDiskFull fills a SQLite database for real (MaxSize, that
// is max_page_count) and checks that GET /readyz answers 503 with
// Retry-After while the store cannot write, though it still answers
// pings, then recovers by itself once space is freed, with at most one
// write check per second.
func TestReadyzWhenDiskFull(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro())
	now := func() time.Time { return time.UnixMicro(clock.Load()) }
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookd.db"), sqlite.Options{NowFunc: now, MaxSize: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := testHandler(handlerOptions{Store: st, NowFunc: now})
	if rec := serveRequest(h, http.MethodGet, "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("healthy store: %d %s", rec.Code, rec.Body)
	}

	big := `{"d":"` + strings.Repeat("x", 32<<10) + `"}`
	var ids []string
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("the database never filled up")
		}
		id := fmt.Sprintf("s%d", i)
		err := st.PutSource(ctx, &hookd.Source{ID: id, Spec: []byte(big)})
		if err != nil {
			if hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
				t.Fatalf("write to a full database: %v, want EUNAVAILABLE", err)
			}
			break
		}
		ids = append(ids, id)
	}
	// The last check is less than a second old: its result stands.
	if rec := serveRequest(h, http.MethodGet, "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("within the check interval: %d, want the cached 200", rec.Code)
	}
	clock.Add(writeCheckInterval.Microseconds())
	rec := serveRequest(h, http.MethodGet, "/readyz", nil)
	checkProblem(t, rec, http.StatusServiceUnavailable, hookd.EUNAVAILABLE)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("the store still answers pings: %v", err)
	}

	for _, id := range ids {
		if err := st.DeleteSource(ctx, id); err != nil {
			t.Fatalf("free space: %v", err)
		}
	}
	deadline := now().Add(time.Minute)
	for {
		clock.Add(writeCheckInterval.Microseconds())
		if rec := serveRequest(h, http.MethodGet, "/readyz", nil); rec.Code == http.StatusOK {
			break
		}
		if now().After(deadline) {
			t.Fatal("/readyz did not recover after space was freed")
		}
	}
}
