package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookd/hookd"
)

// querier is what the pool, a connection and a transaction share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// scanner is what pgx.Row and pgx.Rows share.
type scanner interface {
	Scan(dest ...any) error
}

// ts binds a time as a nullable timestamptz: NULL for the zero time, else
// the time to the microsecond.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// lowerBound binds a time that bounds a range from below: the zero time
// is -infinity, below every time.
func lowerBound(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	}
	return ts(t)
}

// fromTS decodes what ts encoded, in UTC; NULL is the zero time.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}

// jsonText binds raw JSON as json, or NULL when empty.
func jsonText(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// encodeJSON binds v as json; empty values (nil slices and maps) bind
// NULL.
func encodeJSON[T any](v []T) (*string, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonText(b), nil
}

// encodeMap binds a map as json, or NULL when empty.
func encodeMap(m map[string]string) (*string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return jsonText(b), nil
}

// decodeJSON decodes a nullable json column into v; NULL leaves v alone.
func decodeJSON(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// rawJSON returns a json column as a RawMessage, nil for NULL.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// nullString returns s, or NULL when empty.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// safeText returns s as PostgreSQL text can hold it: text must be valid
// UTF-8 without NUL bytes. Free-form strings from the network (an error
// message quoting a response, a request path) are cleaned rather than
// failing a whole group commit; identifiers and validated fields never
// need it.
func safeText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// where builds a WHERE clause from conditions joined by AND. Each "?" in
// a condition becomes the next numbered parameter.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for _, part := range strings.SplitAfter(cond, "?") {
		if p, ok := strings.CutSuffix(part, "?"); ok {
			w.args = append(w.args, nil)
			part = p + "$" + strconv.Itoa(len(w.args))
		}
		b.WriteString(part)
	}
	copy(w.args[len(w.args)-len(args):], args)
	w.conds = append(w.conds, b.String())
}

// eq adds "col = ?" for each non-empty value.
func (w *where) eq(cols, vals []string) {
	for i, v := range vals {
		if v != "" {
			w.add(cols[i]+" = ?", v)
		}
	}
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

// next returns the placeholder of the parameter after w's.
func (w *where) next() string { return "$" + strconv.Itoa(len(w.args)+1) }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// PostgreSQL error codes the store maps.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE of err, "" when it is not a server error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// conflict turns a unique violation into ECONFLICT and leaves anything
// else as it is.
func conflict(err error, format string, args ...any) error {
	if pgCode(err) == codeUniqueViolation {
		e := hookd.Errorf(hookd.ECONFLICT, format, args...)
		e.Err = err
		return e
	}
	return unavailable(err)
}

// notFound turns pgx.ErrNoRows into ENOTFOUND (and see unavailable).
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return hookd.Errorf(hookd.ENOTFOUND, format, args...)
	}
	return unavailable(err)
}

// wrap adds context to a non-nil error, which is EUNAVAILABLE when the
// server could not write for lack of resources (see unavailable).
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, unavailable(err))
}

// list runs a query and scans its rows.
func list[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
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

// execOne runs a statement meant to change one row, and returns missing
// when it changed none.
func execOne(ctx context.Context, q querier, query string, missing error, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return unavailable(err)
	}
	if tag.RowsAffected() == 0 {
		return missing
	}
	return nil
}

// dedupe returns ids without repeats, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// tenantNotFound turns pgx.ErrNoRows into the ENOTFOUND of the tenant.
func tenantNotFound(err error, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return hookd.TenantNotFound(id)
	}
	return err
}

// encodeShape binds a delivery's shape as its body and shape columns,
// both NULL when there is none.
func encodeShape(s *hookd.Shape) (body []byte, shape *string) {
	if s == nil {
		return nil, nil
	}
	text := string(s.Record())
	return s.Body, &text
}
