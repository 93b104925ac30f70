package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

// hashKeyName names the API-key hashing key in store_secrets.
const hashKeyName = "api_key_hashing"

// sealedColumn is a column that holds sealed values, with the associated
// data each is sealed with: adPrefix and the row's id.
type sealedColumn struct {
	table, id, col, adPrefix string
}

var sealedColumns = []sealedColumn{
	{"endpoints", "id", "secrets", "endpoint-secrets:"},
	{"sources", "id", "spec", "source-spec:"},
	{"store_secrets", "name", "value", "store-secret:"},
}

// cipherFor returns opts.Cipher, or one under the key in <path>.key,
// created when missing.
func cipherFor(path string, opts Options) (*secrets.Cipher, error) {
	if opts.Cipher != nil {
		return opts.Cipher, nil
	}
	k, _, err := secrets.LoadKeyFile(path+".key", true)
	if err != nil {
		return nil, err
	}
	return secrets.NewCipher(k)
}

// prepareFiles creates the database file readable by its owner only, so
// that SQLite creates its WAL and shared-memory files with the same mode,
// and takes group and other access away from those files if an earlier
// version created them wider.
func prepareFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("restrict %s: %w", p, err)
			}
		}
	}
	return nil
}

// seal seals plain (nil stays NULL) for the row named ad.
func (s *Store) seal(plain []byte, ad string) (any, error) {
	if len(plain) == 0 {
		return nil, nil
	}
	v, err := s.cipher.Seal(plain, ad)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// unseal opens what seal stored. A value an earlier version stored in
// clear is returned as it is (Open seals those).
func (s *Store) unseal(stored []byte, ad string) ([]byte, error) {
	if len(stored) == 0 || !secrets.IsSealed(string(stored)) {
		return stored, nil
	}
	return s.cipher.Open(string(stored), ad)
}

// initSecrets seals what an earlier version left in clear, and loads (or
// makes) the API-key hashing key.
func (s *Store) initSecrets(ctx context.Context) error {
	if _, err := s.reseal(ctx, `NOT LIKE 'hkenc:%'`); err != nil {
		return err
	}
	ad := sealedColumns[2].adPrefix + hashKeyName
	var stored string
	err := s.wdb.QueryRowContext(ctx, `SELECT value FROM store_secrets WHERE name = ?`, hashKeyName).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		k, err := secrets.GenerateKey()
		if err != nil {
			return err
		}
		if stored, err = s.cipher.Seal(k[:], ad); err != nil {
			return err
		}
		_, err = s.wdb.ExecContext(ctx, `INSERT INTO store_secrets (name, value, created_at) VALUES (?, ?, ?)`,
			hashKeyName, stored, micros(s.now()))
		if err != nil {
			return fmt.Errorf("store hashing key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("load hashing key: %w", err)
	}
	if s.hashKey, err = s.cipher.Open(stored, ad); err != nil {
		return fmt.Errorf("open hashing key (is secrets.key the key this database was sealed with?): %w", err)
	}
	return nil
}

// ResealSecrets seals every secret that is not sealed under the current
// key again under it.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	return s.reseal(ctx, `NOT LIKE '`+s.cipher.CurrentPrefix()+`%'`)
}

// reseal seals again the values of every sealed column whose text matches
// cond, in one transaction.
func (s *Store) reseal(ctx context.Context, cond string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, c := range sealedColumns {
			m, err := s.resealColumn(ctx, tx, c, cond)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", c.table, c.col, err)
			}
			n += m
		}
		m, err := s.resealReplies(ctx, tx, cond)
		if err != nil {
			return fmt.Errorf("idempotency_keys.ref_id: %w", err)
		}
		n += m
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	return n, nil
}

func (s *Store) resealColumn(ctx context.Context, tx *sql.Tx, c sealedColumn, cond string) (int, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s IS NOT NULL AND %s %s`,
		c.id, c.col, c.table, c.col, c.col, cond))
	if err != nil {
		return 0, err
	}
	type row struct{ id, val string }
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.val); err != nil {
			_ = rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, r := range todo {
		plain, err := s.unseal([]byte(r.val), c.adPrefix+r.id)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", c.table, r.id, err)
		}
		sealed, err := s.seal(plain, c.adPrefix+r.id)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, c.table, c.col, c.id),
			sealed, r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

var _ hookd.SecretStore = (*Store)(nil)

// prepare sets the database file's mode and the store's cipher.
func (s *Store) prepare(path string) (err error) {
	if err := prepareFiles(path); err != nil {
		return err
	}
	s.cipher, err = cipherFor(path, s.opts)
	return err
}
