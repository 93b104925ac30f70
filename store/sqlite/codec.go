package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookd/hookd"
)

// querier is what *sql.DB and *sql.Tx share for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface {
	Scan(dest ...any) error
}

// micros encodes a time as unix microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros decodes what micros encoded, in UTC.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// text binds raw JSON as TEXT, or NULL when empty.
func text(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// blob binds bytes as a BLOB, or NULL when nil.
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// nullString returns s, or NULL when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// encodeJSON binds v as JSON text; empty values (nil slices and maps) bind
// NULL.
func encodeJSON[T any](v []T) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// encodeMap binds a map as JSON text, or NULL when empty.
func encodeMap(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeJSON decodes a nullable JSON column into v; NULL leaves v alone.
func decodeJSON(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// rawJSON returns a JSON column as a RawMessage, nil for NULL.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// boolInt binds a bool as 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// where builds a WHERE clause from conditions joined by AND.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?, …)" for the values.
func (w *where) in(col string, vals []string) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+" IN ("+placeholders(len(vals))+")", args...)
}

// page adds the cursor bound of a listing by id descending.
func (w *where) page(col string, p hookd.Page) error {
	after, err := p.After()
	if err != nil {
		return err
	}
	if after != "" {
		w.add(col+" < ?", after)
	}
	return nil
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// anys converts strings to bind arguments.
func anys(prefix []any, vals []string) []any {
	out := make([]any, 0, len(prefix)+len(vals))
	out = append(out, prefix...)
	for _, v := range vals {
		out = append(out, v)
	}
	return out
}

// isUnique reports whether err is a violation of a primary key or unique
// constraint.
func isUnique(err error) bool {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// conflict turns a unique violation into ECONFLICT, and wraps anything
// else with what.
func conflict(err error, format string, args ...any) error {
	if isUnique(err) {
		e := hookd.Errorf(hookd.ECONFLICT, format, args...)
		e.Err = err
		return e
	}
	return unavailable(err)
}

// notFound turns sql.ErrNoRows into ENOTFOUND.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return hookd.Errorf(hookd.ENOTFOUND, format, args...)
	}
	return err
}

// wrap adds context to a non-nil error, which is EUNAVAILABLE when the
// database could not write for lack of space or an I/O error.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, unavailable(err))
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// list runs a query and scans its rows.
func list[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}

// tenantNotFound turns sql.ErrNoRows into the ENOTFOUND of the tenant.
func tenantNotFound(err error, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return hookd.TenantNotFound(id)
	}
	return err
}

// encodeShape binds a delivery's shape as its body and shape columns,
// both NULL when there is none.
func encodeShape(s *hookd.Shape) (body, shape any) {
	if s == nil {
		return nil, nil
	}
	body = []byte{}
	if s.Body != nil {
		body = s.Body
	}
	return body, string(s.Record())
}
