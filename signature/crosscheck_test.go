package signature_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/hookd/signature"
)

// crossBodies are payloads of assorted shapes for the cross-checks.
var crossBodies = [][]byte{
	nil,
	[]byte(`{}`),
	[]byte(fixBody),
	[]byte("not json at all\n\x00\xff"),
	bytes.Repeat([]byte(`{"k":"v"},`), 1000),
}

func newReference(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("reference NewWebhook: %v", err)
	}
	return wh
}

// TestCrossCheckReferenceVerifiesOurs signs with our Signer and verifies with
// the Standard Webhooks reference library, which reads the clock itself.
func TestCrossCheckReferenceVerifiesOurs(t *testing.T) {
	t.Parallel()
	secrets := []string{mustGenerate(t), mustGenerate(t), secretB}
	s, err := signature.NewSigner(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range crossBodies {
		now := time.Now()
		id := "evt_cross_" + strconv.Itoa(i)
		h := http.Header{}
		h.Set(signature.HeaderID, id)
		h.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(signature.HeaderSignature, string(s.Sign(nil, id, now, body)))
		for _, secret := range secrets {
			ref := newReference(t, secret)
			if err := ref.Verify(body, h); err != nil {
				t.Errorf("body %d, secret %s: reference rejects our signature: %v", i, signature.SecretPrefix(secret), err)
			}
			// Sanity: the reference is not accepting everything.
			if err := ref.Verify(append(bytes.Clone(body), '!'), h); err == nil {
				t.Errorf("body %d: reference accepts a tampered body", i)
			}
		}
		if err := newReference(t, secretA).Verify(body, h); err == nil {
			t.Errorf("body %d: reference accepts a secret we did not sign with", i)
		}
	}
}

// TestCrossCheckWeVerifyReference signs with the reference library and
// verifies with our Verifier, under both header sets.
func TestCrossCheckWeVerifyReference(t *testing.T) {
	t.Parallel()
	secret := mustGenerate(t)
	ref := newReference(t, secret)
	v, err := signature.NewVerifier(secretB, secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range crossBodies {
		now := time.Now()
		id := "msg_" + strconv.Itoa(i)
		sig, err := ref.Sign(id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := signature.Sign(secret, id, now, body)
		if err != nil || ours != sig {
			t.Errorf("body %d: Sign = %q, %v; reference signs %q", i, ours, err, sig)
		}
		for _, set := range []string{"webhook", "svix"} {
			h := http.Header{}
			h.Set(set+"-id", id)
			h.Set(set+"-timestamp", strconv.FormatInt(now.Unix(), 10))
			h.Set(set+"-signature", sig)
			if err := v.Verify(h, body); err != nil {
				t.Errorf("body %d, %s-*: we reject the reference's signature: %v", i, set, err)
			}
			h.Set(set+"-signature", strings.Replace(sig, "v1,", "v1,A", 1))
			if err := v.Verify(h, body); err == nil {
				t.Errorf("body %d, %s-*: we accept a corrupted signature", i, set)
			}
		}
	}
}

func mustGenerate(t *testing.T) string {
	t.Helper()
	s, err := signature.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
