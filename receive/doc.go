// Package receive is hookd's inbound pipeline: it turns HTTP requests sent
// by third parties into verified, validated messages.
//
// A Source is compiled once from its Spec (path, methods, content types,
// limits, verification, schemas, de-duplication, response and
// destinations) and is then safe for concurrent use. Every request runs
// the same steps, in this order, each with its status: method 405 (with
// Allow); body over max_body 413; an unknown Content-Encoding 415 (with
// Accept-Encoding); a content type not accepted 415; the checks that need
// no body (token, basic, ip_allow, a CEL expression that does not name the
// body, a preset's missing, malformed or stale signature, and a signature
// over the bytes as sent) 401 (with WWW-Authenticate) or 403; br, gzip or
// deflate (zlib or raw) decoded under the max_decompressed cap 413,
// corrupt data 400, and within a Budget shared by every request 503 (with
// Retry-After); the rest of verification over the exact decoded bytes 401,
// a denial 403, an authenticator that fails 500; an AuthenticateFunc; an
// unparsable body (invalid UTF-8 included) 400; JSON Schema violations of
// body, query and headers 400, one problem+json errors[] entry per
// violation. Verification compares in constant time and fails closed; no
// answer shows an expression, a script, a secret or an authenticator's
// error.
//
// The package works on its own in any net/http server: Handler runs the
// pipeline and hands each accepted Message to a function. Inside hookd,
// Server serves every source at its path (Registry.Lookup): it stores
// every accepted request durably through the engine
// (hookd.Engine.Receive) before it answers, de-duplicates by the
// provider's delivery id, routes requests to forward and publish
// destinations, logs rejected requests too, and counts requests by source
// and outcome.
package receive
