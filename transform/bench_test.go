package transform_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hookd/hookd/transform"
)

// BenchmarkFireHydrant runs the FireHydrant transform on a Chalk body
// with 250 bytes of data, as hookd bench --transform does.
func BenchmarkFireHydrant(b *testing.B) {
	tr, err := transform.Compile(fireHydrant)
	if err != nil {
		b.Fatal(err)
	}
	chalk := `{"environment_id":"default","webhook_id":"ep_1","subscription":"bench.event",` +
		`"payload":{"t":1733400000000000000,"pad":"` + strings.Repeat("x", 220) + `"},` +
		`"event_timestamp":"2026-01-02T03:04:05.000Z","idempotency_key":"evt_1"}`
	in := input(chalk)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tr.Run(context.Background(), in, 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
}
