// Package receive is hookd's inbound pipeline: it turns HTTP requests sent
// by third parties into verified, validated messages.
//
// A Source is compiled once from its Spec (methods, content types, limits,
// verification, schemas, de-duplication, response and destinations) and is
// then safe for concurrent use. Every request runs the same steps, in this
// order, each with its status: method 405 (with Allow); body over max_body
// 413; Content-Encoding br, gzip or deflate (zlib or raw) decoded under the
// max_decompressed cap 413, an unknown encoding 415 (with Accept-Encoding),
// corrupt data 400; a content type not accepted 415; verification: a
// missing or bad signature or a stale timestamp 401 (with
// WWW-Authenticate), an authenticator or IP rule that denies it 403; an
// unparsable body 400; JSON Schema violations of body, query and headers
// 400, one problem+json errors[] entry per violation. Verification runs
// over the exact decoded bytes and compares in constant time; it fails
// closed.
//
// The package works on its own in any net/http server: Handler runs the
// pipeline and hands each accepted Message to a function. Inside hookd,
// Server serves /in/{id} for the sources a Registry keeps: it stores every
// accepted request durably through the engine (hookd.Engine.Receive)
// before it answers, de-duplicates by the provider's delivery id, routes
// requests to forward and publish destinations, and logs rejected
// requests too.
package receive
