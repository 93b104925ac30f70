package hookd_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/hookd/hookd"
)

// TestDeliveryStatesDocumented keeps the states table of docs/concepts.md
// in step with hookd.DeliveryStates.
func TestDeliveryStatesDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("docs/concepts.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z]+)` \\| (.+) \\|$").FindAllStringSubmatch(string(b), -1)
	states := hookd.DeliveryStates()
	if len(rows) != len(states) {
		t.Fatalf("docs/concepts.md lists %d states, hookd has %d", len(rows), len(states))
	}
	for i, st := range states {
		if rows[i][1] != st.Name || !hookd.ValidDeliveryStatus(st.Name) {
			t.Errorf("row %d is %q, want %q", i, rows[i][1], st.Name)
		}
		if want := regexp.MustCompile("`([a-z_]+)`").ReplaceAllString(rows[i][2], "$1"); want != st.Description {
			t.Errorf("%s: docs say %q, DeliveryStates %q", st.Name, want, st.Description)
		}
	}
}
