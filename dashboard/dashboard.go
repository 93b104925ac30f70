// Package dashboard serves hookd's web UI under /ui/: server-rendered
// html/template pages, enhanced by a vendored htmx when JavaScript runs
// and fully readable without it. Every read and every change goes through
// the REST API's handler in process, with the signed-in API key, so the
// UI enforces exactly the API's rules (scopes, read-only keys, validation)
// and shows the API's problem details as its error messages.
//
// Sessions are cookies sealed (AES-256-GCM) under the store's master key,
// which every node shares, so a session works on any node; the key it
// carries is verified again on every request through the API's key cache,
// so a revoked or expired key ends its sessions within a second.
package dashboard

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/secrets"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults.
const (
	DefaultFrameAncestors = "'self'"
	DefaultSessionTTL     = 12 * time.Hour
)

// Config is what the dashboard needs. API, VerifyFunc and Cipher are
// required.
type Config struct {
	// API is the REST API's handler (httpapi.Server.Handler()): every
	// page reads and changes through it.
	API http.Handler
	// VerifyFunc checks an API key as the API does
	// (httpapi.Server.Verify).
	VerifyFunc func(ctx context.Context, key string) (httpapi.Caller, error)
	// Cipher seals session cookies; every node must share its key (the
	// store's master key does).
	Cipher *secrets.Cipher
	// Portals redeems consumer portal links (the store). Nil: /ui/portal
	// is not served.
	Portals hookd.PortalTokenStore
	// FrameAncestors is the CSP frame-ancestors source list: who may frame
	// the pages. Default DefaultFrameAncestors.
	FrameAncestors string
	// SessionTTL bounds a session. Default DefaultSessionTTL.
	SessionTTL time.Duration
	// Logger receives internal errors (never keys or secrets). Default
	// slog.Default().
	Logger *slog.Logger
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
}

// UI is the dashboard. Build it with New; it is safe for concurrent use.
type UI struct {
	cfg     Config
	pages   map[string]*template.Template
	static  fs.FS
	apiHTTP *http.Client
	mux     *http.ServeMux
}

// New returns the dashboard, or an error when cfg lacks what it needs.
func New(cfg Config) (*UI, error) {
	if cfg.API == nil || cfg.VerifyFunc == nil || cfg.Cipher == nil {
		return nil, errors.New("dashboard: API, VerifyFunc and Cipher are required")
	}
	if cfg.FrameAncestors == "" {
		cfg.FrameAncestors = DefaultFrameAncestors
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	u := &UI{cfg: cfg, pages: pages, static: static,
		apiHTTP: &http.Client{Transport: inProcess{h: cfg.API}}, mux: http.NewServeMux()}
	u.routes()
	return u, nil
}

// Handler serves everything under /ui/; mount it at "/ui/".
func (u *UI) Handler() http.Handler { return u.secure(u.mux) }

func (u *UI) now() time.Time { return u.cfg.NowFunc() }

// secure sets the headers of every answer: a strict Content-Security-Policy
// (no inline script or style, nothing from elsewhere), no sniffing, no
// referrer to other sites.
func (u *UI) secure(next http.Handler) http.Handler {
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + u.cfg.FrameAncestors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
