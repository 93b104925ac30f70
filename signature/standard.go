package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"
)

// Header names of the Standard Webhooks scheme, as hookd sends them.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// sigVersion tags the only signature version this package produces and
// accepts: HMAC-SHA256, base64.
const sigVersion = "v1"

// sigLen is the length of a padded base64 HMAC-SHA256: 44 characters.
const sigLen = (sha256.Size + 2) / 3 * 4

// maxPooledContent bounds the scratch buffer a pooled macState keeps, so a
// single huge message id does not pin memory for the process's lifetime.
const maxPooledContent = 4 << 10

// keyset holds decoded Standard Webhooks keys and a pool of HMAC states for
// them. It is safe for concurrent use; it must not be copied after first use
// (sync.Pool enforces this under go vet).
type keyset struct {
	keys [][]byte
	pool sync.Pool
}

// macState is per-call scratch: one HMAC per key, the "{id}.{ts}." prefix of
// the signed content, and room for one MAC and its base64 form.
type macState struct {
	macs    []hash.Hash
	content []byte
	sum     [sha256.Size]byte
	enc     [sigLen]byte // base64 of sum
	cand    [sigLen]byte // a received signature, copied for hmac.Equal
}

// newKeyset decodes every secret once; op names the caller in errors.
func newKeyset(ks *keyset, op string, secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("%s: no secrets: %w", op, ErrBadSecret)
	}
	ks.keys = make([][]byte, len(secrets))
	for i, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			return fmt.Errorf("%s: secret %d: %w", op, i, err)
		}
		ks.keys[i] = key
	}
	return nil
}

func (ks *keyset) get() *macState {
	if m, ok := ks.pool.Get().(*macState); ok {
		return m
	}
	m := &macState{macs: make([]hash.Hash, len(ks.keys)), content: make([]byte, 0, 128)}
	for i, key := range ks.keys {
		m.macs[i] = hmac.New(sha256.New, key)
	}
	return m
}

func (ks *keyset) put(m *macState) {
	if cap(m.content) > maxPooledContent {
		m.content = make([]byte, 0, 128)
	}
	ks.pool.Put(m)
}

// startContent sets the prefix of the signed content to "{msgID}.{ts}.".
// The timestamp is given as it is (or will be) written in the header, so
// the MAC covers exactly the bytes sent.
func (m *macState) startContent(msgID, ts string) {
	m.content = append(m.content[:0], msgID...)
	m.content = append(m.content, '.')
	m.content = append(m.content, ts...)
	m.content = append(m.content, '.')
}

// startContentUnix is startContent with a Unix time in seconds.
func (m *macState) startContentUnix(msgID string, ts int64) {
	m.content = append(m.content[:0], msgID...)
	m.content = append(m.content, '.')
	m.content = strconv.AppendInt(m.content, ts, 10)
	m.content = append(m.content, '.')
}

// encodedMAC returns the base64 HMAC of key i over the content and body.
// The slice aliases m and is valid until the next call.
func (m *macState) encodedMAC(i int, body []byte) []byte {
	h := m.macs[i]
	h.Reset()
	h.Write(m.content)
	h.Write(body)
	base64.StdEncoding.Encode(m.enc[:], h.Sum(m.sum[:0]))
	return m.enc[:]
}

// Signer produces Standard Webhooks signature headers. Build it with
// NewSigner; the zero Signer has no secrets and signs nothing.
//
// A Signer is safe for concurrent use by multiple goroutines. It must not be
// copied after first use.
type Signer struct {
	keys keyset
}

// NewSigner returns a Signer for the given "whsec_…" secrets (the prefix is
// optional), decoding each once. Sign emits one entry per secret, in the
// order given: during a rotation pass the new and the old secret so that
// receivers holding either accept the request.
//
// It returns an error wrapping ErrBadSecret if no secret is given or one
// cannot be decoded (see DecodeSecret).
func NewSigner(secrets ...string) (*Signer, error) {
	s := &Signer{}
	if err := newKeyset(&s.keys, "new signer", secrets); err != nil {
		return nil, err
	}
	return s, nil
}

// Sign appends the webhook-signature header value for one attempt to dst
// and returns the extended slice: "v1,<base64>" per secret, separated by
// single spaces, e.g. "v1,AAA v1,BBB". The signed content is
// "{msgID}.{ts in Unix seconds}.{body}"; body must be the exact bytes sent.
// The caller sends ts.Unix() as webhook-timestamp and msgID as webhook-id.
//
// Sign does not retain dst or body. With enough capacity in dst it does not
// allocate, because it runs for every delivery attempt.
func (s *Signer) Sign(dst []byte, msgID string, ts time.Time, body []byte) []byte {
	m := s.keys.get()
	m.startContentUnix(msgID, ts.Unix())
	for i := range m.macs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, sigVersion+","...)
		dst = append(dst, m.encodedMAC(i, body)...)
	}
	s.keys.put(m)
	return dst
}

// Sign returns the webhook-signature header value for one message signed
// with one secret, e.g. "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".
// It decodes the secret on every call: build a Signer to sign repeatedly.
// It returns an error wrapping ErrBadSecret if secret cannot be decoded.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	s, err := NewSigner(secret)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return string(s.Sign(make([]byte, 0, 3+sigLen), msgID, ts, body)), nil
}
