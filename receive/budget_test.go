package receive_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
)

// bomb is a gzip body that expands to n bytes of a JSON string.
func bomb(t testing.TB, n int) []byte {
	t.Helper()
	plain := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), n-10)...), '"', '}')
	return compress(t, "gzip", plain)
}

// budgetHandler compiles spec with a decompression budget of size bytes.
func budgetHandler(t testing.TB, spec string, size int64) (http.Handler, *receive.Budget, *accept) {
	t.Helper()
	b := receive.NewBudget(size)
	src, err := receive.Compile(sourceOf(spec), receive.Options{NowFunc: nowFunc, Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	a := &accept{}
	return receive.Handler(src, a.fn), b, a
}

// TestHeaderChecksBeforeDecompression: with a budget smaller than the
// bomb, a request that decompressed would be 503; header-only checks
// (token, basic, ip_allow, header-only cel, a preset's missing, malformed
// or stale signature) answer 401/403 first, so an unauthenticated bomb
// costs no decompression. A signature over the decoded bytes needs the
// decoded body, and so the budget (503 with Retry-After); one over the
// bytes as sent verifies before decoding.
func TestHeaderChecksBeforeDecompression(t *testing.T) {
	t.Parallel()
	z := bomb(t, 4<<20)
	stale := signStripe([]byte("x"), "whsec_x", testNow.Add(-time.Hour)).header("Stripe-Signature")
	cases := []struct {
		name, spec string
		headers    []string
		status     int
	}{
		{"bad token", `{"verify":[{"token":{"value":"t"}}]}`, []string{"Authorization", "nope"}, 401},
		{"bad basic", `{"verify":[{"basic":{"username":"u","password":"p"}}]}`, nil, 401},
		{"ip denied", `{"verify":[{"ip_allow":["10.0.0.0/8"]}]}`, nil, 403},
		{"header-only cel false", `{"verify":[{"cel":"'x-k' in request.headers && request.headers['x-k'] == 'v'"}]}`, nil, 403},
		{"gitlab token", `{"verify":[{"provider":"gitlab","secret":"s"}]}`, []string{"X-Gitlab-Token", "bad"}, 401},
		{"github signature missing", `{"verify":[{"provider":"github","secret":"s"}]}`, nil, 401},
		{"github signature malformed", `{"verify":[{"provider":"github","secret":"s"}]}`, []string{"X-Hub-Signature-256", "md5=zz"}, 401},
		{"stripe stale timestamp", `{"verify":[{"provider":"stripe","secret":"whsec_x"}]}`, []string{"Stripe-Signature", stale}, 401},
		{"hmac missing", `{"verify":[{"hmac":{"header":"X-Sig","secret":"k"}}]}`, nil, 401},
		{"github bad signature needs the decoded body", `{"verify":[{"provider":"github","secret":"s"}]}`,
			[]string{"X-Hub-Signature-256", "sha256=" + hexMAC("wrong", []byte("x"))}, 503},
		{"body cel needs the decoded body", `{"verify":[{"cel":"request.body.pad != ''"}]}`, nil, 503},
		{"no verification", `{}`, nil, 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, b, _ := budgetHandler(t, tc.spec, 1<<20)
			r := req("POST", "/in/src", z, append([]string{"Content-Type", "application/json", "Content-Encoding", "gzip"}, tc.headers...)...)
			r.RemoteAddr = "192.0.2.1:1"
			w := serve(h, r)
			expectStatus(t, w, tc.status)
			if tc.status == 503 && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if n := b.InUse(); n != 0 {
				t.Errorf("%d bytes of the budget still reserved after the request", n)
			}
		})
	}
}

// TestSignatureOverCompressedBytes: a provider that signs the body as it
// sent it (compressed) verifies before anything is decoded; the message
// still carries the decoded body.
func TestSignatureOverCompressedBytes(t *testing.T) {
	t.Parallel()
	plain := []byte(`{"action":"opened"}`)
	z := compress(t, "gzip", plain)
	h, _, a := budgetHandler(t, `{"verify":[{"provider":"github","secret":"s"}]}`, 1<<20)
	w := serve(h, req("POST", "/in/src", z, "Content-Type", "application/json", "Content-Encoding", "gzip",
		"X-Hub-Signature-256", "sha256="+hexMAC("s", z)))
	expectStatus(t, w, 200)
	if !bytes.Equal(a.last.Body, plain) {
		t.Errorf("body %q, want the decoded %q", a.last.Body, plain)
	}
	// Signed over the decoded bytes: verified once decoded.
	w = serve(h, req("POST", "/in/src", z, "Content-Type", "application/json", "Content-Encoding", "gzip",
		"X-Hub-Signature-256", "sha256="+hexMAC("s", plain)))
	expectStatus(t, w, 200)
}

// TestBudgetSharedAndReleased: two requests share the budget: while one
// holds most of it, another that needs more is 503; once the first is
// done, the budget is whole again and the second passes.
func TestBudgetSharedAndReleased(t *testing.T) {
	t.Parallel()
	b := receive.NewBudget(4 << 20)
	src, err := receive.Compile(sourceOf(`{}`), receive.Options{NowFunc: nowFunc, Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	z := bomb(t, 1<<20)
	hold, release := make(chan int64), make(chan struct{})
	holding := receive.Handler(src, func(ctx context.Context, m *receive.Message) error {
		hold <- b.InUse()
		<-release
		return nil
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(holding, req("POST", "/in/src", z, "Content-Type", "application/json", "Content-Encoding", "gzip"))
	}()
	select {
	case held := <-hold:
		if held < 1<<20 {
			t.Fatalf("a request holding a 1 MiB body reserves %d bytes", held)
		}
	case <-done:
		t.Fatal("the first request did not reach its handler")
	}
	other := receive.Handler(src, (&accept{}).fn)
	big := bomb(t, 2<<20)
	w := serve(other, req("POST", "/in/src", big, "Content-Type", "application/json", "Content-Encoding", "gzip"))
	expectStatus(t, w, http.StatusServiceUnavailable)
	if p := decodeProblem(t, w); p.Code != hookd.EUNAVAILABLE || !strings.Contains(p.Detail, "retry") {
		t.Errorf("problem %+v", p)
	}
	close(release)
	<-done
	if n := b.InUse(); n != 0 {
		t.Fatalf("%d bytes reserved after both requests", n)
	}
	expectStatus(t, serve(other, req("POST", "/in/src", big, "Content-Type", "application/json", "Content-Encoding", "gzip")), 200)
}

// TestBrotliWindowReserved: a brotli stream declares its window in its
// first bits; the decoder's window is reserved before decoding, so a tiny
// body with a 16 MiB window cannot take 16 MiB past the budget.
func TestBrotliWindowReserved(t *testing.T) {
	t.Parallel()
	h, b, _ := budgetHandler(t, `{}`, 8<<20)
	// 0x3b: WBITS 24 (16 MiB), then a tiny stream.
	z := compress(t, "br", []byte(`{"a":1}`))
	z[0] = z[0] | 0x01
	z[0] = (z[0] &^ 0x0e) | (7 << 1) // 17+7 = 24 bits
	w := serve(h, req("POST", "/in/src", z, "Content-Type", "application/json", "Content-Encoding", "br"))
	expectStatus(t, w, http.StatusServiceUnavailable)
	if b.InUse() != 0 {
		t.Errorf("%d bytes reserved after the request", b.InUse())
	}
}

// TestInvalidUTF8 is 400 for a JSON body that is not UTF-8.
func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	h := receive.Handler(compile(t, `{}`), (&accept{}).fn)
	w := serve(h, req("POST", "/in/src", []byte("{\"a\":\"\xff\xfe\"}"), "Content-Type", "application/json"))
	expectStatus(t, w, http.StatusBadRequest)
	if p := decodeProblem(t, w); !strings.Contains(p.Detail, "UTF-8") {
		t.Errorf("detail %q", p.Detail)
	}
}
