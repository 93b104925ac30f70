package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// holdingReceiver counts the webhooks it gets by a key read from each
// request (requests without one are answered and not counted). Once it
// has answered holdAfter requests (when above 0), it holds every further
// request unanswered until release is called or its sender goes away: the
// crash tests use it to have work in flight at the kill on any machine,
// however fast or slow, without guessing a delay.
type holdingReceiver[K comparable] struct {
	*httptest.Server
	mu        sync.Mutex
	seen      map[K]int
	answered  int
	holdAfter int
	released  chan struct{}
	once      sync.Once
}

func newHoldingReceiver[K comparable](t *testing.T, holdAfter int, key func(r *http.Request, body []byte) (K, bool)) *holdingReceiver[K] {
	rc := &holdingReceiver[K]{seen: map[K]int{}, holdAfter: holdAfter, released: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !rc.wait(r) {
			return // the sender died: this request never got its answer
		}
		k, ok := key(r, body)
		rc.mu.Lock()
		if ok {
			rc.seen[k]++
		}
		rc.answered++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	t.Cleanup(rc.release) // first: Close waits for the held requests
	return rc
}

// wait holds r while the receiver holds requests, and reports whether r
// is to be answered.
func (rc *holdingReceiver[K]) wait(r *http.Request) bool {
	rc.mu.Lock()
	hold := rc.holdAfter > 0 && rc.answered >= rc.holdAfter
	rc.mu.Unlock()
	if !hold {
		return true
	}
	select {
	case <-rc.released:
		return true
	case <-r.Context().Done():
		return false
	}
}

// release answers the held requests, and every request from now on.
func (rc *holdingReceiver[K]) release() { rc.once.Do(func() { close(rc.released) }) }

// count returns how often k arrived.
func (rc *holdingReceiver[K]) count(k K) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.seen[k]
}

// missing counts the keys that never arrived.
func (rc *holdingReceiver[K]) missing(keys []K) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, k := range keys {
		if rc.seen[k] == 0 {
			n++
		}
	}
	return n
}
