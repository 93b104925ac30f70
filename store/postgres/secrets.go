package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/secrets"
)

var _ hookd.SecretStore = (*Store)(nil)

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

// seal seals plain (nil stays NULL) for the row named ad.
func (s *Store) seal(plain []byte, ad string) (*string, error) {
	if len(plain) == 0 {
		return nil, nil
	}
	v, err := s.opts.Cipher.Seal(plain, ad)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// unseal opens what seal stored. A value an earlier version stored in
// clear is returned as it is (Open seals those).
func (s *Store) unseal(stored []byte, ad string) ([]byte, error) {
	if len(stored) == 0 || !secrets.IsSealed(string(stored)) {
		return stored, nil
	}
	return s.opts.Cipher.Open(string(stored), ad)
}

// initSecrets seals what an earlier version left in clear, and loads (or
// makes) the API-key hashing key. Nodes starting together make one key:
// the first insert wins and every node reads the key stored.
func (s *Store) initSecrets(ctx context.Context) error {
	if _, err := s.reseal(ctx, `NOT LIKE 'hkenc:%'`); err != nil {
		return err
	}
	ad := sealedColumns[2].adPrefix + hashKeyName
	k, err := secrets.GenerateKey()
	if err != nil {
		return err
	}
	fresh, err := s.opts.Cipher.Seal(k[:], ad)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO store_secrets (name, value, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, hashKeyName, fresh, s.now())
	if err != nil {
		return fmt.Errorf("store hashing key: %w", err)
	}
	var stored string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM store_secrets WHERE name = $1`, hashKeyName).Scan(&stored); err != nil {
		return fmt.Errorf("load hashing key: %w", err)
	}
	if s.hashKey, err = s.opts.Cipher.Open(stored, ad); err != nil {
		return fmt.Errorf("open hashing key (is secrets.key the key this database was sealed with?): %w", err)
	}
	return nil
}

// ResealSecrets seals every secret that is not sealed under the current
// key again under it.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	return s.reseal(ctx, `NOT LIKE '`+s.opts.Cipher.CurrentPrefix()+`%'`)
}

// reseal seals again the values of every sealed column whose text matches
// cond, in one transaction.
func (s *Store) reseal(ctx context.Context, cond string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx pgx.Tx) error {
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

func (s *Store) resealColumn(ctx context.Context, tx pgx.Tx, c sealedColumn, cond string) (int, error) {
	rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s IS NOT NULL AND %s %s FOR UPDATE`,
		c.id, c.col, c.table, c.col, c.col, cond))
	if err != nil {
		return 0, err
	}
	type row struct{ id, val string }
	todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var v row
		return v, r.Scan(&v.id, &v.val)
	})
	if err != nil {
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
		if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE %s = $2`, c.table, c.col, c.id),
			sealed, r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}
