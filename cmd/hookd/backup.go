package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
)

func newBackupCmd(env []string, stdout io.Writer) *cobra.Command {
	var (
		sf             storeFlags
		out            string
		withKey, force bool
	)
	cmd := &cobra.Command{
		Use:   "backup [--db FILE] --to OUT [--with-key] [--force]",
		Short: "Write a consistent copy of a SQLite store, while hookd serves it",
		Long: "Write a consistent copy of the SQLite database (--db, else the configuration as \"hookd " +
			"serve\" reads it) into OUT with SQLite's VACUUM INTO: the database as it was at one " +
			"instant, taken beside a running \"hookd serve\", which goes on writing. The copy is " +
			"checked (PRAGMA integrity_check) and its rows counted. Its secrets stay sealed under " +
			"the master key, which is not in the copy: back the key file up too (--with-key copies " +
			"it to OUT.key). For PostgreSQL, use pg_dump: see docs/backups.md.",
		Example: "  hookd backup --db /var/lib/hookd/hookd.db --to /backups/hookd-$(date +%F).db\n" +
			"  hookd backup --to backup.db --with-key --force",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &usageError{errors.New("--to OUT is required (see 'hookd backup --help')")}
			}
			cfg, db, err := sqliteConfig(cmd, &sf, env, "backup")
			if err != nil {
				return err
			}
			b := &backup{cfg: cfg, db: db, out: out, withKey: withKey, force: force}
			return b.run(cmd, stdout)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&out, "to", "", "the file to write the copy to")
	cmd.Flags().BoolVar(&withKey, "with-key", false, "copy the master key file beside the copy, as OUT.key (0600)")
	cmd.Flags().BoolVar(&force, "force", false, "replace OUT (and OUT.key) when they exist")
	return cmd
}

// sqliteConfig loads the configuration of a command that works on a SQLite
// file, taking --db FILE as sqlite:FILE, and returns it with the file's
// path.
func sqliteConfig(cmd *cobra.Command, sf *storeFlags, env []string, what string) (*config.Config, string, error) {
	notSQLite := &usageError{fmt.Errorf("hookd %s works on a SQLite file; for PostgreSQL use pg_dump and pg_restore (see docs/backups.md)", what)}
	switch {
	case strings.Contains(sf.db, "://"):
		return nil, "", notSQLite
	case sf.db != "" && !strings.HasPrefix(sf.db, "sqlite:"):
		sf.db = "sqlite:" + sf.db
	}
	cfg, err := sf.load(cmd, env)
	if err != nil {
		return nil, "", err
	}
	driver, path, err := cfg.DB()
	if err != nil {
		return nil, "", &usageError{fmt.Errorf("db: %w", err)}
	}
	if driver != config.DriverSQLite {
		return nil, "", notSQLite
	}
	return cfg, path, nil
}

type backup struct {
	cfg            *config.Config
	db, out        string
	withKey, force bool
}

func (b *backup) run(cmd *cobra.Command, stdout io.Writer) error {
	keyPath, _ := b.cfg.SecretsKeyFile()
	key, err := b.keyToCopy(keyPath)
	if err != nil {
		return err
	}
	if err := b.checkTargets(); err != nil {
		return err
	}
	in, err := b.write(cmd.Context(), key)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("The secrets in the backup are sealed under the master key (id %s), %s, which the backup "+
		"does not hold: back it up too, apart from the backup. Without it, the endpoint secrets, source specs "+
		"and API keys in the backup cannot be used (or give --with-key).", in.KeyID, keyPlace(keyPath))
	if key != nil {
		dst := b.out + ".key"
		if err := writeKeyFileOver(dst, *key); err != nil {
			return fmt.Errorf("--with-key: %w", err)
		}
		note = fmt.Sprintf("The master key (id %s) was copied from %s to %s (0600): whoever holds both files can "+
			"read every secret; store them accordingly.", key.ID(), keyPath, dst)
	}
	return b.report(stdout, in, note)
}

// keyPlace says where the master key is configured.
func keyPlace(keyPath string) string {
	if keyPath == "" {
		return "set inline as secrets.key"
	}
	return "in " + keyPath
}

// keyToCopy reads the key file --with-key copies, nil without it.
func (b *backup) keyToCopy(keyPath string) (*secrets.Key, error) {
	if !b.withKey {
		return nil, nil
	}
	if keyPath == "" {
		return nil, &usageError{errors.New("--with-key copies a key file, and the master key is set inline (secrets.key): keep a copy of that value instead")}
	}
	k, _, err := secrets.LoadKeyFile(keyPath, false)
	if err != nil {
		return nil, fmt.Errorf("--with-key: %w", err)
	}
	return &k, nil
}

// checkTargets refuses files that exist, unless --force, and the database
// itself.
func (b *backup) checkTargets() error {
	targets := []string{b.out}
	if b.withKey {
		targets = append(targets, b.out+".key")
	}
	for _, p := range targets {
		if _, err := os.Stat(p); err == nil && !b.force {
			return fmt.Errorf("%s exists: give --force to replace it", p)
		}
	}
	dbInfo, err := os.Stat(b.db)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if outInfo, err := os.Stat(b.out); err == nil && os.SameFile(dbInfo, outInfo) {
		return &usageError{fmt.Errorf("--to %s is the database itself", b.out)}
	}
	return nil
}

// write makes the backup in a temporary file, checks it (with key, when
// one is to be copied beside it: it must open the backup's secrets) and
// renames it into place.
func (b *backup) write(ctx context.Context, key *secrets.Key) (*sqlite.Inspection, error) {
	tmp := b.out + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := sqlite.Backup(ctx, b.db, tmp); err != nil {
		return nil, err
	}
	in, err := sqlite.Inspect(ctx, tmp)
	if err == nil && key != nil {
		err = checkKey(ctx, tmp, *key)
	}
	if err == nil {
		err = os.Rename(tmp, b.out)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("check the backup: %w", err)
	}
	return in, sqlite.SyncDir(filepath.Dir(b.out))
}

// checkKey fails unless k opens the secrets of the database at path.
func checkKey(ctx context.Context, path string, k secrets.Key) error {
	c, err := secrets.NewCipher(k)
	if err != nil {
		return err
	}
	return sqlite.CheckKey(ctx, path, c)
}

func (b *backup) report(w io.Writer, in *sqlite.Inspection, note string) error {
	size := int64(0)
	if fi, err := os.Stat(b.out); err == nil {
		size = fi.Size()
	}
	var s strings.Builder
	fmt.Fprintf(&s, "backed up %s\n       to %s (%d bytes, integrity ok)\n\n", b.db, b.out, size)
	writeInspection(&s, in)
	fmt.Fprintf(&s, "\n%s\n", note)
	_, err := io.WriteString(w, s.String())
	return err
}

// writeInspection writes the row counts of a database file.
func writeInspection(s *strings.Builder, in *sqlite.Inspection) {
	fmt.Fprintf(s, "%-18s %10s\n", "KIND", "ROWS")
	for _, c := range in.Counts {
		fmt.Fprintf(s, "%-18s %10d\n", c.Kind, c.Rows)
	}
}

// writeKeyFileOver writes k at path (0600), replacing a file there.
func writeKeyFileOver(path string, k secrets.Key) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := secrets.WriteKeyFile(tmp, k); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return sqlite.SyncDir(filepath.Dir(path))
}
