package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a typed client of the REST API. It is safe for concurrent use.
//
// Idempotent calls (GET, PUT, DELETE, and POSTs sent with an idempotency
// key) are retried on network errors, 429 and 5xx answers, with
// exponential backoff and jitter, honouring Retry-After; other calls are
// sent once. Any non-2xx answer is returned as a *Problem.
type Client struct {
	base       string
	apiKey     string
	hc         *http.Client
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	userAgent  string
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client. Default: a client with a 30 s
// timeout.
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// WithRetries sets how many times an idempotent call is retried. Default
// 3; 0 disables retries.
func WithRetries(n int) ClientOption { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the first retry's delay and the cap of the exponential
// backoff. Default 100 ms and 2 s.
func WithBackoff(first, maxDelay time.Duration) ClientOption {
	return func(c *Client) { c.backoff, c.maxBackoff = first, maxDelay }
}

// WithUserAgent sets the User-Agent. Default "hookd-go".
func WithUserAgent(ua string) ClientOption { return func(c *Client) { c.userAgent = ua } }

// NewClient returns a client of the API at baseURL (such as
// "http://localhost:8080", without /v1) authenticating with apiKey.
func NewClient(baseURL, apiKey string, opts ...ClientOption) *Client {
	c := &Client{
		base:       strings.TrimRight(baseURL, "/"),
		apiKey:     apiKey,
		hc:         &http.Client{Timeout: 30 * time.Second},
		retries:    3,
		backoff:    100 * time.Millisecond,
		maxBackoff: 2 * time.Second,
		userAgent:  "hookd-go",
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CallOption sets a per-call option.
type CallOption func(*callOptions)

// PublishOption sets an option of Publish.
type PublishOption = CallOption

type callOptions struct {
	idempotencyKey string
}

// WithIdempotencyKey sends an Idempotency-Key: for Publish, the event's
// idempotency key (a repeat within 24 h returns the first event); for
// other POSTs, a key the server remembers for 24 h. A call with a key is
// retried like an idempotent one.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

func callOpts(opts []CallOption) callOptions {
	var o callOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// call is one API call.
type call struct {
	method      string
	path        string // under the base URL, starting with /v1/
	query       url.Values
	body        any // nil: no body
	contentType string
	key         string // Idempotency-Key
	safe        bool   // a repeat has no further effect (every event carries its key)
}

func (c call) idempotent() bool {
	return c.method == http.MethodGet || c.method == http.MethodPut || c.method == http.MethodDelete || c.key != "" || c.safe
}

// do runs the call, retrying it when allowed, and decodes a 2xx body into
// out (nil: discard). It returns the answer's status.
func (c *Client) do(ctx context.Context, k call, out any) (int, error) {
	var body []byte
	if k.body != nil {
		var err error
		if body, err = json.Marshal(k.body); err != nil {
			return 0, fmt.Errorf("hookd: encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := c.once(ctx, k, body, out)
		if err == nil || !k.idempotent() || attempt >= c.retries || !retryable(ctx, status, err) {
			return status, err
		}
		t := time.NewTimer(c.delay(attempt, retryAfter))
		select {
		case <-ctx.Done():
			t.Stop()
			return status, fmt.Errorf("hookd: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// retryable reports whether a failed attempt may succeed when repeated.
func retryable(ctx context.Context, status int, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if status == 0 { // no answer: a network error
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// delay is the wait before retry number attempt+1: exponential with
// jitter, or the server's Retry-After, capped at maxBackoff.
func (c *Client) delay(attempt int, retryAfter time.Duration) time.Duration {
	d := c.backoff << min(attempt, 16)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > 0 {
		d = retryAfter
	}
	return min(d, c.maxBackoff)
}

// once sends one attempt of the call.
func (c *Client) once(ctx context.Context, k call, body []byte, out any) (int, time.Duration, error) {
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, rd)
	if err != nil {
		return 0, 0, fmt.Errorf("hookd: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", orDefault(k.contentType, "application/json"))
	}
	if k.key != "" {
		req.Header.Set("Idempotency-Key", k.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("hookd: %s %s: %w", k.method, k.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, 0, fmt.Errorf("hookd: %s %s: read answer: %w", k.method, k.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, retryAfterOf(resp), problemFrom(resp, data)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, 0, fmt.Errorf("hookd: %s %s: decode answer: %w", k.method, k.path, err)
		}
	}
	return resp.StatusCode, 0, nil
}

// problemFrom reads an error answer, problem+json or not.
func problemFrom(resp *http.Response, data []byte) *Problem {
	var p Problem
	if json.Unmarshal(data, &p) == nil && p.Status != 0 {
		return &p
	}
	detail := strings.TrimSpace(string(data))
	if len(detail) > 512 {
		detail = detail[:512]
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode, Detail: detail}
}

// retryAfterOf reads a Retry-After in seconds, 0 when absent.
func retryAfterOf(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
