package dashboard_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	p := must(t, b.get("/ui/"), http.StatusOK)
	for _, want := range []string{`<label for="api_key">API key</label>`, `>Sign in</button>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	bad := b.post("/ui/signin", url.Values{"api_key": {"hk_not-a-key-at-all-0000000000000000"}}, true)
	must(t, bad, http.StatusUnauthorized)
	if !strings.Contains(bad.body, "does not work") {
		t.Errorf("bad key page: %s", bad.body)
	}
	ok := b.signIn(h.key)
	if ok.location != "/ui/t/default/endpoints" {
		t.Errorf("Location = %q", ok.location)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: ok.header}).Cookies() {
		if c.Name == "hookd_ui" && c.Value != "" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no session cookie in %v", ok.header)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/ui/" || cookie.MaxAge != 3600 {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, not Secure over http, Path /ui/, Max-Age 3600", cookie)
	}
	if strings.Contains(cookie.Value, h.key) {
		t.Error("the cookie carries the API key in clear")
	}
	must(t, b.get("/ui/t/default/endpoints"), http.StatusOK)
	must(t, b.get("/ui/"), http.StatusSeeOther)

	out := must(t, b.post("/ui/signout", nil, true), http.StatusSeeOther)
	if out.location != "/ui/" {
		t.Errorf("sign out Location = %q", out.location)
	}
	if p := b.get("/ui/t/default/endpoints"); p.status != http.StatusSeeOther || p.location != "/ui/" {
		t.Errorf("after sign out: %d %q", p.status, p.location)
	}
}

func TestSignInNeedsItsFormToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	// No sign-in form was loaded: no token cookie.
	p := b.post("/ui/signin", url.Values{"api_key": {h.key}, "csrf": {"forged"}}, false)
	must(t, p, http.StatusForbidden)
	must(t, b.get("/ui/"), http.StatusOK)
	p = b.post("/ui/signin", url.Values{"api_key": {h.key}, "csrf": {"forged"}}, false)
	must(t, p, http.StatusForbidden)
	if p := b.get("/ui/t/default/endpoints"); p.status != http.StatusSeeOther {
		t.Errorf("signed in without the form's token: %d", p.status)
	}
}

func TestSessionEndsWithItsKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	k, err := h.admin.CreateAPIKey(context.Background(), hookdKeyInput(hookd.ScopeAdmin))
	if err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.signIn(k.Key)
	must(t, b.get("/ui/t/default/endpoints"), http.StatusOK)
	if err := h.admin.RevokeAPIKey(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
	// The key cache keeps a key for at most a second.
	waitFor(t, "the revoked key's session to end", func() bool {
		p := b.get("/ui/t/default/endpoints")
		return p.status == http.StatusSeeOther && p.location == "/ui/"
	})
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	later := time.Now().Add(time.Hour + time.Minute)
	h.now.Store(&later)
	if p := b.get("/ui/t/default/endpoints"); p.status != http.StatusSeeOther || p.location != "/ui/" {
		t.Errorf("expired session: %d %q", p.status, p.location)
	}
}

func TestSessionWorksOnAnotherNode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	other := httptest.NewServer(h.newUI(harnessOptions{}))
	t.Cleanup(other.Close)
	u, _ := url.Parse(h.ts.URL + "/ui/")
	req, _ := http.NewRequest(http.MethodGet, other.URL+"/ui/t/default/endpoints", nil)
	for _, c := range b.hc.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the other node answered %d", resp.StatusCode)
	}
}

func TestTamperedSessionIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	u, _ := url.Parse(h.ts.URL + "/ui/")
	var tampered *http.Cookie
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == "hookd_ui" {
			v := []byte(c.Value)
			v[len(v)-5] ^= 1
			tampered = &http.Cookie{Name: c.Name, Value: string(v), Path: "/ui/"}
		}
	}
	if tampered == nil {
		t.Fatal("no session cookie")
	}
	other := h.browser()
	other.hc.Jar.SetCookies(u, []*http.Cookie{tampered})
	if p := other.get("/ui/t/default/endpoints"); p.status != http.StatusSeeOther {
		t.Errorf("tampered session: %d", p.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{frameAncestors: "'self' https://app.example.com"})
	b := h.browser()
	for _, path := range []string{"/ui/", "/ui/static/htmx.min.js", "/ui/nope"} {
		p := b.get(path)
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'self' https://app.example.com"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows unsafe sources", path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	p := b.signIn(h.key)
	p = must(t, b.get(p.location), http.StatusOK)
	if !strings.Contains(p.body, `"historyCacheSize":0`) {
		t.Error("htmx may keep pages (and the secrets shown once) in sessionStorage")
	}
	for _, bad := range []string{"<script>", " style=", " onclick=", "hx-on", "http://", "https://"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("page has %q: inline script or style, or an external reference", bad)
		}
	}
}

func TestVendoredHTMXMatchesItsChecksum(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	p := must(t, h.browser().get("/ui/static/htmx.min.js"), http.StatusOK)
	note, err := os.ReadFile("static/SHA256")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(p.body))
	if want := strings.Fields(string(note))[0]; hex.EncodeToString(sum[:]) != want {
		t.Errorf("served htmx.min.js has sha256 %x, static/SHA256 says %s", sum, want)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q", ct)
	}
	must(t, h.browser().get("/ui/static/"), http.StatusNotFound)
	must(t, h.browser().get("/ui/static/layout.html"), http.StatusNotFound)
}
