package filter_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	ev := &hookd.Event{ID: "evt_1", TenantID: "acme", Type: "invoice.paid",
		Data: json.RawMessage(`{"amount":1200,"currency":"EUR","tags":["vip"]}`), CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	in := filter.NewInput(ev, &hookd.Tenant{ID: "acme", Metadata: json.RawMessage(`{"plan":"pro"}`)})
	ep := &hookd.Endpoint{ID: "ep_1", Metadata: json.RawMessage(`{"min":1000}`)}
	tests := []struct {
		expr string
		want bool
	}{
		{`event.data.amount > 1000.0`, true},
		{`event.data.amount >= endpoint.metadata.min && event.data.currency == "EUR"`, true},
		{`event.type.startsWith("invoice.") && tenant.metadata.plan == "pro"`, true},
		{`"vip" in event.data.tags`, true},
		{`event.created_at > timestamp("2026-02-01T00:00:00Z")`, true},
		{`endpoint.id == "ep_2"`, false},
		{`has(event.data.refund)`, false},
	}
	for _, tc := range tests {
		p, err := filter.Compile(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, err := p.Match(in, ep)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
	// A missing member is an evaluation error: the caller counts no match.
	p, _ := filter.Compile(`event.data.missing == 1.0`)
	if ok, err := p.Match(in, ep); ok || err == nil {
		t.Errorf("missing member = %v, %v", ok, err)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, msg string }{
		{`event.data.amount`, "must return a bool"},
		{`1 + 1`, "must return a bool, not int"},
		{`event.data.amount >`, "does not compile"},
		{`unknown_var == 1`, "undeclared reference"},
		{`  `, "is empty"},
		{strings.Repeat("true && ", 1000) + "true", "at most"},
	}
	for _, tc := range tests {
		_, err := filter.Compile(tc.expr)
		fs := hookd.ErrorFields(err)
		if len(fs) != 1 || fs[0].Pointer != "/filter" || !strings.Contains(fs[0].Message, tc.msg) {
			t.Errorf("%.40s: %v %+v, want %q", tc.expr, err, fs, tc.msg)
		}
	}
}
