// Package signature signs and verifies webhook requests.
//
// It implements two schemes:
//
//   - Standard Webhooks (https://www.standardwebhooks.com), hookd's default:
//     the signed content is "{msg_id}.{timestamp}.{body}", the MAC is
//     HMAC-SHA256 keyed with the base64-decoded part of a "whsec_…" secret,
//     and the webhook-signature header carries one "v1,<base64>" entry per
//     active secret, separated by spaces. [Signer] produces that header,
//     [Verifier] checks it (also under the svix-* header names).
//   - hmac-sha256 (GitHub / DataChonk style): "<prefix><lowercase hex>" of
//     HMAC-SHA256 over the body alone, keyed with the secret string's own
//     bytes. See [HMACSHA256Hex] and [VerifyHMACSHA256Hex].
//
// The two schemes derive their keys differently on purpose: each matches
// what the receivers of that scheme already do.
//
// Every comparison of a MAC runs in constant time. Verification fails
// closed: any doubt (a missing header, an unparsable timestamp, no usable
// secret) is an error, never a pass. Errors wrap one of the sentinels
// [ErrInvalid], [ErrMissing], [ErrExpired], [ErrMalformed] and
// [ErrBadSecret]; match them with [errors.Is]. Error messages never contain
// secret material.
//
// The package uses the standard library only, so any hookd package may
// import it.
package signature

import "errors"

// Sentinel errors. Functions in this package wrap them with context; match
// them with errors.Is, never by message.
var (
	// ErrInvalid means a signature was present and well formed but none
	// matched any secret.
	ErrInvalid = errors.New("signature: no matching signature")

	// ErrMissing means there was nothing to verify: no signature, or a
	// required header (id, timestamp, signature) was absent or empty.
	ErrMissing = errors.New("signature: missing signature or header")

	// ErrExpired means the signed timestamp lies outside the tolerance,
	// in the past or in the future.
	ErrExpired = errors.New("signature: timestamp outside tolerance")

	// ErrMalformed means a header or timestamp could not be parsed.
	ErrMalformed = errors.New("signature: malformed header")

	// ErrBadSecret means a secret could not be decoded, or no secret was
	// given where one is required.
	ErrBadSecret = errors.New("signature: bad secret")
)
