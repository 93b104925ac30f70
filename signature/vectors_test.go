package signature_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// vectors mirrors testdata/vectors.json.
type vectors struct {
	StandardWebhooks []struct {
		Name      string   `json:"name"`
		Secrets   []string `json:"secrets"`
		MsgID     string   `json:"msg_id"`
		Timestamp int64    `json:"timestamp"`
		Body      string   `json:"body"`
		Signature string   `json:"signature"`
	} `json:"standard_webhooks"`
	HMACSHA256Hex []struct {
		Name      string `json:"name"`
		Key       string `json:"key"`
		Prefix    string `json:"prefix"`
		Body      string `json:"body"`
		Signature string `json:"signature"`
	} `json:"hmac_sha256_hex"`
	HMAC []struct {
		Name   string `json:"name"`
		Alg    string `json:"alg"`
		Key    string `json:"key"`
		Msg    string `json:"msg"`
		MACHex string `json:"mac_hex"`
	} `json:"hmac"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	if len(v.StandardWebhooks) == 0 || len(v.HMACSHA256Hex) == 0 || len(v.HMAC) == 0 {
		t.Fatal("vectors.json lacks a section")
	}
	return v
}

func TestStandardWebhooksVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range loadVectors(t).StandardWebhooks {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			ts := time.Unix(tc.Timestamp, 0)
			body := []byte(tc.Body)

			s, err := signature.NewSigner(tc.Secrets...)
			if err != nil {
				t.Fatal(err)
			}
			dst := []byte("keep:")
			if got := string(s.Sign(dst, tc.MsgID, ts, body)); got != "keep:"+tc.Signature {
				t.Errorf("Signer.Sign = %q, want %q", got, "keep:"+tc.Signature)
			}
			if len(tc.Secrets) == 1 {
				got, err := signature.Sign(tc.Secrets[0], tc.MsgID, ts, body)
				if err != nil || got != tc.Signature {
					t.Errorf("Sign = %q, %v; want %q", got, err, tc.Signature)
				}
			}

			// Every secret alone must accept the header it helped produce.
			for _, secret := range tc.Secrets {
				v, err := signature.NewVerifier(secret)
				if err != nil {
					t.Fatal(err)
				}
				v.NowFunc = func() time.Time { return ts }
				if err := v.VerifyParts(tc.MsgID, strconv.FormatInt(tc.Timestamp, 10), tc.Signature, body); err != nil {
					t.Errorf("VerifyParts with %s: %v", signature.SecretPrefix(secret), err)
				}
			}
		})
	}
}

func TestHMACSHA256HexVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range loadVectors(t).HMACSHA256Hex {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			key, body := []byte(tc.Key), []byte(tc.Body)
			if got := signature.HMACSHA256Hex(tc.Prefix, key, body); got != tc.Signature {
				t.Errorf("HMACSHA256Hex = %q, want %q", got, tc.Signature)
			}
			if got := string(signature.AppendHMACSHA256Hex([]byte("x:"), tc.Prefix, key, body)); got != "x:"+tc.Signature {
				t.Errorf("AppendHMACSHA256Hex = %q, want %q", got, "x:"+tc.Signature)
			}
			if err := signature.VerifyHMACSHA256Hex(tc.Signature, tc.Prefix, key, body); err != nil {
				t.Errorf("VerifyHMACSHA256Hex: %v", err)
			}
			upper := tc.Prefix + strings.ToUpper(strings.TrimPrefix(tc.Signature, tc.Prefix))
			if err := signature.VerifyHMACSHA256Hex(upper, tc.Prefix, key, body); err != nil {
				t.Errorf("VerifyHMACSHA256Hex(upper-case hex): %v", err)
			}
		})
	}
}

func TestComputeHMACVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range loadVectors(t).HMAC {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got, err := signature.ComputeHMAC(tc.Alg, []byte(tc.Key), []byte(tc.Msg))
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tc.MACHex {
				t.Errorf("ComputeHMAC(%s) = %x, want %s", tc.Alg, got, tc.MACHex)
			}
		})
	}
}

func TestComputeHMACUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "md5", "SHA256", "sha-256", "sha384"} {
		mac, err := signature.ComputeHMAC(alg, []byte("k"), []byte("m"))
		if err == nil || mac != nil {
			t.Errorf("ComputeHMAC(%q) = %x, %v; want nil, error", alg, mac, err)
		}
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "a", false},
	}
	for _, tc := range tests {
		if got := signature.Equal([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
