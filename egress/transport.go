package egress

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// TransportOptions configures NewTransport. The zero value means the
// documented defaults.
type TransportOptions struct {
	// Proxy, when set, is the HTTP proxy every request goes through; it is
	// then the only address dialed, and it must pass the guard itself (put
	// it in the guard's allow list if it is internal). Default: no proxy.
	// The environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) is never read.
	Proxy *url.URL
	// MaxIdleConnsPerHost bounds the idle connections kept per host.
	// Default 64.
	MaxIdleConnsPerHost int
	// DialTimeout bounds resolving and connecting. Default 10s.
	DialTimeout time.Duration
}

// NewTransport returns an *http.Transport whose every connection is dialed
// through g (nil g: NewGuard(nil)). It uses no proxy unless opts.Proxy is
// set, never one from the environment. With a proxy, the proxy resolves
// the target, so only targets that are literal blocked addresses or
// localhost names can be refused here (with ErrBlocked); the proxy itself
// must enforce egress for names. Response time is bounded by each
// request's context, not by the transport (ResponseHeaderTimeout is 0).
func NewTransport(g *Guard, opts TransportOptions) *http.Transport {
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = 64
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	t := &http.Transport{
		DialContext:           g.DialContext(&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}),
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
	}
	if opts.Proxy != nil {
		proxy := *opts.Proxy
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if _, err := g.checkHost(req.URL.Hostname()); err != nil {
				return nil, fmt.Errorf("proxy request: %w", err)
			}
			return &proxy, nil
		}
	}
	return t
}

// CheckRedirect returns an http.Client CheckRedirect function. With follow
// false (the default policy) redirects are not followed: the client returns
// the 3xx response itself (http.ErrUseLastResponse). With follow true it
// follows up to max hops, then fails with an error; max < 1 follows none.
// Each hop is dialed through the client's transport, so a NewTransport
// client checks every hop against its guard.
func CheckRedirect(follow bool, max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !follow || max < 1 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects", max)
		}
		return nil
	}
}
