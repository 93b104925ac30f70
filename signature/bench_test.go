package signature_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/hookd/signature"
)

// benchBody is a typical hookd event body of about 250 bytes.
var benchBody = func() []byte {
	b := []byte(`{"type":"invoice.paid","timestamp":"2025-01-02T03:04:05.678Z","data":{"id":"inv_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB","customer":"cus_9s6XKzkNRiz8i3","amount":4200,"currency":"eur","lines":[{"sku":"plan-pro","qty":1}],"note":"`)
	b = append(b, bytes.Repeat([]byte("x"), 250-len(b)-3)...)
	return append(b, `"}}`...)
}()

func BenchmarkSign(b *testing.B) {
	if len(benchBody) != 250 {
		b.Fatalf("body is %d bytes", len(benchBody))
	}
	for _, secrets := range [][]string{{secretA}, {secretA, secretB}} {
		b.Run("secrets="+strconv.Itoa(len(secrets)), func(b *testing.B) {
			s, err := signature.NewSigner(secrets...)
			if err != nil {
				b.Fatal(err)
			}
			ts := time.Unix(1735787045, 0)
			buf := make([]byte, 0, 128)
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				buf = s.Sign(buf[:0], "evt_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB", ts, benchBody)
			}
		})
	}
}

// BenchmarkSignParallel shows the pooled HMAC state under contention, as
// the delivery engine's many senders use one Signer per endpoint.
func BenchmarkSignParallel(b *testing.B) {
	s, err := signature.NewSigner(secretA)
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Unix(1735787045, 0)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 128)
		for pb.Next() {
			buf = s.Sign(buf[:0], "evt_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB", ts, benchBody)
		}
	})
}

// BenchmarkSignReference is the reference library's Sign, for comparison.
func BenchmarkSignReference(b *testing.B) {
	wh, err := standardwebhooks.NewWebhook(secretA)
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Unix(1735787045, 0)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wh.Sign("evt_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB", ts, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParts(b *testing.B) {
	ts := time.Unix(1735787045, 0)
	sig, err := signature.Sign(secretB, "evt_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB", ts, benchBody)
	if err != nil {
		b.Fatal(err)
	}
	v, err := signature.NewVerifier(secretA, secretB)
	if err != nil {
		b.Fatal(err)
	}
	v.NowFunc = func() time.Time { return ts }
	header := "v1a,ignored " + sig
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.VerifyParts("evt_01JDKZ8Q3V4Q2N8Z6C7W1X9YAB", "1735787045", header, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendHMACSHA256Hex(b *testing.B) {
	key := []byte(secretA)
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		buf = signature.AppendHMACSHA256Hex(buf[:0], "sha256=", key, benchBody)
	}
}
