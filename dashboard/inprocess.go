package dashboard

import (
	"bytes"
	"io"
	"net/http"

	"github.com/hookd/hookd/httpapi"
)

// apiBase is the base URL of the in-process API calls; no request leaves
// the process.
const apiBase = "http://hookd.internal"

// inProcess is an http.RoundTripper that serves requests with the API's
// handler directly; with a caller, they act as that caller rather than
// with a key (httpapi.WithCaller).
type inProcess struct {
	h      http.Handler
	caller *httpapi.Caller
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.caller != nil {
		r = r.WithContext(httpapi.WithCaller(r.Context(), *t.caller))
	}
	rec := &recorder{header: http.Header{}}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status:        http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()),
		Request:       r,
	}, nil
}

// recorder keeps an answer in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// client returns an API client acting with key.
func (u *UI) client(key string) *httpapi.Client {
	return httpapi.NewClient(apiBase, key, httpapi.WithHTTPClient(u.apiHTTP),
		httpapi.WithRetries(0), httpapi.WithUserAgent("hookd-ui"))
}

// callerClient returns an API client acting as c, without a key: for
// portal sessions, which the portal link authenticated.
func (u *UI) callerClient(c httpapi.Caller) *httpapi.Client {
	hc := &http.Client{Transport: inProcess{h: u.cfg.API, caller: &c}}
	return httpapi.NewClient(apiBase, "", httpapi.WithHTTPClient(hc),
		httpapi.WithRetries(0), httpapi.WithUserAgent("hookd-portal"))
}
