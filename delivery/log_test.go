package delivery

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// logTask is a delivery of an event for the log tests.
func logTask() (*task, *hookd.Attempt) {
	ev := &hookd.Event{ID: "evt_1", TenantID: "default", Type: "invoice.paid", CreatedAt: time.Now()}
	d := &hookd.Delivery{ID: "dlv_1", EventID: ev.ID, EndpointID: "ep_1", TenantID: "default", Status: hookd.StatusPending}
	return &task{dlv: d, ev: ev}, &hookd.Attempt{Number: 1, ResponseStatus: 200, Latency: 3 * time.Millisecond}
}

// TestDebugLogsFreeWhenOff: with debug off, a success and a publish log
// nothing and allocate nothing.
func TestDebugLogsFreeWhenOff(t *testing.T) {
	var buf bytes.Buffer
	e := &Engine{cfg: Config{Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}}
	tk, a := logTask()
	upd := &hookd.DeliveryUpdate{Status: hookd.StatusSucceeded}
	allocs := testing.AllocsPerRun(100, func() {
		e.logAttempt(tk, a, outcomeSucceeded, upd)
		e.logPublished(tk.ev, 3, "", "")
	})
	if allocs != 0 || buf.Len() != 0 {
		t.Fatalf("%v allocations, output %q", allocs, buf.String())
	}
}

// TestFailedAttemptLine: a failed attempt with a retry is one warn line
// with the time of the next attempt; one that ends the delivery is
// followed by a dead line with the reason.
func TestFailedAttemptLine(t *testing.T) {
	var buf bytes.Buffer
	e := &Engine{cfg: Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}}
	tk, a := logTask()
	a.ResponseStatus = 503
	next := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	e.logAttempt(tk, a, outcomeRetry, &hookd.DeliveryUpdate{Status: hookd.StatusFailed, NextAttemptAt: next})
	a.Number, a.ResponseStatus, a.Error = 2, 0, "connection refused"
	e.logAttempt(tk, a, outcomeRetry, &hookd.DeliveryUpdate{Status: hookd.StatusDead})
	var lines []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	if l := lines[0]; l["msg"] != hookd.LogMsgAttemptFailed || l["level"] != "WARN" || l["status"] != 503.0 ||
		l["next_retry"] != "2026-03-01T12:00:05Z" || l["endpoint"] != "ep_1" || l["event_type"] != "invoice.paid" {
		t.Errorf("first failure: %v", l)
	}
	if l := lines[1]; l["error"] != "connection refused" || l["status"] != nil || l["next_retry"] != nil || l["attempt"] != 2.0 {
		t.Errorf("last failure: %v", l)
	}
	if l := lines[2]; l["msg"] != hookd.LogMsgDeliveryDead || l["reason"] != deadExhausted {
		t.Errorf("dead: %v", l)
	}
}
