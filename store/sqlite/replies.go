package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Replies of API requests live in idempotency_keys beside the publish and
// de-duplication keys: the scope is replyScopePrefix + ReplyKey.Scope;
// ref_id is empty while the request runs, then its reply sealed under the
// master key (bound to the row by replyAD), so that a reply carrying a
// new secret is never in clear.
const (
	replyScopePrefix = "api:"
	replyScopeEnd    = "api;" // the first scope after every reply scope
	replyADPrefix    = "idempotent-reply:"
)

var _ hookd.ReplyStore = (*Store)(nil)

// replyAD is the associated data a reply of the row (scope, key) is sealed
// with.
func replyAD(scope, key string) string { return replyADPrefix + scope + "\x00" + key }

// TakeReplyKey reserves k unless a live record holds its key.
func (s *Store) TakeReplyKey(ctx context.Context, k *hookd.ReplyKey, lapsed, abandoned time.Time) (*hookd.ReplyKey, bool, error) {
	scope := replyScopePrefix + k.Scope
	created := micros(k.CreatedAt)
	var held *hookd.ReplyKey
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (`+keyCols+`) VALUES (?1, ?2, '', ?3, ?4)
			ON CONFLICT (scope, key) DO UPDATE SET ref_id = '', fingerprint = excluded.fingerprint,
				created_at = excluded.created_at
			WHERE idempotency_keys.created_at <= ?5
				OR (idempotency_keys.ref_id = '' AND idempotency_keys.created_at <= ?6)`,
			scope, k.Key, blob(k.Fingerprint), created, micros(lapsed), micros(abandoned))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		held, err = s.heldReply(ctx, tx, scope, k.Key)
		return err
	})
	if err != nil {
		return nil, false, wrap(err, "take reply key")
	}
	if held != nil {
		held.Scope = k.Scope
		return held, false, nil
	}
	k.CreatedAt = fromMicros(created)
	return k, true, nil
}

// heldReply reads the record that holds (scope, key), with its reply
// opened.
func (s *Store) heldReply(ctx context.Context, tx *sql.Tx, scope, key string) (*hookd.ReplyKey, error) {
	var (
		k       hookd.ReplyKey
		reply   string
		created int64
	)
	err := tx.QueryRowContext(ctx, `SELECT key, ref_id, fingerprint, created_at FROM idempotency_keys
		WHERE scope = ? AND key = ?`, scope, key).Scan(&k.Key, &reply, &k.Fingerprint, &created)
	if err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	if reply != "" {
		if k.Reply, err = s.cipher.Open(reply, replyAD(scope, key)); err != nil {
			return nil, fmt.Errorf("open reply: %w", err)
		}
	}
	return &k, nil
}

// KeepReply stores the reply of the request that reserved k, sealed.
func (s *Store) KeepReply(ctx context.Context, k *hookd.ReplyKey, reply []byte) error {
	scope := replyScopePrefix + k.Scope
	sealed, err := s.cipher.Seal(reply, replyAD(scope, k.Key))
	if err != nil {
		return fmt.Errorf("keep reply: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET ref_id = ?
			WHERE scope = ? AND key = ? AND created_at = ? AND ref_id = ''`, sealed, scope, k.Key, micros(k.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = hookd.Errorf(hookd.ENOTFOUND, "idempotency key %q is no longer reserved", k.Key)
		}
		return err
	})
	return wrap(err, "keep reply")
}

// DropReplyKey frees the key k reserved, if it still holds it.
func (s *Store) DropReplyKey(ctx context.Context, k *hookd.ReplyKey) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys
			WHERE scope = ? AND key = ? AND created_at = ? AND ref_id = ''`,
			replyScopePrefix+k.Scope, k.Key, micros(k.CreatedAt))
		return err
	})
	return wrap(err, "drop reply key")
}

// resealReplies seals again the kept replies whose sealed text matches
// cond. The scope range selects the replies by the primary key.
func (s *Store) resealReplies(ctx context.Context, tx *sql.Tx, cond string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT scope, key, ref_id FROM idempotency_keys
		WHERE scope >= ? AND scope < ? AND ref_id LIKE 'hkenc:%' AND ref_id `+cond,
		replyScopePrefix, replyScopeEnd)
	if err != nil {
		return 0, err
	}
	type row struct{ scope, key, val string }
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.scope, &r.key, &r.val); err != nil {
			_ = rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, r := range todo {
		ad := replyAD(r.scope, r.key)
		plain, err := s.cipher.Open(r.val, ad)
		if err != nil {
			return 0, fmt.Errorf("reply %q: %w", r.key, err)
		}
		sealed, err := s.cipher.Seal(plain, ad)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET ref_id = ? WHERE scope = ? AND key = ?`,
			sealed, r.scope, r.key); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// openKeptReply moves the sealed reply of an API request's key from RefID
// into Reply, opened, for an export.
func (s *Store) openKeptReply(k *hookd.IdempotencyKey) error {
	if !strings.HasPrefix(k.Scope, replyScopePrefix) || k.RefID == "" {
		return nil
	}
	reply, err := s.cipher.Open(k.RefID, replyAD(k.Scope, k.Key))
	if err != nil {
		return fmt.Errorf("idempotency key %q: open reply: %w", k.Key, err)
	}
	k.Reply, k.RefID = reply, ""
	return nil
}

// sealKeptReply is the ref_id an import stores for k: its reply sealed
// with this store's key when it has one, RefID otherwise.
func (s *Store) sealKeptReply(k *hookd.IdempotencyKey) (string, error) {
	if k.Reply == nil {
		return k.RefID, nil
	}
	sealed, err := s.cipher.Seal(k.Reply, replyAD(k.Scope, k.Key))
	if err != nil {
		return "", fmt.Errorf("idempotency key %q: seal reply: %w", k.Key, err)
	}
	return sealed, nil
}
