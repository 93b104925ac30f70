package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// Cookie names and the associated data the session is sealed with.
const (
	sessionCookie = "hookd_ui"
	signinCookie  = "hookd_ui_signin" // CSRF token of the sign-in form
	sessionAD     = "hookd ui session v1"
	cookiePath    = "/ui/"
)

// session is what the sealed cookie holds. Key is the API key the session
// acts with: it is verified again on every request, so revoking the key
// ends the session.
//
// A consumer portal session has no key: it holds its tenant and
// capabilities instead, granted by a single-use portal link.
type session struct {
	Key      string   `json:"k,omitempty"`
	Tenant   string   `json:"t,omitempty"` // portal sessions
	Caps     []string `json:"p,omitempty"` // portal sessions
	PortalID string   `json:"i,omitempty"` // the portal link's id, for the API's logs
	CSRF     string   `json:"c"`
	Expires  int64    `json:"e"` // unix seconds
}

// viewer is who a request comes from, once the session's key is verified.
type viewer struct {
	httpapi.Caller
	caps []string // portal sessions: what the portal may do; nil for keys
	csrf string
	api  *httpapi.Client
}

// Admin reports whether the viewer reaches every tenant.
func (v *viewer) Admin() bool { return v.Tenant == "" }

// Portal reports whether the viewer is a consumer portal session.
func (v *viewer) Portal() bool { return v.caps != nil }

// Can reports whether the viewer may use a capability (hookd.CapView,
// hookd.CapRetry, …): a key that may write has them all, a read-only
// key only view, a portal session those of its link.
//
// "admin" (capAdmin) is the capability of a writing admin key alone.
func (v *viewer) Can(capability string) bool {
	switch {
	case v.caps != nil:
		return slices.Contains(v.caps, capability)
	case capability == capAdmin:
		return v.Admin() && !v.ReadOnly
	}
	return capability == hookd.CapView || !v.ReadOnly
}

// randomToken returns 32 random bytes in base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// startSession seals a new session for key into the cookie.
//
// A portal session's cookie is SameSite=None over TLS, so that the
// portal works framed in the producer's site; its forms carry the CSRF
// token all the same.
func (u *UI) startSession(w http.ResponseWriter, r *http.Request, s session) error {
	csrf, err := randomToken()
	if err != nil {
		return err
	}
	exp := u.now().Add(u.cfg.SessionTTL)
	s.CSRF, s.Expires = csrf, exp.Unix()
	plain, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	sealed, err := u.cfg.Cipher.Seal(plain, sessionAD)
	if err != nil {
		return err
	}
	same := http.SameSiteLaxMode
	if s.Tenant != "" && r.TLS != nil {
		same = http.SameSiteNoneMode
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sealed, Path: cookiePath, Expires: exp,
		MaxAge: int(u.cfg.SessionTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: same})
	return nil
}

// openSession returns the request's session, or nil when it has none
// that opens and has not expired.
func (u *UI) openSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	plain, err := u.cfg.Cipher.Open(c.Value, sessionAD)
	if err != nil {
		return nil
	}
	var s session
	if json.Unmarshal(plain, &s) != nil || s.CSRF == "" || (s.Key == "") == (s.Tenant == "") {
		return nil
	}
	if !u.now().Before(time.Unix(s.Expires, 0)) {
		return nil
	}
	return &s
}

// endSession clears the session cookie.
func endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// errSignedOut means the request has no working session.
var errSignedOut = errors.New("signed out")

// viewerOf verifies the request's session and its key. A key that no
// longer works ends the session (errSignedOut); a store failure is
// returned as is (fail closed).
func (u *UI) viewerOf(r *http.Request) (*viewer, error) {
	s := u.openSession(r)
	if s == nil {
		return nil, errSignedOut
	}
	if s.Tenant != "" {
		c := httpapi.Caller{KeyID: "portal " + s.PortalID, Tenant: s.Tenant, ReadOnly: len(s.Caps) <= 1}
		return &viewer{Caller: c, caps: s.Caps, csrf: s.CSRF, api: u.callerClient(c)}, nil
	}
	c, err := u.cfg.VerifyFunc(r.Context(), s.Key)
	if hookd.ErrorCode(err) == hookd.EUNAUTHORIZED {
		return nil, errSignedOut
	}
	if err != nil {
		return nil, err
	}
	return &viewer{Caller: c, csrf: s.CSRF, api: u.client(s.Key)}, nil
}

// checkCSRF compares the form's csrf field with want in constant time.
func checkCSRF(r *http.Request, want string) error {
	got := r.PostFormValue("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return &hookd.Error{Code: hookd.EFORBIDDEN,
			Message: "the form's security token is missing or stale: reload the page and try again"}
	}
	return nil
}
