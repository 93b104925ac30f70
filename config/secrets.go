package config

import (
	"errors"
	"fmt"

	"github.com/hookd/hookd/secrets"
)

// Secrets configures the master key that seals the secrets hookd keeps
// at rest (endpoint secrets, source specs, the API-key hashing key).
type Secrets struct {
	// Key is the master key: the base64 of 32 bytes (openssl rand
	// -base64 32). It is a secret: never logged. Default none: KeyFile.
	Key string `yaml:"key"`
	// KeyFile holds the master key, in base64; it must not be readable
	// by group or others. Default for SQLite "<database path>.key",
	// created (mode 0600) with a random key when missing. PostgreSQL
	// needs Key or KeyFile, the same on every node.
	KeyFile string `yaml:"key_file"`
	// PreviousKeys are earlier master keys (base64) that still open
	// secrets sealed under them, while "hookd secrets rotate" re-seals
	// them under Key. Default none.
	PreviousKeys []string `yaml:"previous_keys"`
}

// validateSecrets checks the keys' form and that a PostgreSQL store has
// a key configured.
func (c *Config) validateSecrets(add func(string, error)) {
	s := c.Secrets
	if s.Key != "" {
		_, err := secrets.ParseKey(s.Key)
		add("secrets.key", err)
		if s.KeyFile != "" {
			add("secrets.key_file", errors.New("set secrets.key or secrets.key_file, not both"))
		}
	}
	for i, k := range s.PreviousKeys {
		if _, err := secrets.ParseKey(k); err != nil {
			add("secrets.previous_keys", fmt.Errorf("entry %d: %w", i+1, err))
		}
	}
	if driver, _, err := c.DB(); err == nil && driver == DriverPostgres && s.Key == "" && s.KeyFile == "" {
		add("secrets.key", errors.New("PostgreSQL needs the master key that seals secrets at rest: "+
			"set secrets.key (HOOKD_SECRETS_KEY, the base64 of 32 bytes: openssl rand -base64 32) or "+
			"secrets.key_file, the same on every node"))
	}
}

// SecretsKeyFile returns the file that holds the master key, and whether
// hookd creates it when missing (the SQLite default, "<db path>.key"). It
// returns "" when secrets.key is set.
func (c *Config) SecretsKeyFile() (path string, create bool) {
	if c.Secrets.Key != "" {
		return "", false
	}
	if c.Secrets.KeyFile != "" {
		return c.Secrets.KeyFile, false
	}
	if driver, dsn, err := c.DB(); err == nil && driver == DriverSQLite {
		return dsn + ".key", true
	}
	return "", false
}
