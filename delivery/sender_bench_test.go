package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/signature"
)

// BenchmarkSend measures one attempt: the request built and signed with
// Standard Webhooks, sent through the SSRF-guarded transport to a
// loopback receiver, and the answer read.
func BenchmarkSend(b *testing.B) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(rc.Close)
	guard := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	cfg := Config{Guard: guard, Client: &http.Client{Transport: egress.NewTransport(guard, egress.TransportOptions{})}}.withDefaults()
	s := &sender{client: cfg.Client, userAgent: cfg.UserAgent, nowFunc: time.Now}
	secret, err := signature.GenerateSecret()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tg := newTarget(&hookd.Endpoint{ID: hookd.NewID(hookd.PrefixEndpoint), TenantID: hookd.DefaultTenant,
		URL: rc.URL + "/hook", Enabled: true, Secrets: []hookd.Secret{{Value: secret, CreatedAt: now}}}, &cfg)
	ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "invoice.paid",
		CreatedAt: now, Method: http.MethodPost, ContentType: "application/json"}
	ev.Payload, _ = hookd.RenderPayload(ev.Type, now, []byte(`{"id":"in_1NqQ2x2eZvKYlo2C","object":"invoice",`+
		`"amount_due":2000,"currency":"usd","customer":"cus_9s6XKzkNRiz8i3","status":"paid","created":1700000000}`))
	t := &task{dlv: &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: tg.ep.ID,
		TenantID: ev.TenantID}, ev: ev}
	b.ReportAllocs()
	for b.Loop() {
		if r := s.send(context.Background(), t, tg); r.attempt.ResponseStatus != http.StatusNoContent {
			b.Fatalf("attempt: %d %s", r.attempt.ResponseStatus, r.attempt.Error)
		}
	}
}
