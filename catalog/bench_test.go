package catalog_test

import (
	"context"
	"testing"

	"github.com/hookd/hookd/catalog"
)

// BenchmarkCheck measures the engine's hook on the publish path: a type
// with a schema of a few properties, and a type without one.
func BenchmarkCheck(b *testing.B) {
	c, err := catalog.New(InvoicePaid, UserCreated)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, typ, data string }{
		{"schema", "invoice.paid", `{"id":"in_1","amount":4200,"currency":"EUR","lines":[{"sku":"pro","quantity":1}]}`},
		{"unknown type", "not.declared", `{"id":"in_1"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := c.Check(ctx, bc.typ, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
