package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// Equal reports whether a and b hold the same bytes, in time that depends
// on their lengths but not on their contents. Use it for every comparison
// of a MAC, token or secret. Lengths are not hidden: two inputs of
// different lengths return false at once.
func Equal(a, b []byte) bool {
	return hmac.Equal(a, b)
}

// ComputeHMAC returns the raw HMAC of msg under key with the hash named by
// alg: "sha1", "sha256" or "sha512" (lowercase, exactly). It is the building
// block for provider presets that encode or frame the MAC their own way.
// The result is a new slice the caller owns. Any other alg is an error,
// which does not wrap a sentinel: it is a programming or configuration
// mistake, not a property of a request.
func ComputeHMAC(alg string, key, msg []byte) ([]byte, error) {
	var newHash func() hash.Hash
	switch alg {
	case "sha1":
		newHash = sha1.New
	case "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return nil, fmt.Errorf("compute hmac: unsupported algorithm %q", alg)
	}
	h := hmac.New(newHash, key)
	h.Write(msg)
	return h.Sum(nil), nil
}
