package receive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Store is what a Server needs of hookd's store besides the engine: the
// request log and the de-duplication keys.
type Store interface {
	GetRequest(ctx context.Context, sourceID, id string) (*hookd.Request, error)
	PruneRejected(ctx context.Context, sourceID string, keep int) (int64, error)
	GetIdempotencyKey(ctx context.Context, scope, key string, notBefore time.Time) (*hookd.IdempotencyKey, error)
}

// Config configures a Server. The zero value of each optional field means
// its documented default.
type Config struct {
	// Registry holds the sources. Required.
	Registry *Registry
	// Engine stores accepted requests with their destinations durably and
	// delivers them. Required.
	Engine hookd.Engine
	// Store reads the request log and de-duplication keys. Required.
	Store Store
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
	// MaxInFlight caps the requests served at once; beyond it the server
	// answers 503 with Retry-After. Default 4096.
	MaxInFlight int
	// LogQueue bounds the rejected requests waiting to be logged; beyond
	// it they are counted and dropped. Default 8192.
	LogQueue int
	// LogBody caps the body kept in the log for a rejected request.
	// Accepted requests keep their whole body. Default 64 KiB.
	LogBody int
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
}

// Server serves /in/{id}: it runs each source's pipeline, stores accepted
// requests durably through the engine before answering, and logs every
// request, rejected ones too. Build it with NewServer and start its
// logger with Run. It is safe for concurrent use.
type Server struct {
	cfg Config
	sem chan struct{}
	rec *recorder
}

// NewServer returns a server; Run must run for rejected requests to be
// logged.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4096
	}
	if cfg.LogQueue <= 0 {
		cfg.LogQueue = 8192
	}
	if cfg.LogBody <= 0 {
		cfg.LogBody = 64 << 10
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &Server{cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), rec: newRecorder(&cfg)}
}

// Run logs rejected requests and prunes the logs of rejected requests
// until ctx ends, then logs what is still queued (within a few seconds).
func (s *Server) Run(ctx context.Context) { s.rec.run(ctx) }

// ServeHTTP serves POST /in/{id}. The id is the path value "id" of the
// route pattern, or else the last segment of the path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		id = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	}
	src, err := s.cfg.Registry.Get(id)
	if err != nil {
		if hookd.IsNotFound(err) {
			writeProblem(w, http.StatusNotFound, hookd.ENOTFOUND, "no source "+id, nil, nil)
			return
		}
		s.cfg.Logger.Error("serve source", "source", id, "err", err)
		writeProblem(w, http.StatusInternalServerError, hookd.EINTERNAL, "the source is misconfigured", nil, nil)
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "hookd is saturated; retry later", nil, nil)
		return
	}
	s.serve(w, r, src)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, src *Source) {
	var rc reqCtx
	m, hs, rej := src.run(r, &rc)
	switch {
	case rej != nil:
		s.rejected(w, r, &rc, rej)
		return
	case hs != nil:
		writeHandshake(w, hs)
		s.rec.log(s.logRequest(r, &rc, http.StatusOK, "", "handshake: "+hs.what))
		return
	}
	fwds, pubs, rej := src.route(m, &rc)
	if rej != nil {
		s.rejected(w, r, &rc, rej)
		return
	}
	req := s.logRequest(r, &rc, src.response.status, "", "")
	req.Accepted, req.Body = true, rc.body
	req.Verified, req.DedupeKey = strings.Join(m.Verified, ","), m.DeliveryID
	in := &hookd.Inbound{Request: req, Forwards: fwds, Publishes: pubs}
	orig, err := s.receive(r.Context(), src, in)
	if err != nil {
		s.receiveFailed(w, r, &rc, err)
		return
	}
	if orig != "" {
		s.duplicate(w, r, &rc, m, orig)
		return
	}
	src.writeResponse(w, req.ID)
}

// rejected answers a rejection and logs it.
func (s *Server) rejected(w http.ResponseWriter, r *http.Request, rc *reqCtx, rej *rejection) {
	writeRejection(w, rej)
	reason := rej.detail
	for i, f := range rej.fields {
		if i == 10 {
			reason += "; …"
			break
		}
		reason += "; " + f.Pointer + ": " + f.Message
	}
	s.rec.log(s.logRequest(r, rc, rej.status, rej.code, reason))
}

// receiveFailed answers a request the engine could not store: 503 when
// it is saturated or stopping, 400 for a publish it refused, else 500.
func (s *Server) receiveFailed(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	code := hookd.ErrorCode(err)
	switch code {
	case hookd.EUNAVAILABLE:
		w.Header().Set("Retry-After", "1")
		s.rejected(w, r, rc, reject(http.StatusServiceUnavailable, code, hookd.ErrorMessage(err)))
	case hookd.EINVALID, hookd.ENOTFOUND:
		rej := reject(http.StatusBadRequest, hookd.EINVALID, "a publish destination refused the request: "+hookd.ErrorMessage(err))
		rej.fields = hookd.ErrorFields(err)
		s.rejected(w, r, rc, rej)
	default:
		s.cfg.Logger.Error("store inbound request", "source", rc.src.id, "err", err)
		s.rejected(w, r, rc, reject(http.StatusInternalServerError, hookd.EINTERNAL, "internal error"))
	}
}

// duplicate answers a delivery the source already accepted: 200, after
// the original was committed (Receive returns only then), and logs it as
// a duplicate of the original.
func (s *Server) duplicate(w http.ResponseWriter, r *http.Request, rc *reqCtx, m *Message, orig string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	b, _ := json.Marshal(map[string]any{"id": orig, "duplicate": true})
	_, _ = w.Write(b)
	req := s.logRequest(r, rc, http.StatusOK, "", "duplicate of "+orig)
	req.DuplicateOf, req.DedupeKey, req.Verified = orig, m.DeliveryID, strings.Join(m.Verified, ",")
	s.rec.log(req)
}

// logRequest makes the log record of a request; the body is capped.
func (s *Server) logRequest(r *http.Request, rc *reqCtx, status int, code, reason string) *hookd.Request {
	body := rc.body
	if len(body) > s.cfg.LogBody {
		body = body[:s.cfg.LogBody]
	}
	return &hookd.Request{
		ID: hookd.NewID(hookd.PrefixRequest), SourceID: rc.src.id, ReceivedAt: rc.now,
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: redactHeaders(r.Header, rc.src.secretHeaders),
		Body: body, RemoteIP: rc.remoteIP, Status: status, Code: code, Reason: reason,
	}
}

// dedupeKey is the stored form of a delivery id: as it is when short,
// else its SHA-256.
func dedupeKey(id string) string {
	if len(id) <= 128 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// maxKeyHops bounds the chain of keys walked for a window shorter than
// the time keys are kept.
const maxKeyHops = 8

// receive stores the request through the engine, de-duplicated by its
// delivery id within the source's window. It returns the id of the
// original request when this one is a duplicate.
//
// The store keeps a key for MaxDedupeWindow. For a shorter window, a
// delivery id whose key is older than the window is taken again under a
// key chained to the previous holder ("id|req_…"), so that the newest
// holder always answers for the window.
func (s *Server) receive(ctx context.Context, src *Source, in *hookd.Inbound) (string, error) {
	id := in.Request.DedupeKey
	if id == "" {
		return "", s.cfg.Engine.Receive(ctx, in)
	}
	scope, key := "src:"+src.id, dedupeKey(id)
	for range maxKeyHops {
		in.Key = &hookd.IdempotencyKey{Scope: scope, Key: key}
		if err := s.cfg.Engine.Receive(ctx, in); err != nil || !in.Duplicate {
			return "", err
		}
		now := s.cfg.NowFunc()
		held, err := s.cfg.Store.GetIdempotencyKey(ctx, scope, key, now.Add(-MaxDedupeWindow))
		if err != nil {
			if hookd.IsNotFound(err) {
				return "unknown", nil // it lapsed just now: still a repeat
			}
			return "", err
		}
		if src.window >= MaxDedupeWindow || held.CreatedAt.After(now.Add(-src.window)) {
			return held.RefID, nil
		}
		key = dedupeKey(id + "|" + held.RefID)
	}
	return "", hookd.Errorf(hookd.EUNAVAILABLE, "delivery id %q repeats too often; retry later", id)
}
