package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// Secret rotation: a rotated-out secret keeps signing for secretOverlap,
// so receivers can switch; at most maxSecrets stay active (the oldest go
// first), which bounds the signature header.
const (
	secretOverlap = 24 * time.Hour
	maxSecrets    = 10
)

// maxFilterReads bounds the store reads of one filtered attempt listing.
const maxFilterReads = 16

// rotateSecret adds a new secret (generated, or the body's "secret") and
// lets the others expire in 24 h.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in RotateSecretInput
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	var secret string
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	_, err := s.updateEndpoint(r.Context(), tenant, id, func(e *hookd.Endpoint) error {
		var err error
		if secret == "" || in.Secret != "" {
			if secret, err = newSecret(e.Signature.Scheme, in.Secret); err != nil {
				return err
			}
		}
		e.Secrets = rotateSecrets(e.Secrets, secret, s.now())
		return nil
	})
	if err != nil {
		return err
	}
	s.logSecretChange(r, hookd.LogActionRotated, tenant, id)
	return writeJSON(w, http.StatusOK, SecretResult{Secret: secret})
}

// rotateSecrets drops expired secrets, makes the others expire within
// secretOverlap and appends secret.
func rotateSecrets(old []hookd.Secret, secret string, now time.Time) []hookd.Secret {
	expires := now.Add(secretOverlap)
	out := make([]hookd.Secret, 0, len(old)+1)
	for _, sec := range old {
		if !sec.ExpiresAt.IsZero() && !now.Before(sec.ExpiresAt) {
			continue
		}
		if sec.ExpiresAt.IsZero() || sec.ExpiresAt.After(expires) {
			sec.ExpiresAt = expires
		}
		out = append(out, sec)
	}
	out = append(out, hookd.Secret{Value: secret, CreatedAt: now})
	if len(out) > maxSecrets {
		out = out[len(out)-maxSecrets:]
	}
	return out
}

// recoverEndpoint re-queues the endpoint's failed and dead deliveries
// created since the body's "since".
func (s *Server) recoverEndpoint(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	if _, err := s.store.GetEndpoint(r.Context(), tenant, id); err != nil {
		return err
	}
	var in RecoverInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	if in.Since == nil {
		return invalid("/since", "is required: an RFC 3339 date-time")
	}
	n, err := s.engine.Requeue(r.Context(), hookd.RequeueFilter{TenantID: tenant, EndpointID: id, Since: *in.Since})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, Queued{Queued: n})
}

// listEndpointAttempts lists the endpoint's attempts, newest first,
// optionally only those that succeeded (2xx) or failed.
func (s *Server) listEndpointAttempts(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "succeeded" && status != "failed" {
		return invalid("/query/status", "must be succeeded or failed")
	}
	if _, err := s.store.GetEndpoint(r.Context(), tenant, id); err != nil {
		return err
	}
	f := hookd.AttemptFilter{TenantID: tenant, EndpointID: id, Page: p}
	as, next, err := s.filteredAttempts(r.Context(), f, status)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(as, next, attemptOut))
}

// filteredAttempts lists attempts with the given outcome. The store cannot
// filter by outcome, so this reads pages sized to what is still missing:
// the store's cursor after the last page read is then exactly where the
// next page starts. After maxFilterReads reads it answers a short page
// with a cursor.
func (s *Server) filteredAttempts(ctx context.Context, f hookd.AttemptFilter, status string) ([]*hookd.Attempt, string, error) {
	if status == "" {
		return s.store.ListAttempts(ctx, f)
	}
	want := f.Size()
	var out []*hookd.Attempt
	for range maxFilterReads {
		f.Limit = want - len(out)
		as, next, err := s.store.ListAttempts(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, a := range as {
			if a.Succeeded() == (status == "succeeded") {
				out = append(out, a)
			}
		}
		if next == "" || len(out) == want {
			return out, next, nil
		}
		f.Cursor = next
	}
	return out, f.Cursor, nil
}

func attemptOut(a *hookd.Attempt) Attempt {
	h := a.RequestHeaders
	if h == nil {
		h = map[string]string{}
	}
	return Attempt{
		ID: a.ID, DeliveryID: a.DeliveryID, EventID: a.EventID, EndpointID: a.EndpointID, Number: a.Number,
		StartedAt: a.StartedAt, LatencyMS: float64(a.Latency.Microseconds()) / 1000, URL: a.URL,
		RequestHeaders: h, ResponseStatus: a.ResponseStatus, ResponseBody: string(a.ResponseBody), Error: a.Error,
		Logs: a.Logs,
	}
}
