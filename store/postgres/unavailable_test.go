package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookd/hookd"
)

// TestUnavailable checks which server errors become EUNAVAILABLE: a full
// disk, an I/O error and the rest of class 53, however deeply wrapped.
func TestUnavailable(t *testing.T) {
	for code, want := range map[string]string{
		"53100": hookd.EUNAVAILABLE, // disk_full
		"53200": hookd.EUNAVAILABLE, // out_of_memory
		"53300": hookd.EUNAVAILABLE, // too_many_connections
		"58030": hookd.EUNAVAILABLE, // io_error
		"23505": hookd.EINTERNAL,    // unique_violation: not a resource problem
		"42P01": hookd.EINTERNAL,    // undefined_table
	} {
		err := fmt.Errorf("commit: %w", &pgconn.PgError{Code: code, Message: "x"})
		if got := hookd.ErrorCode(wrap(err, "insert")); got != want {
			t.Errorf("%s: code %q, want %q", code, got, want)
		}
	}
	if got := hookd.ErrorCode(conflict(&pgconn.PgError{Code: "53100"}, "exists")); got != hookd.EUNAVAILABLE {
		t.Errorf("conflict of a full disk: %q", got)
	}
	if unavailable(nil) != nil || !errors.Is(unavailable(errors.ErrUnsupported), errors.ErrUnsupported) {
		t.Error("other errors must pass unchanged")
	}
}
