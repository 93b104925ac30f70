package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
type session struct {
	Key     string `json:"k"`
	CSRF    string `json:"c"`
	Expires int64  `json:"e"` // unix seconds
}

// viewer is who a request comes from, once the session's key is verified.
type viewer struct {
	httpapi.Caller
	csrf string
	api  *httpapi.Client
}

// Admin reports whether the viewer reaches every tenant.
func (v *viewer) Admin() bool { return v.Tenant == "" }

// CanWrite reports whether the viewer may change anything.
func (v *viewer) CanWrite() bool { return !v.ReadOnly }

// randomToken returns 32 random bytes in base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// startSession seals a new session for key into the cookie.
func (u *UI) startSession(w http.ResponseWriter, r *http.Request, key string) error {
	csrf, err := randomToken()
	if err != nil {
		return err
	}
	exp := u.now().Add(u.cfg.SessionTTL)
	plain, err := json.Marshal(session{Key: key, CSRF: csrf, Expires: exp.Unix()})
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	sealed, err := u.cfg.Cipher.Seal(plain, sessionAD)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sealed, Path: cookiePath, Expires: exp,
		MaxAge: int(u.cfg.SessionTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
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
	if json.Unmarshal(plain, &s) != nil || s.Key == "" || s.CSRF == "" {
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
