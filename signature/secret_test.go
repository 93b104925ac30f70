package signature_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/hookd/hookd/signature"
)

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := mustGenerate(t)
		if !strings.HasPrefix(s, "whsec_") || len(s) != len("whsec_")+32 {
			t.Fatalf("GenerateSecret = %q, want whsec_ + 32 base64 characters", s)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil || len(key) != 24 {
			t.Fatalf("GenerateSecret = %q: decodes to %d bytes, %v; want 24", s, len(key), err)
		}
		got, err := signature.DecodeSecret(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("DecodeSecret(GenerateSecret()) = %x, %v; want %x", got, err, key)
		}
		if seen[s] {
			t.Fatalf("GenerateSecret repeated %q", s)
		}
		seen[s] = true
	}
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	spec := mustHex(t, "31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0") // base64 -d | xxd -p
	key25 := []byte("hookd-test-key-25-bytes!!")
	tests := []struct {
		name string
		in   string
		want []byte // nil: expect ErrBadSecret
	}{
		{"with whsec_", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", spec},
		{"without whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", spec},
		{"padded", "whsec_aG9va2QtdGVzdC1rZXktMjUtYnl0ZXMhIQ==", key25},
		{"unpadded", "whsec_aG9va2QtdGVzdC1rZXktMjUtYnl0ZXMhIQ", key25},
		{"one byte", "AQ==", []byte{1}},
		{"empty", "", nil},
		{"tag only", "whsec_", nil},
		{"url-safe alphabet", "whsec_-_-_", nil},
		{"bad character", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa*w", nil},
		{"partial padding", "whsec_aG9va2QtdGVzdC1rZXktMjUtYnl0ZXMhIQ=", nil},
		{"padding in the middle", "whsec_AQ==AQ==", nil},
		{"dangling character", "whsec_AQA", []byte{1, 0}},
		{"impossible length", "whsec_AQAAA", nil},
		{"line break", "whsec_MfKQ9r8GKYqrTwjU\nPD8ILPZIo2LaLaSw", nil},
		{"trailing newline", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", nil},
		{"leading space", " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil},
		{"doubled tag", "whsec_whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := signature.DecodeSecret(tc.in)
			if tc.want == nil {
				if got != nil || !errors.Is(err, signature.ErrBadSecret) {
					t.Errorf("DecodeSecret(%q) = %x, %v; want nil, ErrBadSecret", tc.in, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("DecodeSecret(%q) = %x, %v; want %x", tc.in, got, err, tc.want)
			}
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecretPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ"},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ"},
		{"whsec_0123456789abcdef", "whsec_0123"},
		{"whsec_0123456789abcde", "whsec_"}, // 15 characters: too short to show any
		{"whsec_", "whsec_"},
		{"short", ""},
		{"", ""},
		{"whsec_ÄÖÜßäöüé0123456789", "whsec_ÄÖÜß"}, // whole characters, never half a rune
	}
	for _, tc := range tests {
		if got := signature.SecretPrefix(tc.in); got != tc.want {
			t.Errorf("SecretPrefix(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
