package receive

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookd/hookd"
)

// Replayed is what a replay stored.
type Replayed struct {
	// RequestID is the id of the new log record, "req_…".
	RequestID string
	// EventIDs are the events the replay made: one per forward, then one
	// per publish.
	EventIDs []string
}

// Replay routes a stored request again through its source's current
// destinations, as if it had just been accepted, without de-duplication.
// The replay is logged as a new accepted request whose reason names the
// original. Only accepted requests can be replayed (EINVALID otherwise):
// a rejected one never passed verification. Headers that the log
// redacted are not passed on to forwards.
func (s *Server) Replay(ctx context.Context, sourceID, requestID string) (*Replayed, error) {
	src, err := s.cfg.Registry.Get(sourceID)
	if err != nil {
		return nil, err
	}
	orig, err := s.cfg.Store.GetRequest(ctx, sourceID, requestID)
	if err != nil {
		return nil, err
	}
	if !orig.Accepted {
		return nil, hookd.Invalid(fmt.Sprintf("request %s was not accepted (status %d): only accepted requests can be replayed", orig.ID, orig.Status),
			hookd.FieldError{Pointer: "/id", Message: "is not an accepted request"})
	}
	rc := storedContext(src, orig, s.cfg.NowFunc())
	if _, rej := rc.parse(); rej != nil {
		return nil, hookd.Invalid("the stored body does not parse: " + rej.detail)
	}
	m := src.message(rc, nil)
	fwds, pubs, rej := src.route(m, rc)
	if rej != nil {
		return nil, hookd.Invalid("the stored request cannot be routed: " + rej.detail)
	}
	req := *orig
	req.ID, req.ReceivedAt = hookd.NewID(hookd.PrefixRequest), rc.now
	req.Reason, req.DedupeKey, req.DuplicateOf = "replay of "+orig.ID, "", ""
	in := &hookd.Inbound{Request: &req, Forwards: fwds, Publishes: pubs}
	if err := s.cfg.Engine.Receive(ctx, in); err != nil {
		return nil, fmt.Errorf("replay %s: %w", orig.ID, err)
	}
	return &Replayed{RequestID: req.ID, EventIDs: append([]string(nil), in.EventIDs...)}, nil
}

// storedContext rebuilds the pipeline's view of a logged request.
func storedContext(src *Source, q *hookd.Request, now time.Time) *reqCtx {
	h := make(http.Header, len(q.Headers))
	for k, v := range q.Headers {
		if v != redactedValue {
			h.Set(k, v)
		}
	}
	r := &http.Request{Method: q.Method, URL: &url.URL{Path: q.Path, RawQuery: q.Query}, Header: h, RemoteAddr: q.RemoteIP}
	rc := &reqCtx{r: r, src: src, body: q.Body, now: now, remoteIP: q.RemoteIP, user: q.User}
	if mt, ok := src.types.accepts(h.Get("Content-Type")); ok {
		rc.mediaType = mt
	}
	return rc
}
