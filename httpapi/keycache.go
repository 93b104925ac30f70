package httpapi

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// keyCache remembers the API keys found in the store, by the SHA-256 of
// the key as sent (in memory only). It is bounded: when full, an
// arbitrary entry makes room.
type keyCache struct {
	mu  sync.Mutex
	m   map[[sha256.Size]byte]cachedKey
	max int
	ttl time.Duration
}

type cachedKey struct {
	key     *hookd.APIKey
	expires time.Time
}

func newKeyCache(size int, ttl time.Duration) *keyCache {
	return &keyCache{m: make(map[[sha256.Size]byte]cachedKey), max: size, ttl: ttl}
}

func (c *keyCache) get(sum [sha256.Size]byte, now time.Time) (*hookd.APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[sum]
	if !ok || !now.Before(k.expires) {
		delete(c.m, sum)
		return nil, false
	}
	return k.key, true
}

func (c *keyCache) put(sum [sha256.Size]byte, k *hookd.APIKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[sum] = cachedKey{key: k, expires: now.Add(c.ttl)}
}

// forget drops the key with that id, revoked through this node.
func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sum, k := range c.m {
		if k.key.ID == id {
			delete(c.m, sum)
		}
	}
}
