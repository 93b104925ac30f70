package receive_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/hookd/hookd/receive"
)

// A GitHub webhook receiver in a plain net/http server: the preset checks
// X-Hub-Signature-256 over the exact body, and the handler decodes the
// body into its own type.
func ExampleHandler_github() {
	src, err := receive.New("github", &receive.Spec{
		Verify: []receive.Verify{{Provider: "github", Secret: "It's a Secret to Everybody"}},
	}, receive.Options{})
	if err != nil {
		panic(err)
	}
	type push struct {
		Ref        string `json:"ref"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/github", receive.Handler(src, func(ctx context.Context, m *receive.Message) error {
		ev, err := receive.Decode[push](m)
		if err != nil {
			return err // a 400
		}
		fmt.Printf("%s %s to %s (delivery %s, verified by %v)\n",
			m.Header.Get("X-GitHub-Event"), ev.Ref, ev.Repository.FullName, m.DeliveryID, m.Verified)
		return nil
	}))

	// What GitHub sends:
	body := `{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"}}`
	mac := hmac.New(sha256.New, []byte("It's a Secret to Everybody"))
	mac.Write([]byte(body))
	r := httptest.NewRequest("POST", "/hooks/github", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", "push")
	r.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)

	// A forged request never reaches the handler.
	r = httptest.NewRequest("POST", "/hooks/github", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Hub-Signature-256", "sha256=0000")
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// push refs/heads/main to octo/hello (delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958, verified by [github])
	// 200
	// 401 github
}

// A Stripe webhook receiver: the preset checks Stripe-Signature (t=…,v1=…)
// with Stripe's 5-minute tolerance; the delivery id is the event's id.
func ExampleHandler_stripe() {
	const secret = "whsec_test_secret"
	src, err := receive.New("stripe", &receive.Spec{
		Verify: []receive.Verify{{Provider: "stripe", Secret: secret}},
	}, receive.Options{})
	if err != nil {
		panic(err)
	}
	type event struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	h := receive.Handler(src, func(ctx context.Context, m *receive.Message) error {
		ev, err := receive.Decode[event](m)
		if err != nil {
			return err
		}
		if ev.Type != "invoice.paid" {
			return &receive.Error{Status: http.StatusUnprocessableEntity, Message: "unhandled event type " + ev.Type}
		}
		fmt.Println("paid:", ev.ID, "delivery", m.DeliveryID)
		return nil
	})

	send := func(body string, ts time.Time) int {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: ts})
		r := httptest.NewRequest("POST", "/hooks/stripe", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Stripe-Signature", signed.Header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(send(`{"id":"evt_1","type":"invoice.paid"}`, time.Now()))
	fmt.Println(send(`{"id":"evt_2","type":"customer.created"}`, time.Now()))
	fmt.Println(send(`{"id":"evt_3","type":"invoice.paid"}`, time.Now().Add(-time.Hour)))
	// Output:
	// paid: evt_1 delivery evt_1
	// 200
	// 422
	// 401
}
