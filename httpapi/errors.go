package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/problem"
)

// FieldError names one broken rule: Pointer is a JSON Pointer into the
// request as sent ("/url", "/query/limit").
type FieldError struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem detail, the body of every error the API
// answers. The client returns it as its error for any non-2xx answer; match
// it with errors.As. Code is hookd's error code (hookd.EINVALID, …).
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
}

// Error implements error.
func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hookd: %d %s", p.Status, p.Code)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, f := range p.Errors {
		fmt.Fprintf(&b, "; %s: %s", f.Pointer, f.Message)
	}
	return b.String()
}

// Unwrap returns the problem as a *hookd.Error, so that hookd.ErrorCode
// and hookd.ErrorFields work on the client's errors too.
func (p *Problem) Unwrap() error {
	e := &hookd.Error{Code: p.Code, Message: p.Detail}
	for _, f := range p.Errors {
		e.Fields = append(e.Fields, hookd.FieldError(f))
	}
	return e
}

// statusOf maps a hookd error code to its HTTP status. It is the only such
// mapping in hookd; an unknown code is a 500.
func statusOf(code string) int {
	switch code {
	case hookd.EMALFORMED:
		return http.StatusBadRequest
	case hookd.EINVALID, hookd.EMISMATCH:
		return http.StatusUnprocessableEntity
	case hookd.ENOTFOUND:
		return http.StatusNotFound
	case hookd.ECONFLICT:
		return http.StatusConflict
	case hookd.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case hookd.EFORBIDDEN:
		return http.StatusForbidden
	case hookd.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case hookd.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case hookd.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case hookd.EMETHOD:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// problemOf turns err into the problem shown to the client. Internal
// errors show a generic detail: their cause stays in the logs.
func problemOf(err error) *Problem {
	code := hookd.ErrorCode(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		code = hookd.EINTERNAL
	}
	p := &Problem{
		Type:   hookd.ProblemType(code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: hookd.ErrorMessage(err),
		Code:   code,
	}
	if code == hookd.EINTERNAL {
		p.Detail = "internal error"
		return p
	}
	for _, f := range hookd.ErrorFields(err) {
		p.Errors = append(p.Errors, FieldError(f))
	}
	return p
}

// writeError answers err as problem+json, logging internal errors with
// their cause (which never reaches the client).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Code == hookd.EINTERNAL {
		s.logger.ErrorContext(r.Context(), "request failed",
			"method", r.Method, "route", routeOf(r), "err", err)
	}
	writeProblem(w, p)
}

// writeProblem writes p with the headers its status calls for.
func writeProblem(w http.ResponseWriter, p *Problem) {
	switch p.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookd"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	d := problem.New(p.Status, p.Code, p.Detail)
	d.Type, d.Title = p.Type, p.Title
	for _, f := range p.Errors {
		d.Errors = append(d.Errors, hookd.FieldError(f))
	}
	problem.Write(w, d)
}

// errorf is a shorthand for a hookd error with a code.
func errorf(code, format string, args ...any) error {
	return hookd.Errorf(code, format, args...)
}

// invalid returns an EINVALID error with one field error.
func invalid(pointer, message string) error {
	return hookd.Invalid("invalid request", hookd.FieldError{Pointer: pointer, Message: message})
}
