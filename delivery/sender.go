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
}

// send performs one attempt of t to tg and returns the attempt record.
func (s *sender) send(ctx context.Context, t *task, tg *target) attemptResult {
	now := s.nowFunc()
	a := &hookd.Attempt{
		ID:         hookd.NewID(hookd.PrefixAttempt),
		DeliveryID: t.dlv.ID,
		EventID:    t.ev.ID,
		EndpointID: tg.ep.ID,
		TenantID:   t.dlv.TenantID,
		Number:     t.dlv.Attempts + 1,
		StartedAt:  now,
		URL:        tg.ep.URL,
	}
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
		return attemptResult{attempt: a}
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
	body := t.ev.Payload
	if tg.ep.Payload == hookd.PayloadRaw {
		body = t.ev.Data
	}
	req, err := http.NewRequestWithContext(ctx, methodOf(t.ev), withQuery(tg.ep.URL, t.ev.Query), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := make(http.Header, len(tg.header)+len(t.ev.Headers)+6)
	for k, v := range t.ev.Headers {
		if !hookd.ReservedHeader(k) {
			h.Set(k, v)
		}
	}
	for k, v := range tg.header {
		h[k] = v
	}
	h["Content-Type"] = []string{contentTypeOf(t.ev)}
	h["User-Agent"] = []string{s.userAgent}
	if err := sign(h, t, tg, body, now); err != nil {
		return nil, err
	}
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

// methodOf returns the HTTP method of an event's deliveries.
func methodOf(ev *hookd.Event) string {
	if ev.Method != "" {
		return ev.Method
	}
	return http.MethodPost
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
