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

// Key cache bounds: a key deleted from the store keeps working on a node
// for at most keyCacheTTL.
const (
	keyCacheSize = 1024
	keyCacheTTL  = time.Minute
)

// APIKeyPrefix starts every API key hookd generates.
const APIKeyPrefix = "hk_"

// Authenticate wraps next so that it runs only for a request carrying a
// valid API key (Authorization: Bearer <key>); others get a 401 problem
// with WWW-Authenticate. Handler applies it to /v1 already; use it to put
// another handler, such as /metrics, behind the key.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		infoOf(r).keyID = id
		next.ServeHTTP(w, r)
	})
}

// authenticate returns the id of the request's API key. Keys are looked up
// by their SHA-256 and the hashes compared in constant time; found keys
// are cached for keyCacheTTL. A store failure fails closed (500).
func (s *Server) authenticate(r *http.Request) (string, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", errorf(hookd.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key>")
	}
	scheme, key, _ := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", errorf(hookd.EUNAUTHORIZED, "the Authorization header must be Bearer <API key>")
	}
	sum := sha256.Sum256([]byte(key))
	now := s.now()
	if id, ok := s.keys.get(sum, now); ok {
		return id, nil
	}
	k, err := s.store.APIKeyByHash(r.Context(), sum[:])
	if hookd.IsNotFound(err) {
		return "", errorf(hookd.EUNAUTHORIZED, "invalid API key")
	}
	if err != nil {
		return "", fmt.Errorf("look up api key: %w", err)
	}
	if subtle.ConstantTimeCompare(k.Hash, sum[:]) != 1 {
		return "", errorf(hookd.EUNAUTHORIZED, "invalid API key")
	}
	s.keys.put(sum, k.ID, now)
	return k.ID, nil
}

// keyCache remembers the API keys found in the store, by hash. It is
// bounded: when full, an arbitrary entry makes room.
type keyCache struct {
	mu  sync.Mutex
	m   map[[sha256.Size]byte]cachedKey
	max int
	ttl time.Duration
}

type cachedKey struct {
	id      string
	hash    [sha256.Size]byte
	expires time.Time
}

func newKeyCache(size int, ttl time.Duration) *keyCache {
	return &keyCache{m: make(map[[sha256.Size]byte]cachedKey), max: size, ttl: ttl}
}

func (c *keyCache) get(sum [sha256.Size]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[sum]
	if !ok || !now.Before(k.expires) || subtle.ConstantTimeCompare(k.hash[:], sum[:]) != 1 {
		delete(c.m, sum)
		return "", false
	}
	return k.id, true
}

func (c *keyCache) put(sum [sha256.Size]byte, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[sum] = cachedKey{id: id, hash: sum, expires: now.Add(c.ttl)}
}

// EnsureAPIKey makes sure the store holds an API key. With configuredKey
// set, it stores that key's hash if it is missing (named "config") and
// returns "". Without one, when the store has no key at all, it generates
// a key ("hk_" + 32 random bytes in base64url), stores only its hash and
// prefix, and returns it: the caller shows it once (on stderr, never
// through a logger). Otherwise it returns "".
func EnsureAPIKey(ctx context.Context, store hookd.Store, configuredKey string) (newKey string, err error) {
	if configuredKey != "" {
		sum := sha256.Sum256([]byte(configuredKey))
		_, err := store.APIKeyByHash(ctx, sum[:])
		if err == nil {
			return "", nil
		}
		if !hookd.IsNotFound(err) {
			return "", fmt.Errorf("ensure api key: %w", err)
		}
		return "", createKey(ctx, store, "config", configuredKey)
	}
	keys, err := store.ListAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("ensure api key: %w", err)
	}
	if len(keys) > 0 {
		return "", nil
	}
	key, err := GenerateAPIKey()
	if err != nil {
		return "", err
	}
	if err := createKey(ctx, store, "generated", key); err != nil {
		return "", err
	}
	return key, nil
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

func createKey(ctx context.Context, store hookd.Store, name, key string) error {
	sum := sha256.Sum256([]byte(key))
	err := store.CreateAPIKey(ctx, &hookd.APIKey{Name: name, Hash: sum[:], Prefix: keyPrefix(key)})
	if err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT { // ECONFLICT: stored meanwhile
		return fmt.Errorf("ensure api key: %w", err)
	}
	return nil
}

// keyPrefix is the part of a key kept in clear to recognise it: "hk_" and
// 4 characters for a generated key; for a short configured key, nothing.
func keyPrefix(key string) string {
	if len(key) < 24 {
		return ""
	}
	if strings.HasPrefix(key, APIKeyPrefix) {
		return key[:len(APIKeyPrefix)+4]
	}
	return key[:4]
}
