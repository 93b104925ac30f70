package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxForwardAnswer bounds the part of the app's answer listen prints and
// passes back.
const maxForwardAnswer = 64 << 10

// forwarder passes verified webhooks on to a local app (listen
// --forward-to). The URL is the developer's own, typically on loopback, so
// no SSRF guard applies: that is its purpose.
type forwarder struct {
	target string
	client *http.Client
}

func newForwarder(raw string) (*forwarder, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw // localhost:3000/hooks, as people type it
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("--forward-to %q: must be an http or https URL such as http://localhost:3000/webhooks", raw)
	}
	return &forwarder{target: u.String(), client: &http.Client{
		Timeout: 30 * time.Second,
		// The app's redirect is its answer, shown as it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// hopHeaders are not passed on (RFC 9110 §7.6.1), nor what the client sets.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Host": true}

// forwardAnswer is the app's answer, or why there was none.
type forwardAnswer struct {
	target  string
	status  int
	header  http.Header
	body    []byte
	err     error
	latency time.Duration
}

func (f *forwarder) send(r *http.Request, body []byte) forwardAnswer {
	ans := forwardAnswer{target: f.target}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, f.target, bytes.NewReader(body))
	if err != nil {
		ans.err = err
		return ans
	}
	for name, vals := range r.Header {
		if !hopHeaders[name] {
			req.Header[name] = vals
		}
	}
	start := time.Now()
	resp, err := f.client.Do(req)
	ans.latency = time.Since(start)
	if err != nil {
		ans.err = err
		return ans
	}
	defer resp.Body.Close()
	ans.status, ans.header = resp.StatusCode, resp.Header
	ans.body, ans.err = io.ReadAll(io.LimitReader(resp.Body, maxForwardAnswer))
	return ans
}

// summary is what listen prints of the answer.
func (a forwardAnswer) summary() string {
	if a.status == 0 {
		return fmt.Sprintf("   → %s: no answer: %v\n\n", a.target, a.err)
	}
	s := fmt.Sprintf("   → %s: %d %s (%s)\n", a.target, a.status, http.StatusText(a.status), a.latency.Round(time.Millisecond))
	if b := bytes.TrimSpace(a.body); len(b) > 0 {
		s += "   " + strings.ReplaceAll(string(b), "\n", "\n   ") + "\n"
	}
	return s + "\n"
}

// write answers the sender as the app did: its status and body, or 502
// when the app did not answer, so that the sender retries.
func (a forwardAnswer) write(w http.ResponseWriter) {
	if a.status == 0 {
		http.Error(w, "hookd listen: the app at "+a.target+" did not answer", http.StatusBadGateway)
		return
	}
	if ct := a.header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}
