package catalog_test

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
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/catalog/openapi"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// Payment is the data of the example's events.
type Payment struct {
	ID       string            `json:"id" description:"The payment's id."`
	Amount   int64             `json:"amount" description:"In cents."`
	Currency string            `json:"currency" enum:"EUR,USD"`
	Method   *Card             `json:"card,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	PaidAt   time.Time         `json:"paid_at"`
}

// Card is nested in Payment.
type Card struct {
	Brand string `json:"brand"`
	Last4 string `json:"last4" pattern:"^[0-9]{4}$"`
}

var (
	PaymentSucceeded = catalog.Type[Payment]("payment.succeeded",
		catalog.Description("A payment went through."))
	PaymentRefunded = catalog.Type[Payment]("payment.refunded",
		catalog.Description("A payment was refunded."), catalog.Deprecated())
)

// A Go type's schema is derived by reflection.
func ExampleType() {
	var s struct {
		Required []string                   `json:"required"`
		Props    map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(PaymentSucceeded.Schema(), &s)
	fmt.Println("required:", s.Required)
	fmt.Println("currency:", string(s.Props["currency"]))
	fmt.Println("paid_at:", string(s.Props["paid_at"]))
	// Output:
	// required: [id amount currency paid_at]
	// currency: {"type":"string","enum":["EUR","USD"]}
	// paid_at: {"type":"string","format":"date-time"}
}

// Data is checked against the schema before it leaves the application.
func ExampleTypeOf_Encode() {
	_, err := PaymentSucceeded.Encode(Payment{ID: "pay_1", Amount: 500, Currency: "GBP"})
	for _, f := range hookd.ErrorFields(err) {
		fmt.Println(f.Pointer, f.Message)
	}
	// Output:
	// /data/currency value must be one of 'EUR', 'USD'
}

// An application documents the webhooks it sends, without hookd.
func ExampleCatalog_OpenAPI() {
	cat, err := catalog.New(catalog.Group("payments", PaymentSucceeded, PaymentRefunded))
	if err != nil {
		panic(err)
	}
	doc, err := cat.OpenAPI(openapi.Info{Title: "Acme webhooks", Version: "1.0.0"})
	if err != nil {
		panic(err)
	}
	var d struct {
		OpenAPI  string                                `json:"openapi"`
		Webhooks map[string]map[string]json.RawMessage `json:"webhooks"`
	}
	_ = json.Unmarshal(doc, &d)
	fmt.Println("openapi", d.OpenAPI)
	for _, name := range []string{"payment.refunded", "payment.succeeded"} {
		for method := range d.Webhooks[name] {
			fmt.Println(name, method)
		}
	}
	// Output:
	// openapi 3.1.0
	// payment.refunded post
	// payment.succeeded post
}

// A Go catalog registered with a hookd server: the server then refuses
// data that breaks the types' schemas, whoever publishes it.
func Example() {
	ctx := context.Background()
	apiURL, key, stop := exampleServer(ctx)
	defer stop()
	received := make(chan []byte, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- body
	}))
	defer receiver.Close()

	cat, err := catalog.New(catalog.Group("payments", PaymentSucceeded, PaymentRefunded))
	if err != nil {
		panic(err)
	}
	client := httpapi.NewClient(apiURL, key)
	if err := client.RegisterCatalog(ctx, cat); err != nil {
		panic(err)
	}
	if _, _, err := client.PutTenant(ctx, "acme", nil); err != nil {
		panic(err)
	}
	if _, err := client.CreateEndpoint(ctx, "acme", httpapi.EndpointInput{URL: receiver.URL}); err != nil {
		panic(err)
	}

	// Typed: the compiler checks the data's type, the schema its values.
	p := Payment{ID: "pay_1", Amount: 500, Currency: "EUR", PaidAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	if _, err := httpapi.Publish(ctx, client, "acme", PaymentSucceeded, p); err != nil {
		panic(err)
	}
	select {
	case body := <-received:
		got, _ := PaymentSucceeded.Decode(mustData(body))
		fmt.Println("received", got.ID, got.Amount, got.Currency)
	case <-time.After(10 * time.Second):
		fmt.Println("not received")
	}

	// Untyped data breaking the schema is refused by the server.
	_, err = client.Publish(ctx, "acme", "payment.succeeded", map[string]any{"id": "pay_2", "amount": "5"})
	var prob *httpapi.Problem
	if errors.As(err, &prob) {
		fmt.Println(prob.Status)
		for _, f := range prob.Errors {
			fmt.Println(f.Pointer, f.Message)
		}
	}
	// Output:
	// received pay_1 500 EUR
	// 422
	// /data/amount got string, want integer
	// /data/currency is required
	// /data/paid_at is required
}

// mustData returns the data of a delivery's body.
func mustData(body []byte) []byte {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		panic(err)
	}
	return env.Data
}

// exampleServer starts hookd over a new SQLite store, its engine checking
// publishes against the store's catalog, and returns its URL, an API key
// and a stop function.
func exampleServer(ctx context.Context) (url, key string, stop func()) {
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
