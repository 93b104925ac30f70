package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// exampleServer starts hookd over a new SQLite store, with a delivery engine
// allowed to reach loopback, and returns its URL, an API key and a stop
// function.
func exampleServer(ctx context.Context) (url, key string, stop func()) {
	dir, err := os.MkdirTemp("", "hookd-example")
	if err != nil {
		panic(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), sqlite.Options{})
	if err != nil {
		panic(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	loopback := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	engine := delivery.New(store, delivery.Config{Guard: loopback, Logger: quiet})
	if err := engine.Start(ctx); err != nil {
		panic(err)
	}
	key, err = httpapi.EnsureAPIKey(ctx, store, "") // a new store: a new key
	if err != nil {
		panic(err)
	}
	api := httptest.NewServer(httpapi.New(httpapi.Config{Store: store, Engine: engine, Logger: quiet}).Handler())
	return api.URL, key, func() {
		api.Close()
		_ = engine.Close(ctx)
		_ = store.Close()
		_ = os.RemoveAll(dir)
	}
}

// The client against a real server: create a tenant and an endpoint,
// publish an event, and see it arrive.
func ExampleClient() {
	ctx := context.Background()
	apiURL, key, stop := exampleServer(ctx)
	defer stop()

	received := make(chan []byte, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- body
	}))
	defer receiver.Close()

	client := httpapi.NewClient(apiURL, key)
	if _, _, err := client.PutTenant(ctx, "acme", nil); err != nil {
		panic(err)
	}
	ep, err := client.CreateEndpoint(ctx, "acme", httpapi.EndpointInput{URL: receiver.URL, EventTypes: []string{"invoice.*"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("secret shown once:", strings.HasPrefix(ep.Secret, "whsec_"))

	ev, err := client.Publish(ctx, "acme", "invoice.paid", map[string]any{"amount": 42}, httpapi.WithIdempotencyKey("invoice-42"))
	if err != nil {
		panic(err)
	}
	fmt.Println("published", ev.Type, string(ev.Data))

	select {
	case body := <-received:
		var msg struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(body, &msg)
		fmt.Println("received", msg.Type, string(msg.Data))
	case <-time.After(10 * time.Second):
		fmt.Println("not received")
	}

	_, err = client.GetTenant(ctx, "nope")
	var p *httpapi.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.Code)
	}
	// Output:
	// secret shown once: true
	// published invoice.paid {"amount":42}
	// received invoice.paid {"amount":42}
	// 404 not_found
}

// Publish several events in one request, all or none: each event's ID is
// its idempotency key, so a repeat comes back as a duplicate, and a
// refused batch lists every event's errors.
func ExampleClient_PublishBatch() {
	ctx := context.Background()
	apiURL, key, stop := exampleServer(ctx)
	defer stop()
	client := httpapi.NewClient(apiURL, key)

	events := []httpapi.PublishInput{
		{Type: "invoice.paid", Data: json.RawMessage(`{"amount":42}`), ID: "invoice-42"},
		{Type: "invoice.paid", Data: json.RawMessage(`{"amount":43}`), ID: "invoice-43"},
	}
	first, err := client.PublishBatch(ctx, "default", events)
	if err != nil {
		panic(err)
	}
	again, err := client.PublishBatch(ctx, "default", events[1:])
	if err != nil {
		panic(err)
	}
	fmt.Println(first[0].Status, first[1].Status, again[0].Status, again[0].ID == first[1].ID)

	_, err = client.PublishBatch(ctx, "default", []httpapi.PublishInput{events[0], {Type: "invoice paid", Data: json.RawMessage(`{}`)}})
	var p *httpapi.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.Errors[0].Pointer)
	}
	// Output:
	// created created duplicate true
	// 422 /events/1/type
}
