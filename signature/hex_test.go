package signature_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hookd/hookd/signature"
)

// GitHub's documented example (also in testdata/vectors.json).
const (
	ghKey  = "It's a Secret to Everybody"
	ghBody = "Hello, World!"
	ghSig  = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func TestVerifyHMACSHA256Hex(t *testing.T) {
	t.Parallel()
	other := signature.HMACSHA256Hex("sha256=", []byte("old secret"), []byte(ghBody))
	tests := []struct {
		name   string
		header string
		prefix string // default "sha256="
		key    string // default ghKey
		body   string // default ghBody
		want   error
	}{
		{name: "match", header: ghSig},
		{name: "upper-case hex", header: "sha256=" + strings.ToUpper(ghSig[7:])},
		{name: "rotation, comma", header: other + "," + ghSig},
		{name: "rotation, comma and space", header: other + ", " + ghSig},
		{name: "rotation, spaces", header: "  " + ghSig + "   " + other + " "},
		{name: "rotation, tab", header: other + "\t" + ghSig},
		{name: "empty prefix", header: ghSig[7:], prefix: "-"},
		{name: "wrong key", header: ghSig, key: "It's a secret to everybody", want: signature.ErrInvalid},
		{name: "tampered body", header: ghSig, body: "Hello, World?", want: signature.ErrInvalid},
		{name: "only old secret", header: other, want: signature.ErrInvalid},
		{name: "flipped digit", header: ghSig[:len(ghSig)-1] + "8", want: signature.ErrInvalid},
		{name: "empty header", header: "", want: signature.ErrMissing},
		{name: "separators only", header: " , ,\t", want: signature.ErrMissing},
		{name: "missing prefix", header: ghSig[7:], want: signature.ErrMalformed},
		{name: "other prefix", header: "sha1=" + ghSig[7:], want: signature.ErrMalformed},
		{name: "prefix is case-sensitive", header: "SHA256=" + ghSig[7:], want: signature.ErrMalformed},
		{name: "too short", header: ghSig[:len(ghSig)-2], want: signature.ErrMalformed},
		{name: "too long", header: ghSig + "00", want: signature.ErrMalformed},
		{name: "not hex", header: ghSig[:len(ghSig)-1] + "g", want: signature.ErrMalformed},
		{name: "base64 instead of hex", header: "sha256=dXEH6g6yUJ/CESIcz5hLijdXC211hsIsRvQ3nIsEPhc=", want: signature.ErrMalformed},
		{name: "malformed beside valid", header: "sha256=zz, " + ghSig},
		{name: "empty key", header: ghSig, key: "-", want: signature.ErrBadSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prefix, key, body := orDefault(tc.prefix, "sha256="), orDefault(tc.key, ghKey), orDefault(tc.body, ghBody)
			if prefix == "-" {
				prefix = ""
			}
			if key == "-" {
				key = ""
			}
			checkErr(t, signature.VerifyHMACSHA256Hex(tc.header, prefix, []byte(key), []byte(body)), tc.want)
		})
	}
}

func TestHMACSHA256HexUsesSecretStringBytes(t *testing.T) {
	t.Parallel()
	// The hex scheme keys with the secret string itself, not its decoded
	// key: the two must differ, or a receiver would be handed the wrong one.
	decoded, err := signature.DecodeSecret(secretB)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(fixBody)
	if signature.HMACSHA256Hex("", []byte(secretB), body) == signature.HMACSHA256Hex("", decoded, body) {
		t.Fatal("string key and decoded key give the same MAC")
	}
	mac, err := signature.ComputeHMAC("sha256", []byte(secretB), body)
	if err != nil {
		t.Fatal(err)
	}
	got := signature.HMACSHA256Hex("sha256=", []byte(secretB), body)
	if want := "sha256=" + hex.EncodeToString(mac); got != want {
		t.Errorf("HMACSHA256Hex = %q, ComputeHMAC gives %q", got, want)
	}
}
