package receive_test

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hookd/hookd/receive"
)

// An EchoStream-style webhook node: served at the root path "/", with a
// Go authenticator that sees the whole request before its body is parsed.
// It accepts (and names the caller), rejects with an answer of its own,
// or fails (500, its error kept out of the answer).
func ExampleAuthenticateFunc_echoStream() {
	authenticate := func(ctx context.Context, m *receive.Message) (any, error) {
		key := m.Header.Get("X-Api-Key")
		switch {
		case key == "":
			return nil, &receive.HTTPError{Status: http.StatusUnauthorized, Body: "missing X-Api-Key",
				Header: http.Header{"Content-Type": {"text/plain"}, "WWW-Authenticate": {"ApiKey"}}}
		case subtle.ConstantTimeCompare([]byte(key), []byte("k-123")) == 1:
			return map[string]string{"tenant": "acme"}, nil
		case key == "broken":
			return nil, errors.New("key store unreachable")
		}
		return nil, &receive.HTTPError{Status: http.StatusForbidden, Body: "unknown key"}
	}
	src, err := receive.New("echo", &receive.Spec{Path: "/"}, receive.Options{AuthenticateFunc: authenticate})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle(src.Path(), receive.Handler(src, func(ctx context.Context, m *receive.Message) error {
		fmt.Printf("message from %s: %s\n", m.User, m.Body)
		return nil
	}))
	for _, key := range []string{"k-123", "", "nope", "broken"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"n":1}`))
		r.Header.Set("Content-Type", "application/json")
		if key != "" {
			r.Header.Set("X-Api-Key", key)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusInternalServerError:
			fmt.Println(w.Code) // the body: an id, or a problem document
		default:
			fmt.Println(w.Code, w.Body.String())
		}
	}
	// Output:
	// message from {"tenant":"acme"}: {"n":1}
	// 200
	// 401 missing X-Api-Key
	// 403 unknown key
	// 500
}

// A Chalk-style webhook source: its URL is /<client_id>/<environment>/<id>,
// and the handler reads the whole message through models of its body,
// its query parameters (a repeated one is a list) and its headers.
func ExampleDecodeQuery_chalk() {
	type transaction struct {
		ID     string  `json:"id"`
		Amount float64 `json:"amount"`
	}
	type args struct {
		Account string   `query:"account"`
		Tags    []string `query:"tag"`
	}
	type headers struct {
		Signature string `header:"X-Plaid-Signature"`
		Attempt   int    `header:"X-Attempt"`
	}
	src, err := receive.New("plaid_transactions", &receive.Spec{Path: "/acme/prod/plaid_transactions"}, receive.Options{})
	if err != nil {
		panic(err)
	}
	h := receive.Handler(src, func(ctx context.Context, m *receive.Message) error {
		body, err := receive.Decode[transaction](m)
		if err != nil {
			return err
		}
		q, err := receive.DecodeQuery[args](m)
		if err != nil {
			return err
		}
		hd, err := receive.DecodeHeaders[headers](m)
		if err != nil {
			return err
		}
		fmt.Printf("%s %.2f account=%s tags=%v signature=%s attempt=%d\n",
			body.ID, body.Amount, q.Account, q.Tags, hd.Signature, hd.Attempt)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle(src.Path(), h)
	r := httptest.NewRequest("POST", "/acme/prod/plaid_transactions?account=chk&tag=food&tag=travel",
		strings.NewReader(`{"id":"tx_1","amount":12.5}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Plaid-Signature", "abc")
	r.Header.Set("X-Attempt", "2")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// tx_1 12.50 account=chk tags=[food travel] signature=abc attempt=2
	// 200
}
