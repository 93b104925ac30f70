package receive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
)

// testNow is the clock of every test source.
var testNow = time.Unix(1_700_000_000, 0)

func nowFunc() time.Time { return testNow }

// compile compiles a spec given as JSON, failing the test on error.
func compile(t testing.TB, spec string) *receive.Source {
	t.Helper()
	src, err := receive.Compile(&hookd.Source{ID: "src", Spec: json.RawMessage(spec)}, receive.Options{NowFunc: nowFunc})
	if err != nil {
		t.Fatalf("compile %s: %v", spec, err)
	}
	return src
}

// compileErr compiles a spec that must fail and returns its field errors.
func compileErr(t testing.TB, spec string) []hookd.FieldError {
	t.Helper()
	_, err := receive.Compile(&hookd.Source{ID: "src", Spec: json.RawMessage(spec)}, receive.Options{NowFunc: nowFunc})
	if err == nil {
		t.Fatalf("compile %s: no error", spec)
	}
	if hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("compile %s: %v, want EINVALID", spec, err)
	}
	return hookd.ErrorFields(err)
}

// req builds a request; headers come in name, value pairs.
func req(method, target string, body []byte, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if body == nil {
		r = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// serve runs h on r and returns the recorder.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// accept is a handler that accepts every message and records the last.
type accept struct{ last *receive.Message }

func (a *accept) fn(_ context.Context, m *receive.Message) error {
	cp := *m
	cp.Body = bytes.Clone(m.Body)
	a.last = &cp
	return nil
}

// problemDoc is a decoded problem+json answer.
type problemDoc struct {
	Status int                `json:"status"`
	Code   string             `json:"code"`
	Detail string             `json:"detail"`
	Errors []hookd.FieldError `json:"errors"`
}

func decodeProblem(t testing.TB, w *httptest.ResponseRecorder) problemDoc {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want problem+json; body %s", ct, w.Body)
	}
	var p problemDoc
	if err := json.NewDecoder(w.Body).Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	return p
}

// expectStatus fails the test unless w has the status.
func expectStatus(t testing.TB, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		body, _ := io.ReadAll(w.Result().Body)
		t.Fatalf("status %d, want %d; body %s", w.Code, status, strings.TrimSpace(string(body)))
	}
}

func sourceOf(spec string) *hookd.Source {
	return &hookd.Source{ID: "src", Spec: json.RawMessage(spec)}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
