package receive

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd/signature"
)

// hmacVerifier is the generic HMAC check.
type hmacVerifier struct {
	header, alg, encoding, prefix string
	tsHeader, idHeader            string
	signed                        []part
	keys                          [][]byte
	tol                           time.Duration
}

// part is a piece of a signed-content template: a literal, or one of
// {body}, {timestamp}, {id}, {url}, {method}.
type part struct {
	lit         string
	placeholder string
}

var placeholders = map[string]bool{"body": true, "timestamp": true, "id": true, "url": true, "method": true}

// parseTemplate splits a signed-content template into parts.
func parseTemplate(s string) ([]part, error) {
	var out []part
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			out = append(out, part{lit: s})
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed { in %q", s)
		}
		name := s[i+1 : i+j]
		if !placeholders[name] {
			return nil, fmt.Errorf("unknown placeholder {%s}: use {body}, {timestamp}, {id}, {url} or {method}", name)
		}
		if i > 0 {
			out = append(out, part{lit: s[:i]})
		}
		out = append(out, part{placeholder: name})
		s = s[i+j+1:]
	}
	return out, nil
}

func (*hmacVerifier) name() string { return "hmac" }

func (v *hmacVerifier) verify(rc *reqCtx) *rejection {
	if err := v.check(rc); err != nil {
		return unauthorized(fmt.Sprintf("HMAC header=%q", v.header), err)
	}
	return nil
}

func (v *hmacVerifier) check(rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get(v.header), v.prefix, v.encoding)
	if err != nil {
		return err
	}
	var ts, id string
	if v.tsHeader != "" {
		ts = rc.r.Header.Get(v.tsHeader)
		t, err := parseUnix(ts)
		if err != nil {
			return err
		}
		if err := checkTime(t, rc.now, v.tol); err != nil {
			return err
		}
	}
	if v.idHeader != "" {
		if id = rc.r.Header.Get(v.idHeader); id == "" {
			return missing(v.idHeader)
		}
	}
	msg := v.render(rc, ts, id)
	if !macMatches(v.alg, v.keys, msg, cands) {
		return errNoMatch
	}
	return nil
}

func (v *hmacVerifier) render(rc *reqCtx, ts, id string) []byte {
	n := len(rc.body)
	for _, p := range v.signed {
		n += len(p.lit) + 64
	}
	msg := make([]byte, 0, n)
	for _, p := range v.signed {
		switch p.placeholder {
		case "":
			msg = append(msg, p.lit...)
		case "body":
			msg = append(msg, rc.body...)
		case "timestamp":
			msg = append(msg, ts...)
		case "id":
			msg = append(msg, id...)
		case "url":
			msg = append(msg, rc.signedURL()...)
		case "method":
			msg = append(msg, rc.r.Method...)
		}
	}
	return msg
}

// secretKeys returns the keys of secret and secrets: each secret's bytes.
func secretKeys(secret string, more []string) [][]byte {
	var out [][]byte
	for _, s := range append([]string{secret}, more...) {
		if s != "" {
			out = append(out, []byte(s))
		}
	}
	return out
}

// validAlgorithm reports whether signature.ComputeHMAC knows alg.
func validAlgorithm(alg string) bool {
	_, err := signature.ComputeHMAC(alg, []byte("k"), nil)
	return err == nil
}
