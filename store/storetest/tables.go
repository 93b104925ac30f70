package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hookd/hookd"
)

// RequireTablesCopied fails unless every table of a store's schema
// (tables) is a hookd.Kind, which a copy moves, or a table the store
// leaves out on purpose (uncopied, with the reason); and every Kind is a
// table. A table added by a migration must be given a Kind, with Export
// and Import in both stores, or a reason.
func RequireTablesCopied(t *testing.T, tables []string, uncopied map[string]string) {
	t.Helper()
	for _, n := range tables {
		_, skipped := uncopied[n]
		assert.True(t, skipped || slices.Contains(hookd.Kinds(), hookd.Kind(n)),
			"table %s is not copied by hookd copy: add a hookd.Kind for it (with Export and Import in both stores) "+
				"or list it in UncopiedTables with the reason", n)
	}
	for _, k := range hookd.Kinds() {
		assert.Contains(t, tables, string(k), "kind %s has no table", k)
	}
}
