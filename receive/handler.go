package receive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/problem"
)

// Error is an error a handler returns to choose the answer: Status (4xx
// or 5xx) with Message as the problem's detail, or, when Body is set, that
// body as it is with ContentType (default text/plain; charset=utf-8).
// Header adds response headers either way. Any other error is answered
// 500 without its text.
type Error struct {
	Status      int
	Message     string
	Body        string
	ContentType string
	Header      http.Header
	Err         error // the cause, never shown
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Handler returns an http.Handler that runs src's pipeline on every
// request and calls fn with each message that passes it. A nil error from
// fn answers with the source's response (default 200 {"id":"req_…"}); an
// *Error answers with its status; any other error answers 500. Rejected
// requests are answered problem+json and never reach fn; provider
// handshakes are answered without calling fn.
//
// Handler needs no store: it does not remember delivery ids, so a
// provider's retry reaches fn again. Message.DeliveryID carries the id
// for fn to de-duplicate with. Destinations are not used; fn is the
// destination.
func Handler(src *Source, fn func(ctx context.Context, m *Message) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rc reqCtx
		defer rc.res.done()
		m, hs, rej := src.run(r, &rc, src.budget)
		switch {
		case rej != nil:
			writeRejection(w, rej)
			return
		case hs != nil:
			writeHandshake(w, hs)
			return
		}
		m.ID = hookd.NewID(hookd.PrefixRequest)
		if err := fn(r.Context(), m); err != nil {
			writeHandlerError(w, err)
			return
		}
		src.writeResponse(w, m.ID)
	})
}

// writeHandlerError answers a handler's error: an *HTTPError or *Error
// as it chose, anything else 500 without its text.
func writeHandlerError(w http.ResponseWriter, err error) {
	var he *HTTPError
	if errors.As(err, &he) && he.Status >= 400 && he.Status <= 599 {
		writeAnswer(w, he)
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 599 {
		writeProblem(w, http.StatusInternalServerError, hookd.EINTERNAL, "internal error", nil, nil)
		return
	}
	if e.Body == "" {
		writeProblem(w, e.Status, statusCode(e.Status), e.Message, nil, e.Header)
		return
	}
	h := e.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	ct := e.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	writeAnswer(w, &HTTPError{Status: e.Status, Body: e.Body, Header: h})
}

// Decode decodes the message's body into a T: a JSON body as it is, a
// form body as an object of strings (lists for repeated names). A body
// that does not decode is an *Error with status 400, so a handler can
// return it as it is.
func Decode[T any](m *Message) (T, error) {
	var v T
	b := m.Body
	if isForm(m.ContentType) {
		var err error
		if b, err = json.Marshal(m.parsed); err != nil {
			return v, &Error{Status: http.StatusBadRequest, Message: "the form body does not decode", Err: err}
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("the body does not decode into %T", v), Err: err}
	}
	return v, nil
}

// writeResponse answers an accepted request with the source's response.
func (s *Source) writeResponse(w http.ResponseWriter, id string) {
	h := w.Header()
	for k, v := range s.response.header {
		h[k] = v
	}
	h.Set("Content-Type", s.response.contentType)
	body := `{"id":"` + id + `"}`
	if s.response.body != "" {
		body = strings.ReplaceAll(s.response.body, "{id}", id)
	}
	w.WriteHeader(s.response.status)
	_, _ = w.Write([]byte(body))
}

func writeHandshake(w http.ResponseWriter, hs *handshake) {
	w.Header().Set("Content-Type", hs.contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(hs.body)
}

func writeRejection(w http.ResponseWriter, rej *rejection) {
	if rej.answer != nil {
		writeAnswer(w, rej.answer)
		return
	}
	writeProblem(w, rej.status, rej.code, rej.detail, rej.fields, rej.header)
}

func writeProblem(w http.ResponseWriter, status int, code, detail string, fields []hookd.FieldError, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	problem.Write(w, problem.New(status, code, detail, fields...))
}

// statusCode is the hookd error code of a status a handler chose.
func statusCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return hookd.EINVALID
	case http.StatusUnauthorized:
		return hookd.EUNAUTHORIZED
	case http.StatusForbidden:
		return hookd.EFORBIDDEN
	case http.StatusNotFound:
		return hookd.ENOTFOUND
	case http.StatusConflict:
		return hookd.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return hookd.ETOOLARGE
	case http.StatusUnsupportedMediaType:
		return hookd.EUNSUPPORTED
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return hookd.EUNAVAILABLE
	}
	if status >= 500 {
		return hookd.EINTERNAL
	}
	return hookd.EINVALID
}
