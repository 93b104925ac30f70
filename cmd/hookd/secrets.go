package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/secrets"
)

// storeCipher returns the cipher that seals the store's secrets: under
// secrets.key, or the key in secrets.key_file (for SQLite by default
// "<db path>.key", created with a random key when missing), accepting
// secrets.previous_keys too. A non-nil newKey seals instead, with every
// configured key accepted: that is a rotation.
func storeCipher(cfg *config.Config, newKey *secrets.Key) (*secrets.Cipher, error) {
	var current secrets.Key
	var err error
	if cfg.Secrets.Key != "" {
		current, err = secrets.ParseKey(cfg.Secrets.Key)
	} else {
		path, create := cfg.SecretsKeyFile()
		if path == "" {
			return nil, errors.New("secrets.key or secrets.key_file is required with this database")
		}
		current, _, err = secrets.LoadKeyFile(path, create)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	keys := []secrets.Key{current}
	for _, text := range cfg.Secrets.PreviousKeys {
		k, err := secrets.ParseKey(text)
		if err != nil {
			return nil, fmt.Errorf("secrets.previous_keys: %w", err)
		}
		keys = append(keys, k)
	}
	if newKey != nil {
		keys = append([]secrets.Key{*newKey}, keys...)
	}
	return secrets.NewCipher(keys[0], keys[1:]...)
}

// storeFlags are the --config and --db flags of the commands that work on
// the store directly, loaded as "hookd serve" loads its configuration.
type storeFlags struct{ configPath, db string }

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.configPath, "config", "", "YAML configuration file (default ./hookd.yaml if it exists)")
	cmd.Flags().StringVar(&f.db, "db", "", fmt.Sprintf("store: sqlite:PATH or postgres://… (default %q)", config.DefaultDatabase))
}

func (f *storeFlags) load(cmd *cobra.Command, env []string) (*config.Config, error) {
	flags := map[string]string{}
	if cmd.Flags().Changed("db") {
		flags["db"] = f.db
	}
	cfg, err := config.Load(config.LoadOptions{Path: f.configPath, Env: env, Flags: flags})
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return cfg, nil
}

func newSecretsCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Manage the master key of the secrets kept at rest"}
	cmd.AddCommand(newRotateCmd(env, stdout, stderr))
	return cmd
}

func newRotateCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	var (
		sf              storeFlags
		newKey, newFile string
	)
	cmd := &cobra.Command{
		Use:   "rotate (--new-key KEY | --new-key-file FILE)",
		Short: "Seal every secret at rest again under a new master key",
		Long: "Seal every secret at rest (endpoint secrets, source specs, the API-key hashing key) " +
			"again under a new master key, opening them with the configured key and secrets.previous_keys. " +
			"--new-key-file is created with a random key when it does not exist. Then configure the new " +
			"key as secrets.key (or secrets.key_file) and the old one in secrets.previous_keys until every " +
			"node runs with the new key. On SQLite, stop hookd first: one process owns the file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (newKey == "") == (newFile == "") {
				return &usageError{errors.New("give exactly one of --new-key and --new-key-file")}
			}
			k, err := rotationKey(newKey, newFile)
			if err != nil {
				return err
			}
			cfg, err := sf.load(cmd, env)
			if err != nil {
				return err
			}
			return rotate(cmd.Context(), cfg, k, stdout, stderr)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&newKey, "new-key", "", "the new master key, base64 of 32 bytes (prefer --new-key-file: flags show in ps)")
	cmd.Flags().StringVar(&newFile, "new-key-file", "", "file holding the new master key; created (0600) with a random key when missing")
	return cmd
}

// rotationKey reads the new master key from the flag or the file.
func rotationKey(text, path string) (secrets.Key, error) {
	if text != "" {
		k, err := secrets.ParseKey(text)
		if err != nil {
			return secrets.Key{}, &usageError{fmt.Errorf("--new-key: %w", err)}
		}
		return k, nil
	}
	k, _, err := secrets.LoadKeyFile(path, true)
	if err != nil {
		return secrets.Key{}, fmt.Errorf("--new-key-file: %w", err)
	}
	return k, nil
}

// rotate opens the store with the new key sealing and re-seals.
func rotate(ctx context.Context, cfg *config.Config, k secrets.Key, stdout, stderr io.Writer) error {
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	c, err := storeCipher(cfg, &k)
	if err != nil {
		return err
	}
	store, err := openStoreWith(ctx, cfg, c, logger, migrateHooks{})
	if err != nil {
		return err
	}
	n, err := store.ResealSecrets(ctx)
	if cerr := store.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "sealed %d secrets again under the new master key (id %s).\n"+
		"Now set it as secrets.key or secrets.key_file, and keep the old key in secrets.previous_keys "+
		"until every node has restarted with the new one.\n", n, k.ID())
	return err
}
