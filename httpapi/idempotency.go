package httpapi

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// In-memory idempotency (every POST but publish, whose keys the engine
// keeps durably): bounded, per node, lost on restart.
const (
	idemCacheSize = 10000
	idemTTL       = 24 * time.Hour
)

var idempotencyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_:-]{1,64}$`)

// idempotencyKeyPointer is where an Idempotency-Key header's errors point.
const idempotencyKeyPointer = "/headers/idempotency-key"

// idempotent wraps a POST handler to honour Idempotency-Key: the first 2xx
// answer is kept for 24 h, per API key, path and key; a repeat with the
// same body gets it again (with Idempotent-Replayed: true), one with
// another body is EMISMATCH, one while the first runs is ECONFLICT. Error
// answers are not kept, so a corrected request may reuse the key.
func (s *Server) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r)
		}
		if !idempotencyKeyPattern.MatchString(key) {
			return invalid(idempotencyKeyPointer, "must match ^[A-Za-z0-9_:-]{1,64}$")
		}
		body, err := readAll(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		scope := infoOf(r).caller.keyID + "\x00" + r.URL.Path + "\x00" + key
		e, state := s.idem.begin(scope, sha256.Sum256(body), s.now())
		switch state {
		case idemBusy:
			return errorf(hookd.ECONFLICT, "a request with idempotency key %q is still being processed", key)
		case idemMismatch:
			return errorf(hookd.EMISMATCH, "idempotency key %q was used with a different request", key)
		case idemReplay:
			e.replay(w)
			return nil
		}
		rec := newRecorder()
		if err := h(rec, r); err != nil {
			s.writeError(rec, r, err)
		}
		s.idem.finish(e, rec)
		rec.copyTo(w)
		return nil
	}
}

// readAll reads the (capped) body as it is.
func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errorf(hookd.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, &hookd.Error{Code: hookd.EMALFORMED, Message: "could not read the request body", Err: err}
	}
	return b, nil
}

// States of a key in begin.
const (
	idemNew      = iota // the caller runs the request and calls finish
	idemBusy            // the first request is still running
	idemReplay          // the first request's answer is kept
	idemMismatch        // the key was used with another body
)

// idemCache is an LRU of idempotency keys with a TTL.
type idemCache struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	ll  *list.List // of *idemEntry, most recently used first
	m   map[string]*list.Element
}

type idemEntry struct {
	scope   string
	fp      [sha256.Size]byte
	created time.Time
	done    bool
	status  int
	header  http.Header
	body    []byte
}

func newIdemCache(size int, ttl time.Duration) *idemCache {
	return &idemCache{max: size, ttl: ttl, ll: list.New(), m: make(map[string]*list.Element)}
}

// begin looks scope up and, when it is new (or expired), reserves it.
func (c *idemCache) begin(scope string, fp [sha256.Size]byte, now time.Time) (*idemEntry, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[scope]; ok {
		e := el.Value.(*idemEntry)
		switch {
		case now.Sub(e.created) >= c.ttl:
			c.remove(el)
		case !e.done:
			return e, idemBusy
		case e.fp != fp:
			return e, idemMismatch
		default:
			c.ll.MoveToFront(el)
			return e, idemReplay
		}
	}
	e := &idemEntry{scope: scope, fp: fp, created: now}
	c.m[scope] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		c.remove(c.ll.Back())
	}
	return e, idemNew
}

// finish keeps a 2xx answer of e's request, and forgets e otherwise.
func (c *idemCache) finish(e *idemEntry, rec *recorder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[e.scope]
	if !ok || el.Value != e { // evicted meanwhile
		return
	}
	if rec.status < 200 || rec.status > 299 {
		c.remove(el)
		return
	}
	e.done, e.status, e.header, e.body = true, rec.status, rec.header.Clone(), bytes.Clone(rec.body.Bytes())
}

func (c *idemCache) remove(el *list.Element) {
	c.ll.Remove(el)
	delete(c.m, el.Value.(*idemEntry).scope)
}

// replay writes the kept answer.
func (e *idemEntry) replay(w http.ResponseWriter) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body)
}

// recorder is an http.ResponseWriter that keeps what is written to it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// copyTo writes what was recorded to w.
func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
