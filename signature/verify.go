package signature

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signed timestamp may lie from the current
// time, in either direction, when Verifier.Tolerance is zero.
const DefaultTolerance = 5 * time.Minute

// Canonical forms of the header names Verify reads (http.Header keys).
const (
	canonWebhookID  = "Webhook-Id"
	canonWebhookTS  = "Webhook-Timestamp"
	canonWebhookSig = "Webhook-Signature"
	canonSvixID     = "Svix-Id"
	canonSvixTS     = "Svix-Timestamp"
	canonSvixSig    = "Svix-Signature"
)

// Verifier checks Standard Webhooks signatures. Build it with NewVerifier,
// then set the exported fields before first use if the defaults do not fit.
//
// A Verifier is safe for concurrent use by multiple goroutines as long as
// its fields are not changed meanwhile. It must not be copied after first
// use.
type Verifier struct {
	// Tolerance is how far the signed timestamp may lie from NowFunc(), in
	// the past or in the future. Zero or negative means DefaultTolerance
	// (5 minutes); there is deliberately no way to turn the check off.
	Tolerance time.Duration

	// NowFunc returns the current time. Nil means time.Now.
	NowFunc func() time.Time

	keys keyset
}

// NewVerifier returns a Verifier that accepts a signature made with any of
// the given "whsec_…" secrets (the prefix is optional): pass the old and the
// new secret during a rotation.
//
// It returns an error wrapping ErrBadSecret if no secret is given or one
// cannot be decoded (see DecodeSecret).
func NewVerifier(secrets ...string) (*Verifier, error) {
	v := &Verifier{}
	if err := newKeyset(&v.keys, "new verifier", secrets); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify checks a request's Standard Webhooks headers against body, the
// exact bytes received. It reads webhook-id, webhook-timestamp and
// webhook-signature; when none of those is present it reads svix-id,
// svix-timestamp and svix-signature instead. The two sets are never mixed.
// h must have canonical keys, as net/http builds them. Every value of the
// signature header is considered; of id and timestamp only the first.
//
// It returns nil if any "v1" entry matches any secret, and otherwise an error
// wrapping, in order of precedence: ErrBadSecret (a zero Verifier),
// ErrMissing, ErrMalformed, ErrExpired, ErrInvalid. See VerifyParts.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	idKey, tsKey, sigKey := canonWebhookID, canonWebhookTS, canonWebhookSig
	if len(h[idKey]) == 0 && len(h[tsKey]) == 0 && len(h[sigKey]) == 0 {
		idKey, tsKey, sigKey = canonSvixID, canonSvixTS, canonSvixSig
	}
	return v.verify(first(h[idKey]), first(h[tsKey]), h[sigKey], body)
}

// VerifyParts is Verify with the three header values given directly.
// Leading and trailing spaces and tabs around each value are ignored, as
// HTTP ignores them. signatureHeader holds one or more entries
// "<version>,<base64 signature>" separated by spaces; entries of another
// version than "v1" (e.g. "v1a,…") and entries without a comma are ignored.
//
// It returns nil if any v1 entry matches any secret, and otherwise an error
// wrapping:
//   - ErrBadSecret if v is a zero Verifier (it has no secrets);
//   - ErrMissing if msgID, timestamp or signatureHeader is empty;
//   - ErrMalformed if timestamp is not a decimal number of Unix seconds or
//     no entry has the "<version>,<signature>" form;
//   - ErrExpired if timestamp is more than the tolerance away from now;
//   - ErrInvalid if no v1 entry matches.
func (v *Verifier) VerifyParts(msgID, timestamp, signatureHeader string, body []byte) error {
	return v.verify(msgID, timestamp, []string{signatureHeader}, body)
}

func (v *Verifier) verify(msgID, timestamp string, sigHeaders []string, body []byte) error {
	if len(v.keys.keys) == 0 {
		return fmt.Errorf("verify: no secrets: %w", ErrBadSecret)
	}
	msgID, timestamp = trimOWS(msgID), trimOWS(timestamp)
	if msgID == "" {
		return fmt.Errorf("verify: no message id: %w", ErrMissing)
	}
	if timestamp == "" {
		return fmt.Errorf("verify: no timestamp: %w", ErrMissing)
	}
	if err := checkEntries(sigHeaders); err != nil {
		return err
	}
	ts, err := parseUnix(timestamp)
	if err != nil {
		return err
	}
	if err := v.checkTime(ts); err != nil {
		return err
	}
	if v.matches(msgID, timestamp, sigHeaders, body) {
		return nil
	}
	return fmt.Errorf("verify: %w", ErrInvalid)
}

// checkEntries reports ErrMissing when the signature headers hold no entry
// at all and ErrMalformed when no entry has the "<version>,<sig>" form.
func checkEntries(sigHeaders []string) error {
	seen := false
	for _, hdr := range sigHeaders {
		for rest := hdr; ; {
			var entry string
			if entry, rest = nextField(rest, " \t"); entry == "" {
				break
			}
			seen = true
			if version, sig, ok := strings.Cut(entry, ","); ok && version != "" && sig != "" {
				return nil
			}
		}
	}
	if !seen {
		return fmt.Errorf("verify: no signature: %w", ErrMissing)
	}
	return fmt.Errorf("verify: no entry of the form <version>,<signature>: %w", ErrMalformed)
}

// matches reports whether any v1 entry equals the MAC of any key. Length is
// compared first (it is public: every v1 MAC is 44 characters); content is
// compared in constant time.
func (v *Verifier) matches(msgID, timestamp string, sigHeaders []string, body []byte) bool {
	m := v.keys.get()
	defer v.keys.put(m)
	m.startContent(msgID, timestamp)
	for i := range m.macs {
		want := m.encodedMAC(i, body)
		for _, hdr := range sigHeaders {
			for rest := hdr; ; {
				var entry string
				if entry, rest = nextField(rest, " \t"); entry == "" {
					break
				}
				version, sig, _ := strings.Cut(entry, ",")
				if version != sigVersion || len(sig) != len(want) {
					continue
				}
				copy(m.cand[:], sig)
				if hmac.Equal(m.cand[:], want) {
					return true
				}
			}
		}
	}
	return false
}

func (v *Verifier) checkTime(ts time.Time) error {
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	now := time.Now
	if v.NowFunc != nil {
		now = v.NowFunc
	}
	// Sub saturates instead of overflowing, so absurd timestamps land here.
	if d := now().Sub(ts); d > tol || d < -tol {
		return fmt.Errorf("verify: timestamp %d is %v away from now: %w", ts.Unix(), d.Round(time.Second), ErrExpired)
	}
	return nil
}

// parseUnix parses a timestamp of decimal Unix seconds: digits only, no
// sign, no fraction.
func parseUnix(s string) (time.Time, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("verify: timestamp is not Unix seconds: %w", ErrMalformed)
		}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("verify: timestamp out of range: %w", ErrMalformed)
	}
	return time.Unix(sec, 0), nil
}

// nextField skips leading separators in s and returns the field up to the
// next separator and what follows it. field is "" when s holds no more.
func nextField(s, seps string) (field, rest string) {
	s = strings.TrimLeft(s, seps)
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// trimOWS removes HTTP optional whitespace (spaces and tabs) around s.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}
