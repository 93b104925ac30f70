package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// PortalTokenPrefix starts every portal token.
const PortalTokenPrefix = "hkp_"

// DefaultPortalTTL is how long a portal link stays valid unless the
// request says otherwise.
const DefaultPortalTTL = time.Hour

// PortalInput is the body of POST /v1/tenants/{tenant}/portal.
// Capabilities name what the portal may do beyond "view"; TTL is how long
// the link may be opened (default 1h, at most 24h).
type PortalInput struct {
	Capabilities []string        `json:"capabilities"`
	TTL          *hookd.Duration `json:"ttl,omitempty"`
}

// PortalLink is a single-use link into a tenant's consumer portal. The
// token rides in the URL's fragment, which browsers never send to a
// server, so it stays out of every access log.
type PortalLink struct {
	URL          string    `json:"url"`
	ID           string    `json:"id"`
	Capabilities []string  `json:"capabilities"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func (s *Server) portalRoutes() {
	s.handle("POST /v1/tenants/{tenant}/portal", s.createPortalLink)
}

// createPortalLink makes a portal link (admin keys only, see access.go).
// The link's host is the one the request was sent to.
func (s *Server) createPortalLink(w http.ResponseWriter, r *http.Request) error {
	var in PortalInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	caps, err := hookd.NormalizeCapabilities(in.Capabilities)
	if err != nil {
		return err
	}
	ttl := DefaultPortalTTL
	if in.TTL != nil {
		ttl = time.Duration(*in.TTL)
	}
	if ttl <= 0 || ttl > hookd.MaxPortalTTL {
		return invalid("/ttl", "must be a duration above 0 and at most 24h, such as \"1h\"")
	}
	token, err := newPortalToken()
	if err != nil {
		return err
	}
	t := &hookd.PortalToken{TenantID: r.PathValue("tenant"), Capabilities: caps, ExpiresAt: s.now().Add(ttl).UTC()}
	if err := s.store.CreatePortalToken(r.Context(), t, token); err != nil {
		return err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, PortalLink{URL: scheme + "://" + r.Host + "/ui/portal#token=" + token,
		ID: t.ID, Capabilities: caps, ExpiresAt: t.ExpiresAt})
}

func newPortalToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate portal token: %w", err)
	}
	return PortalTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// CreatePortalLink makes a single-use link into the tenant's consumer
// portal with the capabilities given (view is always granted) and a
// lifetime (0: the server's default of 1h).
func (c *Client) CreatePortalLink(ctx context.Context, tenant string, caps []string, ttl time.Duration) (*PortalLink, error) {
	in := PortalInput{Capabilities: caps}
	if ttl != 0 {
		d := hookd.Duration(ttl)
		in.TTL = &d
	}
	if in.Capabilities == nil {
		in.Capabilities = []string{}
	}
	return send[PortalLink](ctx, c, call{method: http.MethodPost, path: tenantPath(tenant) + "/portal", body: in})
}
