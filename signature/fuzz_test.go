package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// fuzzSecret is the Standard Webhooks spec's secret; the seed corpus in
// testdata/fuzz/FuzzVerify holds valid signatures made with it at fuzzNow.
const fuzzSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var fuzzNow = time.Unix(1614265330, 0)

// FuzzVerify feeds arbitrary header values to both verifiers. Neither may
// panic; every error must wrap one of the package's sentinels; and a nil
// error must be backed by a signature computed here with crypto/hmac
// directly, so a parser that accepts too much fails the test.
func FuzzVerify(f *testing.F) {
	v, err := signature.NewVerifier(fuzzSecret)
	if err != nil {
		f.Fatal(err)
	}
	v.NowFunc = func() time.Time { return fuzzNow }
	key, err := signature.DecodeSecret(fuzzSecret)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, msgID, timestamp, sigHeader string, body []byte) {
		err := v.VerifyParts(msgID, timestamp, sigHeader, body)
		kind := sentinel(t, err)
		if err == nil {
			id, ts := strings.Trim(msgID, " \t"), strings.Trim(timestamp, " \t")
			want := "v1," + b64MAC(key, id+"."+ts+"."+string(body))
			if !hasField(sigHeader, want) {
				t.Fatalf("accepted %q for id %q ts %q without the entry %q", sigHeader, msgID, timestamp, want)
			}
		}

		h := http.Header{}
		h.Set(signature.HeaderID, msgID)
		h.Set(signature.HeaderTimestamp, timestamp)
		h.Set(signature.HeaderSignature, sigHeader)
		if got := sentinel(t, v.Verify(h, body)); got != kind {
			t.Fatalf("Verify gives %v, VerifyParts %v", got, kind)
		}

		hexKey := []byte(fuzzSecret)
		if err := signature.VerifyHMACSHA256Hex(sigHeader, "sha256=", hexKey, body); sentinel(t, err) == nil {
			mac := hmac.New(sha256.New, hexKey)
			mac.Write(body)
			want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
			if !strings.Contains(strings.ToLower(sigHeader), want) {
				t.Fatalf("hex verifier accepted %q without %q", sigHeader, want)
			}
		}
	})
}

// sentinel returns which sentinel err wraps (nil for nil) and fails the
// test if it wraps none.
func sentinel(t *testing.T, err error) error {
	t.Helper()
	if err == nil {
		return nil
	}
	for _, s := range []error{signature.ErrMissing, signature.ErrMalformed, signature.ErrExpired, signature.ErrInvalid, signature.ErrBadSecret} {
		if errors.Is(err, s) {
			return s
		}
	}
	t.Fatalf("error %q wraps no sentinel", err)
	return nil
}

func b64MAC(key []byte, content string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(content))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// hasField reports whether want is one of the space- or tab-separated
// fields of s.
func hasField(s, want string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }) {
		if f == want {
			return true
		}
	}
	return false
}
