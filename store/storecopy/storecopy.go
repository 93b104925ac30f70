// Package storecopy moves a whole hookd installation from one store into
// another (hookd copy): SQLite to PostgreSQL, and back, through the
// stores' hookd.Exporter and hookd.Importer.
//
// Rows go across kind by kind (hookd.Kinds), in pages of Options.PageSize
// rows, each page written in one transaction of the target: a large
// installation is never held in memory at once. Secrets travel in clear
// between the two stores, in memory only: the source opens them with its
// master key, the target seals them with its own.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hookd/hookd"
)

// DefaultPageSize is the number of rows a page holds when
// Options.PageSize is zero.
const DefaultPageSize = 1000

// ErrTargetNotEmpty is the cause of the ECONFLICT of a copy into a store
// that holds data, without Options.Replace.
var ErrTargetNotEmpty = errors.New("the target is not empty")

// Options tunes Copy. The zero value is the default.
type Options struct {
	// PageSize is the number of rows read, and written in one
	// transaction, at a time. Zero means DefaultPageSize.
	PageSize int
	// Replace lets Copy clear a target that holds data (hookd.Importer's
	// Clear) before copying. Default false: such a target is refused with
	// ECONFLICT, and nothing is written.
	Replace bool
	// ProgressFunc, when set, is called after each page written, with its
	// kind and the rows of that kind copied so far. Default: none.
	ProgressFunc func(kind hookd.Kind, copied int64)
}

// Count is what a copy found of one kind.
type Count struct {
	Kind   hookd.Kind
	Source int64 // rows in the source before the copy
	Copied int64 // rows written
	Target int64 // rows in the target after the copy
}

// OK reports whether the three numbers agree.
func (c Count) OK() bool { return c.Source == c.Copied && c.Copied == c.Target }

// Copy copies every row of every kind from one store into the other, then
// counts each kind on both sides. A target holding data is refused unless
// opts.Replace. When the counts differ (the source was written meanwhile),
// it returns the counts with an error saying which kinds differ.
func Copy(ctx context.Context, from hookd.Exporter, to hookd.Importer, opts Options) ([]Count, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if err := prepareTarget(ctx, to, opts.Replace); err != nil {
		return nil, err
	}
	counts := make([]Count, 0, len(hookd.Kinds()))
	for _, k := range hookd.Kinds() {
		c, err := copyKind(ctx, from, to, k, opts)
		if err != nil {
			return nil, err
		}
		counts = append(counts, c)
	}
	var bad []string
	for _, c := range counts {
		if !c.OK() {
			bad = append(bad, fmt.Sprintf("%s (source %d, copied %d, target %d)", c.Kind, c.Source, c.Copied, c.Target))
		}
	}
	if len(bad) > 0 {
		return counts, hookd.Errorf(hookd.ECONFLICT, "the counts differ for %s: was the source written during the copy?",
			strings.Join(bad, ", "))
	}
	return counts, nil
}

func copyKind(ctx context.Context, from hookd.Exporter, to hookd.Importer, k hookd.Kind, opts Options) (Count, error) {
	c := Count{Kind: k}
	var err error
	if c.Source, err = from.Count(ctx, k); err != nil {
		return c, fmt.Errorf("count source %s: %w", k, err)
	}
	for page, err := range from.Export(ctx, k, opts.PageSize) {
		if err != nil {
			return c, fmt.Errorf("read %s: %w", k, err)
		}
		if err := to.Import(ctx, page); err != nil {
			return c, fmt.Errorf("write %s: %w", k, err)
		}
		c.Copied += int64(page.Count(k))
		if opts.ProgressFunc != nil {
			opts.ProgressFunc(k, c.Copied)
		}
	}
	if c.Target, err = to.Count(ctx, k); err != nil {
		return c, fmt.Errorf("count target %s: %w", k, err)
	}
	return c, nil
}

// prepareTarget refuses a target that holds data, or clears it when
// replace is set.
func prepareTarget(ctx context.Context, to hookd.Importer, replace bool) error {
	held, err := holds(ctx, to)
	if err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	if !replace {
		e := hookd.Errorf(hookd.ECONFLICT, "the target is not empty: it holds %s", strings.Join(held, ", "))
		e.Err = ErrTargetNotEmpty
		return e
	}
	if err := to.Clear(ctx); err != nil {
		return fmt.Errorf("clear target: %w", err)
	}
	return nil
}

// holds returns what s holds beyond what every new store holds (the
// default tenant and its own store secrets), as "kind=N" strings; none
// for a store just created.
func holds(ctx context.Context, s hookd.Importer) ([]string, error) {
	var held []string
	for _, k := range hookd.Kinds() {
		if k == hookd.KindStoreSecrets {
			continue
		}
		n, err := s.Count(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("count target %s: %w", k, err)
		}
		if k == hookd.KindTenants {
			n-- // the default tenant
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s=%d", k, n))
		}
	}
	return held, nil
}
