package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// Signup is the data of user.signed_up events.
type Signup struct {
	UserID string `json:"user_id"`
	Email  string `json:"email" format:"email"`
	Plan   string `json:"plan" enum:"free,pro"`
}

var UserSignedUp = catalog.Type[Signup]("user.signed_up", catalog.Description("A user signed up."))

// Publish sends typed data: the compiler checks its Go type, and the
// catalog type's schema its values before any request is made.
func ExamplePublish() {
	ctx := context.Background()
	apiURL, key, stop := catalogServer(ctx)
	defer stop()
	client := httpapi.NewClient(apiURL, key)
	if _, _, err := client.PutTenant(ctx, "acme", nil); err != nil {
		panic(err)
	}

	ev, err := httpapi.Publish(ctx, client, "acme", UserSignedUp, Signup{UserID: "u_1", Email: "ada@example.com", Plan: "pro"})
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Type, string(ev.Data))

	_, err = httpapi.Publish(ctx, client, "acme", UserSignedUp, Signup{UserID: "u_2", Email: "not an email", Plan: "gold"})
	fmt.Println(hookd.ErrorCode(err))
	for _, f := range hookd.ErrorFields(err) {
		fmt.Println(f.Pointer)
	}
	// Output:
	// user.signed_up {"user_id":"u_1","email":"ada@example.com","plan":"pro"}
	// invalid
	// /data/email
	// /data/plan
}

// RegisterCatalog puts a Go catalog's event types on the server, which
// then validates every publish against them.
func ExampleClient_RegisterCatalog() {
	ctx := context.Background()
	apiURL, key, stop := catalogServer(ctx)
	defer stop()
	client := httpapi.NewClient(apiURL, key)

	cat, err := catalog.New(catalog.Group("users", UserSignedUp))
	if err != nil {
		panic(err)
	}
	if err := client.RegisterCatalog(ctx, cat); err != nil {
		panic(err)
	}
	et, err := client.GetEventType(ctx, "user.signed_up")
	if err != nil {
		panic(err)
	}
	fmt.Println(et.Name, et.Group, et.Method)

	if _, _, err := client.PutTenant(ctx, "acme", nil); err != nil {
		panic(err)
	}
	_, err = client.Publish(ctx, "acme", "user.signed_up", map[string]string{"user_id": "u_3"})
	var p *httpapi.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, len(p.Errors), "violations")
	}
	// Output:
	// user.signed_up users POST
	// 422 2 violations
}

// catalogServer starts hookd over a new SQLite store with a delivery
// engine that checks publishes against the store's event catalog, and
// returns its URL, an API key and a stop function.
func catalogServer(ctx context.Context) (url, key string, stop func()) {
	dir, err := os.MkdirTemp("", "hookd-example")
	if err != nil {
		panic(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), sqlite.Options{})
	if err != nil {
		panic(err)
	}
	cat, err := catalog.Open(ctx, store)
	if err != nil {
		panic(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	loopback := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	engine := delivery.New(store, delivery.Config{Guard: loopback, Logger: quiet, CheckFunc: cat.Check})
	if err := engine.Start(ctx); err != nil {
		panic(err)
	}
	key, err = httpapi.EnsureAPIKey(ctx, store, "")
	if err != nil {
		panic(err)
	}
	api := httptest.NewServer(httpapi.New(httpapi.Config{Store: store, Engine: engine, Logger: quiet, Catalog: cat}).Handler())
	return api.URL, key, func() {
		api.Close()
		_ = engine.Close(ctx)
		_ = store.Close()
		_ = os.RemoveAll(dir)
	}
}
