package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// bulkSizes are the row counts of an inserter's statements, largest first:
// rows go in as many 64-row statements as fit, and the rest in at most six
// smaller ones, which saves most of the cost of a statement per row.
var bulkSizes = [...]int{64, 32, 16, 8, 4, 2, 1}

// inserter inserts rows into one table with multi-row INSERTs prepared once
// on the write connection.
type inserter struct {
	cols  int
	stmts [len(bulkSizes)]*sql.Stmt
}

func newInserter(ctx context.Context, db *sql.DB, table, cols string) (*inserter, error) {
	in, err := newBulk(ctx, db, strings.Count(cols, ",")+1, func(rows string) string {
		return "INSERT INTO " + table + " (" + cols + ") VALUES " + rows
	})
	if err != nil {
		return nil, fmt.Errorf("prepare insert into %s: %w", table, err)
	}
	return in, nil
}

// newBulk prepares a statement for each of bulkSizes from query, which
// places the rows, "(?, …), (?, …)", of cols values each.
func newBulk(ctx context.Context, db *sql.DB, cols int, query func(rows string) string) (*inserter, error) {
	in := &inserter{cols: cols}
	row := "(" + placeholders(cols) + ")"
	for i, n := range bulkSizes {
		st, err := db.PrepareContext(ctx, query(strings.Repeat(row+", ", n-1)+row))
		if err != nil {
			_ = in.close()
			return nil, err
		}
		in.stmts[i] = st
	}
	return in, nil
}

// exec runs the statements over the rows whose values args holds, in.cols
// per row, within tx.
func (in *inserter) exec(ctx context.Context, tx *sql.Tx, args []any) error {
	for i, n := range bulkSizes {
		size := n * in.cols
		if len(args) < size {
			continue
		}
		st := tx.StmtContext(ctx, in.stmts[i])
		for len(args) >= size {
			if _, err := st.ExecContext(ctx, args[:size]...); err != nil {
				return err
			}
			args = args[size:]
		}
	}
	return nil
}

func (in *inserter) close() error {
	if in == nil {
		return nil
	}
	var errs []error
	for _, st := range in.stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
