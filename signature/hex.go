package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// hexSigLen is the length of a hex-encoded HMAC-SHA256: 64 characters.
const hexSigLen = 2 * sha256.Size

// HMACSHA256Hex returns prefix followed by the lowercase hex HMAC-SHA256 of
// body, the hmac-sha256 scheme (GitHub / DataChonk style), e.g.
// HMACSHA256Hex("sha256=", []byte(secret), body).
//
// key is the secret string's own bytes, "whsec_" and all, not decoded: that
// is how GitHub-style receivers use it. It should not be empty.
func HMACSHA256Hex(prefix string, key, body []byte) string {
	return string(AppendHMACSHA256Hex(make([]byte, 0, len(prefix)+hexSigLen), prefix, key, body))
}

// AppendHMACSHA256Hex is HMACSHA256Hex appending to dst: it appends prefix
// and the lowercase hex HMAC-SHA256 of body under key, and returns the
// extended slice. It does not retain dst, key or body.
func AppendHMACSHA256Hex(dst []byte, prefix string, key, body []byte) []byte {
	var sum [sha256.Size]byte
	h := hmac.New(sha256.New, key)
	h.Write(body)
	dst = append(dst, prefix...)
	return hex.AppendEncode(dst, h.Sum(sum[:0]))
}

// VerifyHMACSHA256Hex checks header, a received hmac-sha256 signature,
// against body under key (the secret string's bytes, as in HMACSHA256Hex).
// header may hold several values separated by commas and/or spaces, so a
// sender can pass one per secret during a rotation; each value is prefix
// followed by 64 hex digits (either case). Values without the prefix or of
// another length are ignored. prefix must not contain a comma or a space.
//
// It returns nil if any value matches, compared in constant time, and
// otherwise an error wrapping:
//   - ErrBadSecret if key is empty (anyone could forge such a MAC);
//   - ErrMissing if header holds no value;
//   - ErrMalformed if no value is prefix plus 64 hex digits;
//   - ErrInvalid if no well-formed value matches.
func VerifyHMACSHA256Hex(header, prefix string, key, body []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("verify hmac-sha256: empty key: %w", ErrBadSecret)
	}
	var want, got [sha256.Size]byte
	var digitBuf [hexSigLen]byte
	seen, wellFormed := false, false
	for rest := header; ; {
		var value string
		if value, rest = nextField(rest, ", \t"); value == "" {
			break
		}
		seen = true
		digits, ok := strings.CutPrefix(value, prefix)
		if !ok || len(digits) != hexSigLen {
			continue
		}
		copy(digitBuf[:], digits)
		if _, err := hex.Decode(got[:], digitBuf[:]); err != nil {
			continue
		}
		if !wellFormed {
			wellFormed = true
			h := hmac.New(sha256.New, key)
			h.Write(body)
			h.Sum(want[:0])
		}
		if hmac.Equal(got[:], want[:]) {
			return nil
		}
	}
	switch {
	case !seen:
		return fmt.Errorf("verify hmac-sha256: no signature: %w", ErrMissing)
	case !wellFormed:
		return fmt.Errorf("verify hmac-sha256: no value of the form %q + 64 hex digits: %w", prefix, ErrMalformed)
	}
	return fmt.Errorf("verify hmac-sha256: %w", ErrInvalid)
}
