package receive_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"net/http"
	"os"
	"runtime"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/hookd/hookd/receive"
)

func compress(t testing.TB, coding string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "raw":
		w, _ = flate.NewWriter(&buf, flate.BestCompression)
	case "br":
		w = brotli.NewWriter(&buf)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecompression accepts gzip, deflate (zlib-wrapped and raw) and br,
// verifies the signature over the decoded bytes, and refuses truncated
// streams (400) and unknown encodings (415).
func TestDecompression(t *testing.T) {
	t.Parallel()
	body := []byte(`{"action":"opened","pad":"` + string(bytes.Repeat([]byte("x"), 2000)) + `"}`)
	var a accept
	h := receive.Handler(compile(t, `{"verify":[{"provider":"github","secret":"s3cret"}]}`), a.fn)
	sig := signGitHub(body, "s3cret", testNow).header("X-Hub-Signature-256")
	for _, tc := range []struct{ coding, header string }{
		{"gzip", "gzip"}, {"zlib", "deflate"}, {"raw", "deflate"}, {"br", "br"},
	} {
		t.Run(tc.coding, func(t *testing.T) {
			z := compress(t, tc.coding, body)
			r := req(http.MethodPost, "/in/src", z, "Content-Type", "application/json", "Content-Encoding", tc.header, "X-Hub-Signature-256", sig)
			expectStatus(t, serve(h, r), http.StatusOK)
			truncated := z[:len(z)/2]
			r = req(http.MethodPost, "/in/src", truncated, "Content-Type", "application/json", "Content-Encoding", tc.header, "X-Hub-Signature-256", sig)
			w := serve(h, r)
			expectStatus(t, w, http.StatusBadRequest)
		})
	}
	w := serve(h, req(http.MethodPost, "/in/src", body, "Content-Type", "application/json", "Content-Encoding", "zstd"))
	expectStatus(t, w, http.StatusUnsupportedMediaType)
	if got := w.Header().Get("Accept-Encoding"); got != "br, gzip, deflate" {
		t.Errorf("Accept-Encoding %q", got)
	}
}

// TestDecompressionBomb sends testdata/bomb-1GiB.br, under 1 KiB of
// brotli that expands to 1 GiB of zeros: it is refused 413 once the
// decoded size passes max_decompressed (10 MiB), and the memory allocated
// stays near that cap instead of the expanded size.
func TestDecompressionBomb(t *testing.T) {
	bomb, err := os.ReadFile("testdata/bomb-1GiB.br")
	if err != nil {
		t.Fatal(err)
	}
	h := receive.Handler(compile(t, `{"max_decompressed":"10MiB"}`), (&accept{}).fn)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := serve(h, req(http.MethodPost, "/in/src", bomb, "Content-Type", "application/json", "Content-Encoding", "br"))
	runtime.ReadMemStats(&after)
	expectStatus(t, w, http.StatusRequestEntityTooLarge)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("bomb of %d bytes (1 GiB expanded): allocated %d MiB while refusing it", len(bomb), allocated>>20)
	if allocated > 128<<20 {
		t.Errorf("allocated %d MiB for a bomb capped at 10 MiB", allocated>>20)
	}
}
