package receive

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// verifier is one entry of a source's verify list.
type verifier interface {
	// name says what a pass establishes, e.g. "github" or "ip_allow".
	name() string
	// verify returns nil when the request passes.
	verify(rc *reqCtx) *rejection
}

// handshaker is a verifier whose provider sends handshakes (challenges)
// that hookd answers itself once the request verified.
type handshaker interface {
	handshake(rc *reqCtx) (*handshake, *rejection)
}

// handshake is the answer to a provider's handshake.
type handshake struct {
	what        string // "slack url_verification", for the log
	contentType string
	body        []byte
}

// errBody marks a verification that could not parse the body it needs:
// the request is answered 400, not 401.
type errBody struct{ rej *rejection }

func (e *errBody) Error() string { return e.rej.detail }

// unauthorized turns a verification error into the answer: 400 for a body
// it could not parse, else 401 with a WWW-Authenticate challenge.
func unauthorized(challenge string, err error) *rejection {
	var be *errBody
	if errors.As(err, &be) {
		return be.rej
	}
	rej := reject(http.StatusUnauthorized, hookd.EUNAUTHORIZED, verifyMessage(err))
	rej.header = http.Header{"Www-Authenticate": {challenge}}
	return rej
}

// verifyMessage is what a client is told about a failed verification:
// which rule failed, never a secret or an expected value.
func verifyMessage(err error) string {
	switch {
	case errors.Is(err, signature.ErrMissing):
		return "missing signature: " + err.Error()
	case errors.Is(err, signature.ErrExpired):
		return "stale timestamp: " + err.Error()
	case errors.Is(err, signature.ErrMalformed):
		return "malformed signature: " + err.Error()
	}
	return "bad signature: " + err.Error()
}

func missing(what string) error { return fmt.Errorf("no %s: %w", what, signature.ErrMissing) }

func malformed(what string) error { return fmt.Errorf("%s: %w", what, signature.ErrMalformed) }

var errNoMatch = fmt.Errorf("no signature matches: %w", signature.ErrInvalid)

// checkTime checks a signed timestamp against the tolerance, both ways.
func checkTime(ts, now time.Time, tol time.Duration) error {
	if d := now.Sub(ts); d > tol || d < -tol {
		return fmt.Errorf("timestamp %d is %v away from now (tolerance %v): %w",
			ts.Unix(), d.Round(time.Second), tol, signature.ErrExpired)
	}
	return nil
}

// parseUnix parses decimal Unix seconds, or milliseconds when the number
// has 13 digits or more.
func parseUnix(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, missing("timestamp")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, malformed("timestamp is not Unix time")
	}
	if len(s) >= 13 {
		return time.UnixMilli(n), nil
	}
	return time.Unix(n, 0), nil
}

// macMatches reports whether any of the candidate MACs equals the MAC of
// msg under any key, compared in constant time.
func macMatches(alg string, keys [][]byte, msg []byte, cands [][]byte) bool {
	for _, k := range keys {
		want, err := signature.ComputeHMAC(alg, k, msg)
		if err != nil {
			return false
		}
		for _, c := range cands {
			if signature.Equal(c, want) {
				return true
			}
		}
	}
	return false
}

// decodeMAC decodes one encoded MAC; nil when it does not decode.
func decodeMAC(encoding, s string) []byte {
	var b []byte
	var err error
	if encoding == "base64" {
		b, err = base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		}
	} else {
		b, err = hex.DecodeString(s)
	}
	if err != nil {
		return nil
	}
	return b
}

// candidates splits a signature header into MACs: values separated by
// commas or spaces, each prefix followed by the encoded MAC. Values without
// the prefix or that do not decode are skipped.
func candidates(header, prefix, encoding string) ([][]byte, error) {
	if strings.TrimSpace(header) == "" {
		return nil, missing("signature")
	}
	var out [][]byte
	for _, v := range strings.FieldsFunc(header, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		enc, ok := strings.CutPrefix(v, prefix)
		if !ok {
			continue
		}
		if b := decodeMAC(encoding, enc); b != nil {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, malformed("no value of the form " + strconv.Quote(prefix+"<"+encoding+">"))
	}
	return out, nil
}

// basicVerifier is HTTP basic authentication.
type basicVerifier struct{ user, pass []byte }

func (*basicVerifier) name() string { return "basic" }

func (v *basicVerifier) verify(rc *reqCtx) *rejection {
	user, pass, ok := rc.r.BasicAuth()
	// Both compared every time, so that timing tells nothing of which.
	userOK := signature.Equal([]byte(user), v.user)
	passOK := signature.Equal([]byte(pass), v.pass)
	if ok && userOK && passOK {
		return nil
	}
	rej := reject(http.StatusUnauthorized, hookd.EUNAUTHORIZED, "missing or bad basic credentials")
	rej.header = http.Header{"Www-Authenticate": {`Basic realm="hookd", charset="UTF-8"`}}
	return rej
}

// tokenVerifier compares a header with a shared token.
type tokenVerifier struct {
	header string
	value  []byte
}

func (*tokenVerifier) name() string { return "token" }

func (v *tokenVerifier) verify(rc *reqCtx) *rejection {
	got := rc.r.Header.Get(v.header)
	if got != "" && signature.Equal([]byte(got), v.value) {
		return nil
	}
	challenge := fmt.Sprintf("Token header=%q", v.header)
	if strings.EqualFold(v.header, "Authorization") {
		challenge = "Bearer"
	}
	rej := reject(http.StatusUnauthorized, hookd.EUNAUTHORIZED, "missing or bad token in "+v.header)
	rej.header = http.Header{"Www-Authenticate": {challenge}}
	return rej
}

// ipVerifier admits requests from the allowed networks.
type ipVerifier struct{ allow []netip.Prefix }

func (*ipVerifier) name() string { return "ip_allow" }

func (v *ipVerifier) verify(rc *reqCtx) *rejection {
	ip, err := netip.ParseAddr(rc.remoteIP)
	if err == nil {
		ip = ip.Unmap()
		for _, p := range v.allow {
			if p.Contains(ip) {
				return nil
			}
		}
	}
	return reject(http.StatusForbidden, hookd.EFORBIDDEN, fmt.Sprintf("address %s is not allowed", rc.remoteIP))
}

// clientIP returns the address a request came from: the peer, or, when
// the peer is a trusted proxy, the nearest address in X-Forwarded-For
// that is not one.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := remoteAddr(r)
	if len(trusted) == 0 || !inPrefixes(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if !inPrefixes(hops[i], trusted) {
			return hops[i]
		}
	}
	return peer
}

func remoteAddr(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return r.RemoteAddr
}

func inPrefixes(s string, ps []netip.Prefix) bool {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parsePrefixes parses CIDRs or bare addresses.
func parsePrefixes(list []string, ptr string, fe *fieldErrors) []netip.Prefix {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		fe.add(ptr+"/"+strconv.Itoa(i), "%q is not a CIDR or an IP address", s)
	}
	return out
}
