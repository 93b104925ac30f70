// Package problem writes the RFC 9457 problem documents that every HTTP
// surface of hookd answers errors with: the REST API, the inbound /in/
// routes, the operational routes, the catalog's page and the answers to
// unknown routes. One writer keeps their bodies and headers alike.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookd/hookd"
)

// Doc is a problem document (application/problem+json). Code is hookd's
// error code; Errors lists the broken rules of a validation.
type Doc struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Code   string             `json:"code"`
	Errors []hookd.FieldError `json:"errors,omitempty"`
}

// New returns the document of an error answered with status: its type is
// hookd.ProblemType(code) and its title the status's text.
func New(status int, code, detail string, fields ...hookd.FieldError) *Doc {
	return &Doc{Type: hookd.ProblemType(code), Title: http.StatusText(status), Status: status,
		Detail: detail, Code: code, Errors: fields}
}

// Write answers d with its status: the headers already set on w stay
// (Allow, WWW-Authenticate, Retry-After …), Content-Type is
// application/problem+json, Cache-Control no-store, Content-Length the
// body's; a Content-Encoding set earlier is removed, the body being
// plain. The body is d as JSON and a newline.
func Write(w http.ResponseWriter, d *Doc) {
	body, err := json.Marshal(d)
	if err != nil { // a Doc always marshals; keep the status anyway
		body = []byte(`{"title":"internal error","status":500,"code":"internal"}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(d.Status)
	_, _ = w.Write(body)
}
