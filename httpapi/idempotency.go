package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// Idempotency of every POST but publish (whose keys the engine keeps with
// the events): the replies are kept in the store, so that a repeat gets
// the first reply on any node and after a restart.
const (
	// idemTTL is how long a key is kept; the purge of the idempotency
	// keys (Purge.KeysBefore) deletes older ones.
	idemTTL = 24 * time.Hour
	// idemAbandoned is how long a request may hold a key without
	// answering before another request with the key takes it over: its
	// node stopped while serving it. No API request runs that long.
	idemAbandoned = 5 * time.Minute
	// idemSettleTimeout bounds keeping a reply once the request is done,
	// even when its client is gone (its retry then finds the reply).
	idemSettleTimeout = 10 * time.Second
)

// idempotencyKeyPointer is where an Idempotency-Key header's errors point.
const idempotencyKeyPointer = "/headers/idempotency-key"

// idempotent wraps a POST handler to honour Idempotency-Key: the first 2xx
// answer is kept for 24 h in the store (sealed, since it may carry a new
// secret), per API key, path and key; a repeat with the same request gets
// it again (with Idempotent-Replayed: true) on any node, one with another
// request is EMISMATCH, one while the first runs is ECONFLICT. Error
// answers are not kept, so a corrected request may reuse the key.
func (s *Server) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r)
		}
		if !hookd.ValidIdempotencyKey(key) {
			return invalid(idempotencyKeyPointer, "must match "+hookd.IdempotencyKeyPattern)
		}
		body, err := readAll(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		now := s.now()
		k := &hookd.ReplyKey{Scope: infoOf(r).caller.keyID + " " + r.URL.Path, Key: key,
			Fingerprint: fingerprint(r, body), CreatedAt: now}
		held, taken, err := s.store.TakeReplyKey(r.Context(), k, now.Add(-idemTTL), now.Add(-idemAbandoned))
		switch {
		case err != nil:
			return fmt.Errorf("take idempotency key: %w", err)
		case !taken:
			return replay(w, held, k)
		}
		s.runKeyed(w, r, k, h)
		return nil
	}
}

// runKeyed serves the request that reserved k, and keeps its reply.
func (s *Server) runKeyed(w http.ResponseWriter, r *http.Request, k *hookd.ReplyKey, h handlerFunc) {
	settled := false
	defer func() { // a panic frees the key
		if !settled {
			s.settle(r, k, nil)
		}
	}()
	rec := newRecorder()
	if err := h(rec, r); err != nil {
		s.writeError(rec, r, err)
	}
	s.settle(r, k, rec)
	settled = true
	rec.copyTo(w)
}

// fingerprint hashes what makes two requests the same: the query and the
// body (the method, path and caller are in the key's scope).
func fingerprint(r *http.Request, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(r.URL.RawQuery))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

// keptReply is a reply as the store keeps it.
type keptReply struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
}

// settle keeps a 2xx reply of the request that reserved k, and frees k
// otherwise (rec nil: the request failed without a reply). The request's answer goes out either way: its work is done.
// A reply that could not be kept is logged; the reservation then holds
// until it is abandoned, so that a repeat meanwhile gets 409 rather than
// running again.
func (s *Server) settle(r *http.Request, k *hookd.ReplyKey, rec *recorder) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), idemSettleTimeout)
	defer cancel()
	var err error
	if rec == nil || rec.status < 200 || rec.status > 299 {
		err = s.store.DropReplyKey(ctx, k)
	} else {
		var b []byte
		if b, err = json.Marshal(keptReply{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}); err == nil {
			err = s.store.KeepReply(ctx, k, b)
		}
	}
	if err != nil {
		s.logger.ErrorContext(r.Context(), "keep idempotent reply", "route", routeOf(r), "err", err)
	}
}

// replay answers a request whose key held is taken: with the kept reply,
// or a problem when that request runs or was another.
func replay(w http.ResponseWriter, held, k *hookd.ReplyKey) error {
	switch {
	case held.Reply == nil:
		return errorf(hookd.ECONFLICT, "a request with idempotency key %q is still being processed", k.Key)
	case !bytes.Equal(held.Fingerprint, k.Fingerprint):
		return errorf(hookd.EMISMATCH, "idempotency key %q was used with a different request", k.Key)
	}
	var kept keptReply
	if err := json.Unmarshal(held.Reply, &kept); err != nil {
		return fmt.Errorf("decode kept reply: %w", err)
	}
	for name, v := range kept.Header {
		w.Header()[name] = v
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(kept.Status)
	_, _ = w.Write(kept.Body)
	return nil
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
