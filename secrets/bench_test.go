package secrets_test

import (
	"testing"

	"github.com/hookd/hookd/secrets"
)

func BenchmarkSeal(b *testing.B) {
	k, _ := secrets.GenerateKey()
	c, _ := secrets.NewCipher(k)
	plain := []byte(`[{"value":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","created_at":1700000000000000}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Seal(plain, "endpoint-secrets:ep_01"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k, _ := secrets.GenerateKey()
	c, _ := secrets.NewCipher(k)
	sealed, _ := c.Seal([]byte(`[{"value":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","created_at":1700000000000000}]`), "ad")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(sealed, "ad"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	k, _ := secrets.GenerateKey()
	b.ReportAllocs()
	for b.Loop() {
		secrets.Hash(k[:], "hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	}
}
