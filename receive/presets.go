package receive

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd/signature"
)

// keyKind is what a preset verifies with.
type keyKind int

const (
	sharedSecret keyKind = iota
	ed25519Key           // public_key: hex
	ecdsaKey             // public_key: base64 DER (SubjectPublicKeyInfo), P-256
	whsecSecret          // secret: "whsec_" + base64 (Standard Webhooks)
)

// dedupeRule says where a delivery id is: the first header present, else
// a JSON Pointer into the body.
type dedupeRule struct {
	headers []string
	pointer string
}

// preset is a provider's documented signature scheme.
type preset struct {
	name string
	// tolerance of the signed timestamp; 0 when the scheme signs none.
	tolerance time.Duration
	key       keyKind
	needsURL  bool // signs the URL: public_url is required
	// headerOnly: the check reads headers only (a shared token).
	headerOnly bool
	// bodyBound: the check parses the body (a signature or timestamp
	// inside it, form parameters), so it runs once the body is decoded.
	bodyBound bool
	dedupe    dedupeRule
	checkFunc func(v *presetVerifier, rc *reqCtx) error
	// handshakeFunc answers the provider's challenge, when the request is one
	// (nil, nil otherwise).
	handshakeFunc func(v *presetVerifier, rc *reqCtx) (*handshake, *rejection)
	// doc is a one-line summary for the documentation.
	doc string
}

// presets returns the providers hookd verifies natively, by name. The
// table is built once, on first use, and never changes: callers must not
// modify it or its presets.
var presets = sync.OnceValue(func() map[string]*preset {
	m := map[string]*preset{}
	for _, p := range providerList() {
		m[p.name] = p
	}
	return m
})

// Providers returns the names of the verification presets, sorted.
func Providers() []string {
	out := make([]string, 0, len(presets()))
	for n := range presets() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// presetVerifier is a preset bound to its keys.
type presetVerifier struct {
	p    *preset
	keys [][]byte
	ed   ed25519.PublicKey
	ec   *ecdsa.PublicKey
	std  *signature.Verifier
	tol  time.Duration
}

func (v *presetVerifier) name() string { return v.p.name }

func (v *presetVerifier) verify(rc *reqCtx) *rejection {
	if err := v.p.checkFunc(v, rc); err != nil {
		return unauthorized(v.p.name, err)
	}
	return nil
}

func (v *presetVerifier) handshake(rc *reqCtx) (*handshake, *rejection) {
	if v.p.handshakeFunc == nil {
		return nil, nil
	}
	return v.p.handshakeFunc(v, rc)
}

// newPresetVerifier binds a preset to the keys of a verify entry.
func newPresetVerifier(p *preset, e *Verify, ptr string, fe *fieldErrors, now func() time.Time) *presetVerifier {
	v := &presetVerifier{p: p, tol: time.Duration(e.Tolerance)}
	if v.tol <= 0 {
		v.tol = p.tolerance
	}
	switch p.key {
	case sharedSecret:
		if v.keys = secretKeys(e.Secret, e.Secrets); len(v.keys) == 0 {
			fe.add(ptr+"/secret", "is required by provider %s", p.name)
		}
	case whsecSecret:
		std, err := signature.NewVerifier(append([]string{e.Secret}, e.Secrets...)...)
		if err != nil || e.Secret == "" {
			fe.add(ptr+"/secret", "must be a Standard Webhooks secret (whsec_ and base64)")
			break
		}
		std.Tolerance, std.NowFunc = v.tol, now
		v.std = std
	case ed25519Key:
		b, err := hex.DecodeString(strings.TrimSpace(e.PublicKey))
		if err != nil || len(b) != ed25519.PublicKeySize {
			fe.add(ptr+"/public_key", "must be an Ed25519 public key in hex (64 digits)")
		}
		v.ed = ed25519.PublicKey(b)
	case ecdsaKey:
		v.ec = parseECDSAKey(e.PublicKey)
		if v.ec == nil {
			fe.add(ptr+"/public_key", "must be an ECDSA P-256 public key, base64 DER (SubjectPublicKeyInfo)")
		}
	}
	return v
}

func parseECDSAKey(s string) *ecdsa.PublicKey {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok || ec.Curve.Params().Name != "P-256" {
		return nil
	}
	return ec
}

// match checks candidate MACs of msg under the preset's keys.
func (v *presetVerifier) match(alg string, msg []byte, cands [][]byte) error {
	if !macMatches(alg, v.keys, msg, cands) {
		return errNoMatch
	}
	return nil
}

// checkUnix checks a Unix timestamp (seconds, or milliseconds) against
// the tolerance.
func (v *presetVerifier) checkUnix(ts string, now time.Time) error {
	t, err := parseUnix(ts)
	if err != nil {
		return err
	}
	return checkTime(t, now, v.tol)
}

// header returns a required header, or ErrMissing naming it.
func header(r *http.Request, name string) (string, error) {
	v := strings.TrimSpace(r.Header.Get(name))
	if v == "" {
		return "", missing(name + " header")
	}
	return v, nil
}

// concat joins byte strings into one new slice.
func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// kvSignature parses "t=…,v1=…,v1=…" style headers (Stripe, Calendly,
// Paddle with ";"): the value of tsKey and the decoded values of sigKey.
func kvSignature(h, sep, tsKey, sigKey, encoding string) (string, [][]byte, error) {
	var ts string
	var sigs [][]byte
	for item := range strings.SplitSeq(h, sep) {
		k, val, _ := strings.Cut(strings.TrimSpace(item), "=")
		switch k {
		case tsKey:
			ts = val
		case sigKey:
			if b := decodeMAC(encoding, val); b != nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return "", nil, malformed(fmt.Sprintf("need %s= and %s=", tsKey, sigKey))
	}
	return ts, sigs, nil
}
