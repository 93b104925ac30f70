package postgres_test

import (
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/storetest"
)

// BenchmarkStore needs HOOKD_TEST_POSTGRES_URL, like the tests.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) hookd.Store {
		return open(b, pgtest.Schema(b), postgres.Options{})
	})
}
