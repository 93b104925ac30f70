package signature

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// secretTag starts every secret hookd generates, followed by base64 key
// material, as the Standard Webhooks libraries expect.
const secretTag = "whsec_"

// secretBytes is the size of the key material GenerateSecret draws: 24
// bytes (192 bits), the Standard Webhooks minimum, and 32 base64 characters.
const secretBytes = 24

// SecretPrefix shows shownPrefixLen characters of key material, and none
// when there are fewer than minShownLen: a real secret has 32 or more.
const (
	shownPrefixLen = 4
	minShownLen    = 16
)

// GenerateSecret returns a new endpoint secret: "whsec_" followed by the
// standard (padded) base64 encoding of 24 bytes from crypto/rand.
// The error is non-nil only if the system's random source fails.
func GenerateSecret() (string, error) {
	var key [secretBytes]byte
	if _, err := rand.Read(key[:]); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return secretTag + base64.StdEncoding.EncodeToString(key[:]), nil
}

// DecodeSecret returns the HMAC key of a Standard Webhooks secret: s with an
// optional "whsec_" prefix removed, decoded as standard base64, padded or
// not. The result is a new slice the caller owns.
//
// It returns an error wrapping ErrBadSecret if the rest is not valid base64,
// contains line breaks or whitespace, or decodes to no bytes at all: an
// empty key would let anyone forge a signature, so it fails closed.
func DecodeSecret(s string) ([]byte, error) {
	material := strings.TrimPrefix(s, secretTag)
	if material == "" {
		return nil, fmt.Errorf("decode secret: empty key: %w", ErrBadSecret)
	}
	// encoding/base64 silently skips \r and \n; a secret with a line break
	// in it is a copy-paste accident, so refuse it instead of guessing.
	if strings.ContainsAny(material, " \t\r\n") {
		return nil, fmt.Errorf("decode secret: contains whitespace: %w", ErrBadSecret)
	}
	enc := base64.RawStdEncoding
	if strings.HasSuffix(material, "=") {
		enc = base64.StdEncoding
	}
	key, err := enc.DecodeString(material)
	if err != nil {
		// err carries only an offset, never key material.
		return nil, fmt.Errorf("decode secret: %w (%v)", ErrBadSecret, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("decode secret: empty key: %w", ErrBadSecret)
	}
	return key, nil
}

// SecretPrefix returns a short part of secret s that is safe to show in API
// reads and the dashboard, so people can tell secrets apart: the "whsec_"
// tag (when s has it) and the first 4 characters of the key material after
// it, for example "whsec_MfKQ".
//
// When the key material is shorter than 16 characters (too short to be a
// real secret), none of it is shown, because 4 characters would be a large
// part of it.
func SecretPrefix(s string) string {
	tag := ""
	if strings.HasPrefix(s, secretTag) {
		tag, s = secretTag, s[len(secretTag):]
	}
	if utf8.RuneCountInString(s) < minShownLen {
		return tag
	}
	end := 0
	for i := 0; i < shownPrefixLen; i++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	return tag + s[:end]
}
