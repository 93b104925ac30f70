package main

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/hookd/hookd"
)

// problemRoutes serves mux, answering what mux itself would answer as
// text (404 page not found, 405 method not allowed, and the redirects it
// makes to canonical paths) as problem+json instead:
//
//   - no route: 404 ENOTFOUND;
//   - a route with other methods: 405 EMETHOD with Allow;
//   - a path that is not canonical ("//x", "/a/../b", "/./x"): 404
//     ENOTFOUND naming the canonical path. hookd does not redirect: a
//     client of an API or a webhook sender should call the right URL, and a
//     redirect of a POST would send its body again elsewhere.
func problemRoutes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if clean := canonicalPath(p); r.Method != http.MethodConnect && clean != p {
			writeProblem(w, http.StatusNotFound, hookd.ENOTFOUND,
				fmt.Sprintf("no route for %s %s: the path is not canonical (did you mean %s?)", r.Method, p, clean))
			return
		}
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // sets r.Pattern and the path values
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			allow := rec.header.Get("Allow")
			w.Header().Set("Allow", allow)
			writeProblem(w, http.StatusMethodNotAllowed, hookd.EMETHOD,
				fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, p, allow))
			return
		}
		writeProblem(w, http.StatusNotFound, hookd.ENOTFOUND, fmt.Sprintf("no route for %s %s", r.Method, p))
	})
}

// canonicalPath is the path ServeMux would redirect p to: cleaned, with
// its trailing slash kept.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// headerRecorder keeps the status and headers of a response and drops its
// body: it captures what ServeMux's own 404 and 405 handlers answer.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header { return r.header }

func (r *headerRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *headerRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}
