package receive

import (
	"errors"
	"fmt"

	"github.com/hookd/hookd/signature"
)

// stage is when a verifier can run.
type stage int

const (
	// afterDecode needs the decoded or parsed body: a signature or
	// timestamp inside the body, a script, a CEL expression over the body.
	afterDecode stage = iota
	// headersOnly needs nothing of the body (token, basic, ip_allow, a
	// CEL expression that does not name the body): it runs before the
	// body is decompressed.
	headersOnly
	// bodyBytes is a signature over the body's bytes whose headers (the
	// signature, its timestamp) are checked before the body is
	// decompressed. A provider that signs the body as sent (compressed)
	// is verified there too; one that signs the decoded body is checked
	// again once it is decoded.
	bodyBytes
)

// staged is a verifier that says when it can run; any other runs after
// decoding.
type staged interface{ stage() stage }

// signedVerifier is a bodyBytes verifier: check returns the signature
// error itself, so that a mismatch over the compressed bytes can be told
// from a missing, malformed or stale signature.
type signedVerifier interface {
	check(rc *reqCtx) error
	challenge() string
}

func stageOf(v verifier) stage {
	if s, ok := v.(staged); ok {
		return s.stage()
	}
	return afterDecode
}

// preVerify runs, before the body is decompressed, the verifiers that
// need no decoded body, with rc.body the bytes as sent. It returns which
// verifiers passed (passed[i] for s.verifiers[i]), or why the request is
// rejected. An unauthenticated request thus costs no decompression: only
// a caller that holds the secret, or replays a fresh signature header,
// gets its body decoded, and then within the shared budget.
func (s *Source) preVerify(rc *reqCtx, isEncoded bool) ([]bool, *rejection) {
	passed := make([]bool, len(s.verifiers))
	for i, v := range s.verifiers {
		switch stageOf(v) {
		case headersOnly:
			if rej := v.verify(rc); rej != nil {
				return nil, rej
			}
			passed[i] = true
		case bodyBytes:
			sv := v.(signedVerifier)
			err := sv.check(rc)
			switch {
			case err == nil:
				passed[i] = true
			case !isEncoded || !errors.Is(err, signature.ErrInvalid):
				// Over the bytes as sent the answer is final, and a
				// missing, malformed or stale signature is wrong
				// whatever the body decodes to.
				return nil, unauthorized(sv.challenge(), err)
			}
		}
	}
	return passed, nil
}

func (v *presetVerifier) stage() stage {
	switch {
	case v.p.headerOnly:
		return headersOnly
	case v.p.bodyBound:
		return afterDecode
	}
	return bodyBytes
}

func (v *presetVerifier) check(rc *reqCtx) error { return v.p.checkFunc(v, rc) }

func (v *presetVerifier) challenge() string { return v.p.name }

func (*hmacVerifier) stage() stage { return bodyBytes }

func (v *hmacVerifier) challenge() string { return fmt.Sprintf("HMAC header=%q", v.header) }

func (*basicVerifier) stage() stage { return headersOnly }

func (*tokenVerifier) stage() stage { return headersOnly }

func (*ipVerifier) stage() stage { return headersOnly }

func (a *celAuth) stage() stage {
	if a.headersOnly {
		return headersOnly
	}
	return afterDecode
}
