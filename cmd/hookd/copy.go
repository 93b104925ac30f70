package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
	"github.com/hookd/hookd/store/storecopy"
)

// copyFlags are the flags of "hookd copy".
type copyFlags struct {
	from, to             string
	fromKey, fromKeyFile string
	toKey, toKeyFile     string
	force                bool
	pageSize             int
}

func newCopyCmd(stdout, stderr io.Writer) *cobra.Command {
	var f copyFlags
	cmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH|PATH|postgres://… --to postgres://…|sqlite:PATH",
		Short: "Copy a whole installation into another store (SQLite to PostgreSQL, and back)",
		Long: "Copy everything a store holds into another one: tenants, API keys (with their hashing " +
			"key, so that they keep working), the event catalog, endpoints and sources with their " +
			"secrets (opened with the source's master key, sealed with the target's), events, " +
			"deliveries with their state, next attempt and attempts, bulk retries, idempotency keys " +
			"and the inbound request log. The target is migrated first and must be empty (--force " +
			"erases it first). Rows go across in pages, each written in one transaction; then every " +
			"kind is counted on both sides.\n\n" +
			"Stop hookd on the source first (on SQLite the file's lock makes sure of it). The source's " +
			"master key is <path>.key for a SQLite file unless --from-secrets-key(-file) says otherwise, " +
			"and is required for PostgreSQL. The target seals under --to-secrets-key(-file) (a file " +
			"that does not exist is created with a new key); without them, a SQLite target uses " +
			"<path>.key and a PostgreSQL target the source's key.",
		Example: "  hookd copy --from /var/lib/hookd/hookd.db --to postgres://hookd@db:5432/hookd\n" +
			"  hookd copy --from backup.db --to postgres://hookd@db:5432/hookd --force\n" +
			"  hookd copy --from postgres://hookd@db:5432/hookd --from-secrets-key-file hookd.key --to sqlite:hookd.db",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, to, err := f.check()
			if err != nil {
				return err
			}
			return runCopy(cmd.Context(), &f, from, to, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "the store to copy: sqlite:PATH, a file path, or postgres://…")
	fl.StringVar(&f.to, "to", "", "the store to copy into: postgres://… or sqlite:PATH")
	fl.StringVar(&f.fromKey, "from-secrets-key", "", "master key of the source's secrets, base64 (prefer the -file flag: flags show in ps)")
	fl.StringVar(&f.fromKeyFile, "from-secrets-key-file", "", "file holding the source's master key (default <path>.key for SQLite)")
	fl.StringVar(&f.toKey, "to-secrets-key", "", "master key to seal the target's secrets with, base64")
	fl.StringVar(&f.toKeyFile, "to-secrets-key-file", "", "file holding the target's master key; created (0600) with a new key when missing")
	fl.BoolVar(&f.force, "force", false, "erase what the target holds before copying, instead of refusing")
	fl.IntVar(&f.pageSize, "page-size", storecopy.DefaultPageSize, "rows read, and written in one transaction, at a time")
	return cmd
}

// check refuses flag combinations that cannot work, before anything is
// opened, and returns the configurations of the two stores.
func (f *copyFlags) check() (from, to *config.Config, err error) {
	switch {
	case f.from == "" || f.to == "":
		return nil, nil, &usageError{errors.New("both --from and --to are required (see 'hookd copy --help')")}
	case f.fromKey != "" && f.fromKeyFile != "":
		return nil, nil, &usageError{errors.New("give at most one of --from-secrets-key and --from-secrets-key-file")}
	case f.toKey != "" && f.toKeyFile != "":
		return nil, nil, &usageError{errors.New("give at most one of --to-secrets-key and --to-secrets-key-file")}
	case f.pageSize < 1 || f.pageSize > 100000:
		return nil, nil, &usageError{fmt.Errorf("--page-size must be between 1 and 100000, not %d", f.pageSize)}
	}
	if f.toKey != "" {
		if _, err := secrets.ParseKey(f.toKey); err != nil {
			return nil, nil, &usageError{fmt.Errorf("--to-secrets-key: %w", err)}
		}
	}
	if from, err = storeConfig("--from", f.from); err != nil {
		return nil, nil, err
	}
	if to, err = storeConfig("--to", f.to); err != nil {
		return nil, nil, err
	}
	if from.Database == to.Database {
		return nil, nil, &usageError{errors.New("--from and --to name the same store")}
	}
	return from, to, nil
}

// storeConfig is the configuration of the store a --from or --to flag
// names: sqlite:PATH, postgres://… or a bare file path.
func storeConfig(flag, spec string) (*config.Config, error) {
	cfg := config.Default()
	cfg.Database = spec
	if !strings.HasPrefix(spec, "sqlite:") && !strings.Contains(spec, "://") {
		cfg.Database = "sqlite:" + spec // a bare file path
	}
	if _, _, err := cfg.DB(); err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", flag, err)}
	}
	return cfg, nil
}

// runCopy opens both stores and copies. The target's master key is
// taken (and a new key file made, when that is its source) only once the
// source has opened, so that a refused source leaves nothing behind.
func runCopy(ctx context.Context, f *copyFlags, from, to *config.Config, stdout, stderr io.Writer) error {
	fromKey, err := sourceCipher(from, f)
	if err != nil {
		return err
	}
	logger, err := newLogger(from.Log, stderr)
	if err != nil {
		return err
	}
	src, err := openStoreWith(ctx, from, fromKey.cipher, logger, migrateHooks{})
	if errors.Is(err, sqlite.ErrLocked) {
		return fmt.Errorf("open the source: %w (stop hookd serve first, or copy from a backup: hookd backup)", err)
	}
	if err != nil {
		return fmt.Errorf("open the source: %w", err)
	}
	defer src.Close()
	toCipher, keyNote, err := targetCipher(to, f, fromKey)
	if err != nil {
		return err
	}
	dst, err := openStoreWith(ctx, to, toCipher, logger, migrateHooks{})
	if errors.Is(err, sqlite.ErrLocked) {
		return fmt.Errorf("open the target: %w (stop hookd serve first)", err)
	}
	if err != nil {
		return fmt.Errorf("open the target: %w", err)
	}
	defer dst.Close()
	return copyStores(ctx, src, dst, f, describeDatabase(from), describeDatabase(to), keyNote, stdout, stderr)
}

// copyStores copies src into dst and prints the counts.
func copyStores(ctx context.Context, src, dst hookd.Store, f *copyFlags, from, to, keyNote string, stdout, stderr io.Writer) error {
	exp, ok1 := src.(hookd.Exporter)
	imp, ok2 := dst.(hookd.Importer)
	if !ok1 || !ok2 {
		return errors.New("these stores cannot be copied")
	}
	counts, err := storecopy.Copy(ctx, exp, imp, storecopy.Options{
		PageSize: f.pageSize,
		Replace:  f.force,
		ProgressFunc: func(k hookd.Kind, n int64) {
			if n%int64(10*f.pageSize) == 0 {
				fmt.Fprintf(stderr, "copying %s: %d rows so far…\n", k, n)
			}
		},
	})
	if errors.Is(err, storecopy.ErrTargetNotEmpty) {
		return fmt.Errorf("%s: %s; nothing was copied: give --force to erase it and copy anyway", to, hookd.ErrorMessage(err))
	}
	if counts != nil {
		fmt.Fprintf(stdout, "copied %s\n    to %s\n\n", from, to)
		if werr := printCounts(stdout, counts); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "\nevery count matches.\n%s\n", keyNote)
	return err
}

// printCounts writes the counts as a table, a mark beside a kind whose
// numbers differ.
func printCounts(w io.Writer, counts []storecopy.Count) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %10s %10s %10s\n", "KIND", "SOURCE", "COPIED", "TARGET")
	for _, c := range counts {
		mark := ""
		if !c.OK() {
			mark = "  <- differs"
		}
		fmt.Fprintf(&b, "%-18s %10d %10d %10d%s\n", c.Kind, c.Source, c.Copied, c.Target, mark)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// masterKey is a cipher with where its key came from, for messages.
type masterKey struct {
	cipher *secrets.Cipher
	where  string // "in FILE" or "given with FLAG"
}

// sourceCipher returns the cipher that opens the source's secrets.
func sourceCipher(cfg *config.Config, f *copyFlags) (*masterKey, error) {
	cfg.Secrets.Key, cfg.Secrets.KeyFile = f.fromKey, f.fromKeyFile
	where := "in " + f.fromKeyFile
	if f.fromKey != "" {
		where = "given with --from-secrets-key"
	}
	driver, dsn, _ := cfg.DB()
	if f.fromKey == "" && f.fromKeyFile == "" {
		if driver != config.DriverSQLite {
			return nil, &usageError{errors.New("a PostgreSQL source needs its master key: --from-secrets-key-file FILE or --from-secrets-key KEY")}
		}
		// The source's key must exist: a new one would open nothing.
		cfg.Secrets.KeyFile = dsn + ".key"
		where = "in " + cfg.Secrets.KeyFile
		if _, err := os.Stat(cfg.Secrets.KeyFile); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("the source's master key %s does not exist: give --from-secrets-key-file", cfg.Secrets.KeyFile)
		}
	}
	c, err := storeCipher(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("the source's master key: %w", err)
	}
	return &masterKey{cipher: c, where: where}, nil
}

// targetCipher returns the cipher that seals the target's secrets, and a
// sentence saying which key that is.
func targetCipher(cfg *config.Config, f *copyFlags, source *masterKey) (*secrets.Cipher, string, error) {
	driver, dsn, _ := cfg.DB()
	switch {
	case f.toKey != "":
		k, err := secrets.ParseKey(f.toKey)
		if err != nil {
			return nil, "", &usageError{fmt.Errorf("--to-secrets-key: %w", err)}
		}
		return cipherNote(k, "The target's secrets are sealed under the master key given (id "+k.ID()+").")
	case f.toKeyFile != "":
		k, created, err := secrets.LoadKeyFile(f.toKeyFile, true)
		if err != nil {
			return nil, "", fmt.Errorf("--to-secrets-key-file: %w", err)
		}
		note := "The target's secrets are sealed under the master key in " + f.toKeyFile
		if created {
			note += " (created now)"
		}
		return cipherNote(k, note+": configure it as secrets.key_file to serve the target.")
	case driver == config.DriverSQLite:
		// No key configured: storeCipher takes <path>.key, as "hookd
		// serve" does, and creates it when missing.
		c, err := storeCipher(cfg, nil)
		if err != nil {
			return nil, "", fmt.Errorf("the target's master key: %w", err)
		}
		return c, "The target's secrets are sealed under the master key in " + dsn + ".key (its default).", nil
	}
	return source.cipher, fmt.Sprintf("The target's secrets are sealed under the source's master key (id %s), %s: "+
		"serve the target with that key (secrets.key_file or secrets.key).", source.cipher.KeyID(), source.where), nil
}

// cipherNote returns a cipher under k with a note on it.
func cipherNote(k secrets.Key, note string) (*secrets.Cipher, string, error) {
	c, err := secrets.NewCipher(k)
	if err != nil {
		return nil, "", err
	}
	return c, note, nil
}
