package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// sender makes one HTTP attempt of a delivery.
type sender struct {
	client    *http.Client
	private   *http.Client // for targets that may reach internal addresses
	userAgent string
	nowFunc   func() time.Time
}

// maxDrain is how much of a response body beyond what is kept is read so
// the connection can be reused; a longer body closes the connection.
const maxDrain = 64 << 10

// attemptResult is what the sender learned.
type attemptResult struct {
	attempt    *hookd.Attempt
	retryAfter time.Duration
	// transformFailed: the endpoint's transform failed, so no request was
	// made; such attempts do not count toward disabling the endpoint.
	transformFailed bool
	timedOut        bool // no answer within the endpoint's timeout
}

// newAttempt starts the record of the next attempt of t to tg.
func newAttempt(t *task, tg *target, now time.Time) *hookd.Attempt {
	return &hookd.Attempt{
		ID:         hookd.NewID(hookd.PrefixAttempt),
		DeliveryID: t.dlv.ID,
		EventID:    t.ev.ID,
		EndpointID: tg.ep.ID,
		TenantID:   t.dlv.TenantID,
		Number:     t.dlv.Attempts + 1,
		StartedAt:  now,
		URL:        tg.ep.URL,
	}
}

// send performs one attempt of t to tg and returns the attempt record.
func (s *sender) send(ctx context.Context, t *task, tg *target) attemptResult {
	now := s.nowFunc()
	a := newAttempt(t, tg, now)
	ctx, cancel := context.WithTimeout(ctx, tg.timeout)
	defer cancel()
	req, err := s.request(ctx, t, tg, now)
	if err != nil {
		a.Error = err.Error()
		return attemptResult{attempt: a}
	}
	a.RequestHeaders = flatten(req.Header)
	start := time.Now()
	client := s.client
	if tg.ep.AllowPrivate {
		client = s.private
	}
	resp, err := client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		a.Error = describe(err, tg.timeout)
		return attemptResult{attempt: a, timedOut: errors.Is(err, context.DeadlineExceeded)}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, hookd.MaxResponseBody))
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	resp.Body.Close()
	a.Latency = time.Since(start)
	a.ResponseStatus = resp.StatusCode
	a.ResponseBody = body
	return attemptResult{attempt: a, retryAfter: parseRetryAfter(resp.StatusCode, resp.Header.Get("Retry-After"), now)}
}

// request builds the signed request. Every attempt is signed afresh, with
// its own timestamp, over the exact bytes stored at publish.
func (s *sender) request(ctx context.Context, t *task, tg *target, now time.Time) (*http.Request, error) {
	method := methodOf(t, tg)
	body := bodyOf(t)
	if !hookd.MethodHasBody(method) {
		body = nil
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, withQuery(tg.ep.URL, t.ev.Query), rd)
	if err != nil {
		return nil, err
	}
	sh := t.dlv.Shape
	h := make(http.Header, len(tg.header)+len(t.ev.Headers)+6)
	for k, v := range t.ev.Headers {
		if !hookd.ReservedHeader(k) {
			h.Set(k, v)
		}
	}
	for k, v := range tg.header {
		h[k] = v
	}
	if sh != nil {
		for k, v := range sh.Headers {
			if !hookd.ReservedHeader(k) {
				h.Set(k, v)
			}
		}
	}
	h["Content-Type"] = []string{contentTypeOf(t.ev)}
	h["User-Agent"] = []string{s.userAgent}
	if err := sign(h, t, tg, body, now); err != nil {
		return nil, err
	}
	injectTrace(ctx, h)
	req.Header = h
	return req, nil
}

func sign(h http.Header, t *task, tg *target, body []byte, now time.Time) error {
	h["Webhook-Id"] = []string{t.ev.ID}
	ts := now.Unix()
	h["Webhook-Timestamp"] = []string{strconv.FormatInt(ts, 10)}
	if tg.ep.Signature.Scheme == hookd.SchemeHMACSHA256 {
		if tg.hmacKey == nil {
			return errors.New("endpoint has no secret")
		}
		sig := signature.AppendHMACSHA256Hex(nil, tg.ep.Signature.Prefix, tg.hmacKey, body)
		h[http.CanonicalHeaderKey(tg.ep.Signature.Header)] = []string{string(sig)}
		return nil
	}
	signer, err := tg.standardSigner(now)
	if err != nil {
		return err
	}
	h["Webhook-Signature"] = []string{string(signer.Sign(nil, t.ev.ID, time.Unix(ts, 0), body))}
	return nil
}

// methodOf returns the HTTP method of a delivery: its own (a
// transform's), the endpoint's, or its event type's.
func methodOf(t *task, tg *target) string {
	switch {
	case t.dlv.Shape != nil && t.dlv.Shape.Method != "":
		return t.dlv.Shape.Method
	case tg.ep.Method != "":
		return tg.ep.Method
	case t.ev.Method != "":
		return t.ev.Method
	}
	return http.MethodPost
}

// bodyOf returns the bytes a delivery sends: its own, the event's data
// (a raw endpoint), or the event's payload.
func bodyOf(t *task) []byte {
	if sh := t.dlv.Shape; sh != nil {
		if sh.DataOnly && sh.Body == nil {
			return t.ev.Data
		}
		if sh.Body != nil {
			return sh.Body
		}
	}
	return t.ev.Payload
}

func contentTypeOf(ev *hookd.Event) string {
	if ev.ContentType != "" {
		return ev.ContentType
	}
	return "application/json"
}

// flatten turns headers into the single-valued map an Attempt keeps.
func flatten(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m
}

// describe turns a transport error into a clear attempt error.
func describe(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out after " + timeout.String()
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
