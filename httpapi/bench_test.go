package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// committedEngine answers a publish as if its commit had just finished,
// so that the benchmark measures the handler alone: authentication,
// decoding, validation and the answer.
type committedEngine struct{ hookd.Engine }

func (committedEngine) Publish(_ context.Context, p *hookd.Publish) (*hookd.PublishResult, error) {
	now := time.Now()
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: p.TenantID, Type: p.Type, CreatedAt: now}
	ev.Payload, _ = hookd.RenderPayload(p.Type, now, p.Data)
	return &hookd.PublishResult{Event: ev, Deliveries: 1}, nil
}

func (e committedEngine) PublishBatch(ctx context.Context, ps []*hookd.Publish) ([]*hookd.PublishResult, error) {
	out := make([]*hookd.PublishResult, len(ps))
	for i, p := range ps {
		out[i], _ = e.Publish(ctx, p)
	}
	return out, nil
}

// BenchmarkPublishHandler runs POST /v1/tenants/{tenant}/events through
// the API's handler with a ~250-byte event, without the network and
// without the engine's commit.
func BenchmarkPublishHandler(b *testing.B) {
	benchHandler(b, "/v1/tenants/default/events", benchEvent)
}

// BenchmarkPublishBatchHandler is BenchmarkPublishHandler for a batch of
// 100 such events: ns/op is per request.
func BenchmarkPublishBatchHandler(b *testing.B) {
	events := bytes.Repeat(append(append([]byte(nil), benchEvent...), ','), 100)
	body := append(append([]byte(`{"events":[`), events[:len(events)-1]...), `]}`...)
	benchHandler(b, "/v1/tenants/default/events/batch", body)
}

var benchEvent = []byte(`{"type":"invoice.paid","data":{"id":"in_1NqQ2x2eZvKYlo2C","object":"invoice","amount_due":2000,` +
	`"currency":"usd","customer":"cus_9s6XKzkNRiz8i3","status":"paid","lines":[{"id":"il_1","amount":2000,` +
	`"description":"1 x Pro plan"}],"created":1700000000,"livemode":false}}`)

func benchHandler(b *testing.B, path string, body []byte) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "hookd.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	key, err := httpapi.EnsureAPIKey(ctx, st, "")
	if err != nil {
		b.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{Store: st, Engine: committedEngine{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		rd := bytes.NewReader(body)
		for pb.Next() {
			rd.Reset(body)
			r := httptest.NewRequest(http.MethodPost, path, rd)
			r.Header.Set("Authorization", "Bearer "+key)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
