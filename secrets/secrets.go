// Package secrets encrypts hookd's secrets at rest and hashes its API keys.
//
// A Cipher seals values with AES-256-GCM under a 32-byte master key. A
// sealed value is text that names the key that sealed it:
//
//	hkenc:v1:<key id>:<base64url of nonce ‖ ciphertext ‖ tag>
//
// where the key id is derived from the key itself (the first 8 bytes of
// SHA-256 over a label and the key, in hex), so that a Cipher holding the
// current key and the previous ones opens whatever any of them sealed, and
// rotation is re-sealing every value under the current key. Each value is
// sealed with associated data naming what it is (such as the endpoint it
// belongs to), so that a sealed value copied into another row does not
// open there.
//
// Keyed hashing (HMAC-SHA256) turns an API key into the value stores look
// keys up by, so that a stolen database gives no offline guess of a key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a master key and of a hashing key, in bytes.
const KeySize = 32

// sealedPrefix starts every sealed value; the version after it names the
// format.
const sealedPrefix = "hkenc:v1:"

// Errors.
var (
	// ErrUnknownKey: the value was sealed under a key the Cipher does not
	// hold.
	ErrUnknownKey = errors.New("sealed under a key that is not configured")
	// ErrCorrupt: the value is not a sealed value, or fails to open under
	// the key it names (tampered with, or copied from another row).
	ErrCorrupt = errors.New("sealed value is corrupt")
)

// Key is a 32-byte key.
type Key [KeySize]byte

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// ParseKey decodes a key from standard or URL-safe base64, padded or not.
// Surrounding white space is ignored.
func ParseKey(text string) (Key, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(text)
		if err == nil && len(b) == KeySize {
			var k Key
			copy(k[:], b)
			return k, nil
		}
	}
	return Key{}, fmt.Errorf("a key must be the base64 of %d bytes (e.g. the output of: openssl rand -base64 32)", KeySize)
}

// String returns the key in standard base64, as ParseKey reads it.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// ID names the key in the values it seals without revealing it.
func (k Key) ID() string {
	sum := sha256.Sum256(append([]byte("hookd secrets key id\x00"), k[:]...))
	return hex.EncodeToString(sum[:8])
}

// Cipher seals and opens values. It is safe for concurrent use.
type Cipher struct {
	primary string // id of the key that seals
	keys    map[string]cipher.AEAD
}

// NewCipher returns a Cipher that seals under primary and opens values
// sealed under primary or any of previous.
func NewCipher(primary Key, previous ...Key) (*Cipher, error) {
	c := &Cipher{primary: primary.ID(), keys: map[string]cipher.AEAD{}}
	for _, k := range append([]Key{primary}, previous...) {
		block, err := aes.NewCipher(k[:])
		if err != nil {
			return nil, fmt.Errorf("new cipher: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("new cipher: %w", err)
		}
		c.keys[k.ID()] = aead
	}
	return c, nil
}

// KeyID returns the id of the key that seals.
func (c *Cipher) KeyID() string { return c.primary }

// Seal encrypts plain under the primary key, bound to ad (what the value
// is, e.g. "endpoint:ep_…"; the same ad must be given to Open).
func (c *Cipher) Seal(plain []byte, ad string) (string, error) {
	aead := c.keys[c.primary]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	buf = aead.Seal(buf, buf, plain, []byte(ad))
	return sealedPrefix + c.primary + ":" + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a value Seal made with the same ad. It fails with
// ErrUnknownKey or ErrCorrupt.
func (c *Cipher) Open(sealed, ad string) ([]byte, error) {
	id, body, ok := split(sealed)
	if !ok {
		return nil, ErrCorrupt
	}
	aead, ok := c.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, id)
	}
	buf, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(buf) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrCorrupt
	}
	plain, err := aead.Open(nil, buf[:aead.NonceSize()], buf[aead.NonceSize():], []byte(ad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// Current reports whether sealed was sealed under the primary key: a value
// for which it is false is re-sealed by a rotation.
func (c *Cipher) Current(sealed string) bool {
	id, _, ok := split(sealed)
	return ok && id == c.primary
}

// CurrentPrefix is how every value sealed under the primary key starts,
// for stores that select the values a rotation must re-seal.
func (c *Cipher) CurrentPrefix() string { return sealedPrefix + c.primary + ":" }

// IsSealed reports whether s has the form of a sealed value.
func IsSealed(s string) bool {
	_, _, ok := split(s)
	return ok
}

// SealedKeyID returns the id of the key a sealed value was sealed under
// (as Key.ID gives it), so that an error can name the key it needs.
func SealedKeyID(sealed string) (string, bool) {
	id, _, ok := split(sealed)
	return id, ok
}

func split(s string) (id, body string, ok bool) {
	rest, ok := strings.CutPrefix(s, sealedPrefix)
	if !ok {
		return "", "", false
	}
	id, body, ok = strings.Cut(rest, ":")
	return id, body, ok && len(id) == 16 && body != ""
}

// Hash returns the keyed hash (HMAC-SHA256 under key) of an API key, the
// value stores keep and look keys up by.
func Hash(key []byte, apiKey string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(apiKey))
	return m.Sum(nil)
}
