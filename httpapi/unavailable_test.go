package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/sqlite"
)

// TestPublishWhenDiskFull publishes into a SQLite database that fills up
// for real (max_page_count through MaxSize): once it is full, publishes
// and other writes answer 503 with Retry-After, never 500.
func TestPublishWhenDiskFull(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{sqlite: sqlite.Options{MaxSize: 2 << 20}})
	body := `{"type":"invoice.paid","data":{"d":"` + strings.Repeat("x", 32<<10) + `"}}`
	var r response
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("the database never filled up")
		}
		r = h.do("POST", "/v1/tenants/default/events", body)
		if r.status != http.StatusAccepted {
			break
		}
	}
	problem(t, r, http.StatusServiceUnavailable, hookd.EUNAVAILABLE)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	r = h.do("PUT", "/v1/tenants/t-"+strings.Repeat("n", 60), `{"metadata":{"d":"`+strings.Repeat("x", 64<<10)+`"}}`)
	problem(t, r, http.StatusServiceUnavailable, hookd.EUNAVAILABLE)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}
