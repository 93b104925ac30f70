package main

import (
	"encoding/json"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// TestSourceItemKeepsMemberOrder: a configured source is split like one
// sent to the API: the spec keeps its members in their order, with their
// bytes.
func TestSourceItemKeepsMemberOrder(t *testing.T) {
	t.Parallel()
	in := `{"verify":[{"token":{"value":"<t>"}}],"id":"orders","content_types":["application/json"],` +
		`"description":"Orders","destinations":[{"publish":{"type":"order.created"}}]}`
	src, err := sourceItem(json.RawMessage(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"verify":[{"token":{"value":"<t>"}}],"content_types":["application/json"],` +
		`"destinations":[{"publish":{"type":"order.created"}}]}`
	if src.ID != "orders" || src.Description != "Orders" || string(src.Spec) != want {
		t.Fatalf("source %q %q spec %s, want spec %s", src.ID, src.Description, src.Spec, want)
	}
	var api httpapi.Source
	if err := json.Unmarshal([]byte(in), &api); err != nil || string(api.Spec) != string(src.Spec) {
		t.Fatalf("the API splits it into %s (%v), the configuration into %s", api.Spec, err, src.Spec)
	}
}

func TestSourceItemErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, pointer string }{
		{"not an object", `[]`, ""},
		{"no id", `{"description":"x"}`, "/id"},
		{"id of the wrong type", `{"id":1}`, "/id"},
		{"created_at", `{"id":"a","created_at":"2026-01-02T03:04:05Z"}`, "/created_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sourceItem(json.RawMessage(tc.in))
			fs := hookd.ErrorFields(err)
			if hookd.ErrorCode(err) != hookd.EINVALID || len(fs) != 1 || fs[0].Pointer != tc.pointer {
				t.Fatalf("sourceItem(%s) = %v, want EINVALID at %q", tc.in, err, tc.pointer)
			}
		})
	}
}
