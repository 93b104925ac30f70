package filter

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestCostLimit: a quadratic expression over a large list is stopped by
// its cost, whatever the time it takes (the time backstop is lifted, so
// that a busy machine cannot make the test pass or fail by the clock).
func TestCostLimit(t *testing.T) {
	t.Parallel()
	data, _ := json.Marshal(map[string]any{"list": make([]int, 3000)})
	in := NewInput(&hookd.Event{ID: "evt_1", Type: "a.b", Data: data}, nil)
	p, err := Compile(`event.data.list.all(x, event.data.list.all(y, x == y))`)
	if err != nil {
		t.Fatal(err)
	}
	p.timeout = time.Hour
	if _, err := p.Match(in, &hookd.Endpoint{ID: "ep_1"}); err == nil || !strings.Contains(err.Error(), "cost") {
		t.Errorf("quadratic filter over 3000 items: %v, want a cost limit error", err)
	}
}
