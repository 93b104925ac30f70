package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

// TakeReplyKey reserves k unless a live record holds its key. The insert
// locks a conflicting row even when it leaves it alone, so the record
// read after it is the one that held the key.
func (s *Store) TakeReplyKey(ctx context.Context, k *hookd.ReplyKey, lapsed, abandoned time.Time) (*hookd.ReplyKey, bool, error) {
	scope := replyScopePrefix + k.Scope
	created := k.CreatedAt.UTC().Truncate(time.Microsecond)
	var held *hookd.ReplyKey
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (`+keyCols+`) VALUES ($1, $2, '', $3, $4)
			ON CONFLICT (scope, key) DO UPDATE SET ref_id = '', fingerprint = excluded.fingerprint,
				created_at = excluded.created_at
			WHERE idempotency_keys.created_at <= $5
				OR (idempotency_keys.ref_id = '' AND idempotency_keys.created_at <= $6)`,
			scope, k.Key, k.Fingerprint, created, lowerBound(lapsed), lowerBound(abandoned))
		if err != nil || tag.RowsAffected() == 1 {
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
	k.CreatedAt = created
	return k, true, nil
}

// heldReply reads the record that holds (scope, key), with its reply
// opened.
func (s *Store) heldReply(ctx context.Context, tx pgx.Tx, scope, key string) (*hookd.ReplyKey, error) {
	var (
		k     hookd.ReplyKey
		reply string
	)
	err := tx.QueryRow(ctx, `SELECT key, ref_id, fingerprint, created_at FROM idempotency_keys
		WHERE scope = $1 AND key = $2`, scope, key).Scan(&k.Key, &reply, &k.Fingerprint, &k.CreatedAt)
	if err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if reply != "" {
		if k.Reply, err = s.opts.Cipher.Open(reply, replyAD(scope, key)); err != nil {
			return nil, fmt.Errorf("open reply: %w", err)
		}
	}
	return &k, nil
}

// KeepReply stores the reply of the request that reserved k, sealed.
func (s *Store) KeepReply(ctx context.Context, k *hookd.ReplyKey, reply []byte) error {
	scope := replyScopePrefix + k.Scope
	sealed, err := s.opts.Cipher.Seal(reply, replyAD(scope, k.Key))
	if err != nil {
		return fmt.Errorf("keep reply: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET ref_id = $1
		WHERE scope = $2 AND key = $3 AND created_at = $4 AND ref_id = ''`, sealed, scope, k.Key, k.CreatedAt)
	if err != nil {
		return wrap(err, "keep reply")
	}
	if tag.RowsAffected() == 0 {
		return hookd.Errorf(hookd.ENOTFOUND, "idempotency key %q is no longer reserved", k.Key)
	}
	return nil
}

// DropReplyKey frees the key k reserved, if it still holds it.
func (s *Store) DropReplyKey(ctx context.Context, k *hookd.ReplyKey) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE scope = $1 AND key = $2 AND created_at = $3 AND ref_id = ''`,
		replyScopePrefix+k.Scope, k.Key, k.CreatedAt)
	return wrap(err, "drop reply key")
}

// resealReplies seals again the kept replies whose sealed text matches
// cond. The scope range selects the replies by the primary key.
func (s *Store) resealReplies(ctx context.Context, tx pgx.Tx, cond string) (int, error) {
	rows, err := tx.Query(ctx, `SELECT scope, key, ref_id FROM idempotency_keys
		WHERE scope >= $1 AND scope < $2 AND ref_id LIKE 'hkenc:%' AND ref_id `+cond+` FOR UPDATE`,
		replyScopePrefix, replyScopeEnd)
	if err != nil {
		return 0, err
	}
	type row struct{ scope, key, val string }
	todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var v row
		return v, r.Scan(&v.scope, &v.key, &v.val)
	})
	if err != nil {
		return 0, err
	}
	for _, r := range todo {
		ad := replyAD(r.scope, r.key)
		plain, err := s.opts.Cipher.Open(r.val, ad)
		if err != nil {
			return 0, fmt.Errorf("reply %q: %w", r.key, err)
		}
		sealed, err := s.opts.Cipher.Seal(plain, ad)
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE idempotency_keys SET ref_id = $1 WHERE scope = $2 AND key = $3`,
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
	reply, err := s.opts.Cipher.Open(k.RefID, replyAD(k.Scope, k.Key))
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
	sealed, err := s.opts.Cipher.Seal(k.Reply, replyAD(k.Scope, k.Key))
	if err != nil {
		return "", fmt.Errorf("idempotency key %q: seal reply: %w", k.Key, err)
	}
	return sealed, nil
}
