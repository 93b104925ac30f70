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

	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/sqlite"
)

func newRestoreCmd(env []string, stdout io.Writer) *cobra.Command {
	var (
		sf    storeFlags
		from  string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "restore --from BACKUP [--db FILE] [--force]",
		Short: "Put a backup made by hookd backup in place of a SQLite store",
		Long: "Put a backup in place of the SQLite database (--db, else the configuration as \"hookd " +
			"serve\" reads it). The backup is checked first (PRAGMA integrity_check), and so is the " +
			"master key: the configured one (secrets.key, secrets.key_file, else <db>.key), or, when " +
			"that file does not exist, BACKUP.key, which is then put in its place. A database that a " +
			"running hookd holds is refused, and so is one that holds data, unless --force.",
		Example: "  hookd restore --from /backups/hookd-2026-05-01.db --db /var/lib/hookd/hookd.db --force",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return &usageError{errors.New("--from BACKUP is required (see 'hookd restore --help')")}
			}
			cfg, db, err := sqliteConfig(cmd, &sf, env, "restore")
			if err != nil {
				return err
			}
			return restore(cmd.Context(), cfg, from, db, force, stdout)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&from, "from", "", "the backup to restore, a file written by hookd backup")
	cmd.Flags().BoolVar(&force, "force", false, "replace a database that holds data")
	return cmd
}

// restore checks the backup and its key, and puts it in place.
func restore(ctx context.Context, cfg *config.Config, from, db string, force bool, stdout io.Writer) error {
	in, err := sqlite.Inspect(ctx, from)
	if err != nil {
		return err
	}
	key, err := restoreKey(cfg, from, in.KeyID)
	if err != nil {
		return err
	}
	if err := sqlite.CheckKey(ctx, from, key.cipher); err != nil {
		if errors.Is(err, sqlite.ErrWrongKey) {
			return fmt.Errorf("the master key %s (id %s) cannot open the secrets of %s: they are sealed under the key "+
				"with id %s; put that key in %s, or configure it (secrets.key_file or secrets.key)",
				key.where, key.cipher.KeyID(), from, in.KeyID, key.dest())
		}
		return err
	}
	err = sqlite.Restore(ctx, from, db, force, in)
	switch {
	case errors.Is(err, sqlite.ErrLocked):
		return fmt.Errorf("%s is open in a running hookd (its lock is held): stop it first; nothing was changed", db)
	case errors.Is(err, sqlite.ErrNotEmpty):
		return fmt.Errorf("%s holds a database: give --force to replace it with the backup; nothing was changed", db)
	case err != nil:
		return err
	}
	note := fmt.Sprintf("Its secrets open with the master key %s (id %s).", key.where, key.cipher.KeyID())
	if key.install != nil {
		if err := writeKeyFileOver(key.path, *key.install); err != nil {
			return fmt.Errorf("restored %s, but could not put its master key in place: %w", db, err)
		}
		note = fmt.Sprintf("Its master key (id %s) was copied from %s to %s.", key.install.ID(), from+".key", key.path)
	}
	var s strings.Builder
	fmt.Fprintf(&s, "restored %s\n    into %s (integrity ok)\n\n", from, db)
	writeInspection(&s, in)
	fmt.Fprintf(&s, "\n%s\n", note)
	_, err = io.WriteString(stdout, s.String())
	return err
}

// restoreSecret is the master key a restore checks the backup with.
type restoreSecret struct {
	cipher  *secrets.Cipher
	where   string       // how the key was found, for messages
	path    string       // the database's key file, "" when the key is inline
	install *secrets.Key // a key to write at path once restored
}

// dest names where the backup's key should go.
func (k *restoreSecret) dest() string {
	if k.path == "" {
		return "secrets.key"
	}
	return k.path
}

// restoreKey finds the master key: the configured one, or the backup's
// key file when the database has none yet.
func restoreKey(cfg *config.Config, from, sealedWith string) (*restoreSecret, error) {
	path, _ := cfg.SecretsKeyFile()
	if path == "" {
		c, err := storeCipher(cfg, nil)
		if err != nil {
			return nil, err
		}
		return &restoreSecret{cipher: c, where: "set as secrets.key"}, nil
	}
	if _, err := os.Stat(path); err == nil {
		c, err := storeCipher(cfg, nil)
		if err != nil {
			return nil, err
		}
		return &restoreSecret{cipher: c, where: "in " + path, path: path}, nil
	}
	beside := from + ".key"
	k, _, err := secrets.LoadKeyFile(beside, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no master key to open the backup's secrets (sealed under the key with id %s): %s does "+
			"not exist and there is no %s; put that key file at %s", sealedWith, path, beside, path)
	}
	if err != nil {
		return nil, err
	}
	c, err := secrets.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return &restoreSecret{cipher: c, where: "in " + beside, path: path, install: &k}, nil
}
