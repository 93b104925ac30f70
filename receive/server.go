package receive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/servertrace"
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
	// Accepted requests keep their whole body. Default 4 KiB.
	LogBody int
	// DecompressBudget bounds the bytes all requests decompress at once
	// (see Budget). Default DefaultDecompressBudget (128 MiB).
	DecompressBudget int64
	// Registerer, when set, receives the inbound metrics.
	Registerer prometheus.Registerer
	// TracerProvider, when set, receives a server span per request with
	// children for verification, storage and each destination; the
	// deliveries of its forwards and publishes continue that trace.
	// Default: none, nothing is traced.
	TracerProvider trace.TracerProvider
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
}

// Server serves /in/{id}: it runs each source's pipeline, stores accepted
// requests durably through the engine before answering, and logs every
// request, rejected ones too. Build it with NewServer and start its
// logger with Run. It is safe for concurrent use.
type Server struct {
	cfg     Config
	sem     chan struct{}
	rec     *recorder
	budget  *Budget
	metrics *metrics
	tracer  trace.Tracer // nil: nothing is traced
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
		cfg.LogBody = 4 << 10
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	budget := NewBudget(cfg.DecompressBudget)
	return &Server{cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), rec: newRecorder(&cfg),
		budget: budget, metrics: newMetrics(cfg.Registerer, budget), tracer: servertrace.Tracer(cfg.TracerProvider, tracerName)}
}

// Budget returns the decompression budget the server's requests share.
func (s *Server) Budget() *Budget { return s.budget }

// Run logs rejected requests and prunes the logs of rejected requests
// until ctx ends, then logs what is still queued (within a few seconds).
func (s *Server) Run(ctx context.Context) { s.rec.run(ctx) }

// serveSource serves src, the source the registry found at the request's
// path, or answers the lookup's error.
func (s *Server) serveSource(w http.ResponseWriter, r *http.Request, src *Source, err error) {
	if err != nil {
		status, code, detail := http.StatusInternalServerError, hookd.EINTERNAL, "the source is misconfigured"
		if hookd.IsNotFound(err) {
			status, code, detail = http.StatusNotFound, hookd.ENOTFOUND, "no source at "+r.URL.Path
		} else {
			s.cfg.Logger.Error("serve source", "path", r.URL.Path, "err", err)
		}
		s.refused(w, "", r, status, code, detail)
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		s.refused(w, src.id, r, http.StatusServiceUnavailable, hookd.EUNAVAILABLE, "hookd is saturated; retry later")
		return
	}
	s.serve(w, r, src)
}

// refused answers a request that never reached a source's pipeline (no
// source at its path, or the server saturated): counted and logged, not
// kept in a request log.
func (s *Server) refused(w http.ResponseWriter, sourceID string, r *http.Request, status int, code, detail string) {
	writeProblem(w, status, code, detail, nil, nil)
	s.metrics.requests.WithLabelValues(sourceID, strconv.Itoa(status)).Inc()
	s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, hookd.LogMsgInboundRejected,
		slog.String(hookd.LogKeySource, sourceID), slog.Int(hookd.LogKeyStatus, status),
		slog.String(hookd.LogKeyCode, code), slog.String(hookd.LogKeyReason, detail),
		slog.String(hookd.LogKeyPath, r.URL.Path), slog.String(hookd.LogKeyRemoteIP, remoteAddr(r)))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, src *Source) {
	var rc reqCtx
	defer rc.res.done()
	m, hs, rej := src.run(r, &rc, s.budget)
	switch {
	case rej != nil:
		s.rejected(w, r, &rc, rej)
		return
	case hs != nil:
		writeHandshake(w, hs)
		req := s.logRequest(r, &rc, http.StatusOK, "", "handshake: "+hs.what)
		s.rec.log(req)
		s.countAccepted(req, OutcomeHandshake)
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
	orig, err := s.traceReceive(r.Context(), src, in)
	if err != nil {
		s.receiveFailed(w, r, &rc, err)
		return
	}
	if orig != "" {
		s.duplicate(w, r, &rc, m, orig)
		return
	}
	src.writeResponse(w, req.ID)
	s.countAccepted(req, OutcomeAccepted)
	s.countRouted(src.id, len(in.Forwards), len(in.Publishes))
}

// rejected answers a rejection and logs it: in the request log with its
// reason and cause, and one line in the server log.
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
	if rej.cause != "" {
		reason += ": " + rej.cause
	}
	req := s.logRequest(r, rc, rej.status, rej.code, reason)
	line := rej.detail // without the violations, which may quote the body
	if len(rej.fields) > 0 {
		line += fmt.Sprintf(" (%d violations)", len(rej.fields))
	}
	if rej.cause != "" {
		line += ": " + rej.cause
	}
	s.countRejected(rc.src.id, req, line)
	if rej.console != "" {
		req.Reason += "; console: " + rej.console
	}
	s.rec.log(req)
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
	s.countAccepted(req, OutcomeDuplicate)
}

// logRequest makes the log record of a request. Its body is a copy of
// at most LogBody bytes, so that a rejected request waiting in the log
// queue holds no more of the request's memory; the caller sets the whole
// body of an accepted one.
func (s *Server) logRequest(r *http.Request, rc *reqCtx, status int, code, reason string) *hookd.Request {
	body := rc.body
	if len(body) > s.cfg.LogBody {
		body = body[:s.cfg.LogBody]
	}
	return &hookd.Request{
		ID: hookd.NewID(hookd.PrefixRequest), SourceID: rc.src.id, ReceivedAt: rc.now,
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: redactHeaders(r.Header, rc.src.secretHeaders),
		Body: bytes.Clone(body), RemoteIP: rc.remoteIP, Status: status, Code: code, Reason: reason, User: rc.user,
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
