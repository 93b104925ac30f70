package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// keyCacheTTL bounds how long a node trusts a key it looked up: a key
// revoked (or changed) through any node stops working on every node
// within it, well inside 2 s. keyCacheSize bounds the cache.
const (
	keyCacheSize = 1024
	keyCacheTTL  = time.Second
	// touchEvery: a key's last use is written at most this often per node.
	touchEvery = time.Minute
)

// APIKeyPrefix starts every API key hookd generates.
const APIKeyPrefix = "hk_"

// BootstrapKeyID is the key id under which the configured bootstrap key
// (Config.BootstrapKey) acts: it is in no store.
const BootstrapKeyID = "bootstrap"

// accessState is what authentication and redaction keep beside the key
// cache.
type accessState struct {
	// bootstrap is the SHA-256 of Config.BootstrapKey, nil when unset.
	bootstrap *[sha256.Size]byte
	// secretPaths are Config.SourceSecrets, split.
	secretPaths [][]string
	touchMu     sync.Mutex
	touched     map[string]time.Time // when each key's use was last written
}

func newAccessState(cfg Config) *accessState {
	a := &accessState{secretPaths: secretPaths(cfg.SourceSecrets), touched: map[string]time.Time{}}
	if cfg.BootstrapKey != "" {
		sum := sha256.Sum256([]byte(cfg.BootstrapKey))
		a.bootstrap = &sum
	}
	return a
}

// principal is who a request acts as.
type principal struct {
	keyID    string
	tenant   string // "" for an admin key
	readOnly bool
}

// Authenticate wraps next so that it runs only for a request carrying a
// valid admin API key (Authorization: Bearer <key>); others get a 401
// problem with WWW-Authenticate, or 403 for a key limited to a tenant.
// Handler applies its own checks to /v1 already; use it to put another
// handler, such as /metrics, behind the key.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil && p.tenant != "" {
			err = errorf(hookd.EFORBIDDEN, "this API key is limited to tenant %q; this resource needs an admin key", p.tenant)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		infoOf(r).caller = p
		next.ServeHTTP(w, r)
	})
}

// authenticate returns who the request's API key acts as. The bootstrap
// key is compared in constant time; other keys are looked up by the
// store's keyed hash and cached for keyCacheTTL. An expired key is 401. A
// store failure fails closed (500).
func (s *Server) authenticate(r *http.Request) (principal, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return principal{}, errorf(hookd.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key>")
	}
	scheme, key, _ := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return principal{}, errorf(hookd.EUNAUTHORIZED, "the Authorization header must be Bearer <API key>")
	}
	sum := sha256.Sum256([]byte(key))
	if s.access.bootstrap != nil && subtle.ConstantTimeCompare(sum[:], s.access.bootstrap[:]) == 1 {
		return principal{keyID: BootstrapKeyID}, nil
	}
	now := s.now()
	k, ok := s.keys.get(sum, now)
	if !ok {
		var err error
		k, err = s.store.APIKeyBySecret(r.Context(), key)
		if hookd.IsNotFound(err) {
			return principal{}, errorf(hookd.EUNAUTHORIZED, "invalid API key")
		}
		if err != nil {
			return principal{}, fmt.Errorf("look up api key: %w", err)
		}
		s.keys.put(sum, k, now)
	}
	if k.Expired(now) {
		return principal{}, errorf(hookd.EUNAUTHORIZED, "API key %s expired at %s", k.ID, k.ExpiresAt.Format(time.RFC3339))
	}
	s.touch(k.ID, now)
	return principal{keyID: k.ID, tenant: k.TenantID(), readOnly: k.ReadOnly}, nil
}

// touch records the key's use in the store, at most once per touchEvery
// per key on this node, in the background: no request waits for it.
func (s *Server) touch(id string, now time.Time) {
	s.access.touchMu.Lock()
	last, seen := s.access.touched[id]
	if seen && now.Sub(last) < touchEvery {
		s.access.touchMu.Unlock()
		return
	}
	if len(s.access.touched) >= keyCacheSize {
		clear(s.access.touched)
	}
	s.access.touched[id] = now
	s.access.touchMu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.store.TouchAPIKey(ctx, id, now); err != nil && !hookd.IsNotFound(err) {
			s.logger.Warn("record api key use", "key_id", id, "err", err)
		}
	}()
}

// EnsureAPIKey makes sure hookd can be reached: unless a bootstrap key is
// configured (configuredKey, held in memory only and never stored), when
// the store has no key at all it creates an admin key named "generated"
// ("hk_" + 32 random bytes in base64url), stores only its keyed hash and
// prefix, and returns it: the caller shows it once (on stderr, never
// through a logger). Otherwise it returns "".
func EnsureAPIKey(ctx context.Context, store hookd.Store, configuredKey string) (newKey string, err error) {
	if configuredKey != "" {
		return "", nil
	}
	keys, err := store.ListAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("ensure api key: %w", err)
	}
	if len(keys) > 0 {
		return "", nil
	}
	key, _, err := CreateAPIKey(ctx, store, &hookd.APIKey{Name: "generated", Scope: hookd.ScopeAdmin})
	if err != nil {
		return "", fmt.Errorf("ensure api key: %w", err)
	}
	return key, nil
}

// CreateAPIKey generates a key for k (whose Name and Scope must be set),
// stores it and returns it with the stored record. The key is not kept
// anywhere: show it to its holder once.
func CreateAPIKey(ctx context.Context, store hookd.Store, k *hookd.APIKey) (string, *hookd.APIKey, error) {
	if err := k.Validate(); err != nil {
		return "", nil, err
	}
	key, err := GenerateAPIKey()
	if err != nil {
		return "", nil, err
	}
	c := *k
	c.Prefix = keyPrefix(key)
	if err := store.CreateAPIKey(ctx, &c, key); err != nil {
		return "", nil, err
	}
	return key, &c, nil
}

// GenerateAPIKey returns a new API key: "hk_" and the base64url of 32
// bytes from crypto/rand.
func GenerateAPIKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate api key: %w", err)
	}
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// keyPrefix is the part of a key kept in clear to recognise it: "hk_" and
// 4 characters.
func keyPrefix(key string) string {
	if len(key) < 24 {
		return ""
	}
	if strings.HasPrefix(key, APIKeyPrefix) {
		return key[:len(APIKeyPrefix)+4]
	}
	return key[:4]
}
