// Package transform runs endpoint transformations: JavaScript defining
// function handler(w), run once per delivery before its first attempt on
// the shared sandboxed runtime (package script: pooled runtimes, a time
// limit, a bounded call stack, no require, no timers, no network).
//
// The handler gets w with, read-only (changes are ignored):
//
//	w.event    {id, type, created_at, data}
//	w.tenant   {id, metadata}
//	w.endpoint {id, metadata}
//
// and, to change: w.payload (the body as a JavaScript value, parsed from
// the rendered envelope or template), w.headers (added to the endpoint's
// headers), w.method, and w.cancel (true: nothing is sent, the delivery
// ends cancelled). It returns w, or an object of the same shape.
package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/script"
)

// Entry is the function a transform must define.
const Entry = "handler"

// Transform is a compiled transformation, safe for concurrent use.
type Transform struct {
	prg *script.Program
}

// Compile compiles code. A bad program is an EINVALID *hookd.Error at
// /transform whose message says what and where.
func Compile(code string) (*Transform, error) {
	prg, err := script.Compile(code, Entry, script.Limits{})
	if err != nil {
		if hookd.ErrorCode(err) == hookd.EINVALID {
			return nil, hookd.Invalid("invalid transform", hookd.FieldError{Pointer: "/transform", Message: hookd.ErrorMessage(err)})
		}
		return nil, fmt.Errorf("compile transform: %w", err)
	}
	return &Transform{prg: prg}, nil
}

// Check reports whether e's transform, if any, compiles, as field errors.
func Check(e *hookd.Endpoint) []hookd.FieldError {
	if e.Transform == "" {
		return nil
	}
	_, err := Compile(e.Transform)
	return hookd.ErrorFields(err)
}

// Input is what a delivery would send before the transform, with what it
// is made of.
type Input struct {
	Event    *hookd.Event
	Tenant   *hookd.Tenant // nil: no metadata
	Endpoint *hookd.Endpoint
	Body     []byte // the rendered body, JSON
	Method   string
}

// Output is what the transform made: the request to send instead.
type Output struct {
	Body     []byte            // JSON text of w.payload; nil for none (undefined)
	Headers  map[string]string // added headers
	Method   string
	Cancel   bool
	Logs     string
	Duration time.Duration
}

// wire is w as the script sees it and returns it.
type wire struct {
	Event    wireEvent         `json:"event"`
	Tenant   wireOwner         `json:"tenant"`
	Endpoint wireOwner         `json:"endpoint"`
	Payload  json.RawMessage   `json:"payload"`
	Headers  map[string]string `json:"headers"`
	Method   string            `json:"method"`
	Cancel   bool              `json:"cancel"`
}

type wireEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

type wireOwner struct {
	ID       string          `json:"id"`
	Metadata json.RawMessage `json:"metadata"`
}

// result is what the handler returned.
type result struct {
	Payload json.RawMessage `json:"payload"`
	Headers map[string]any  `json:"headers"`
	Method  any             `json:"method"`
	Cancel  any             `json:"cancel"`
}

// Run runs the transform on in. The Output is never nil: with an error it
// carries the logs and the duration. An error's text starts with
// "transform: " and says what went wrong; maxBody bounds the body made.
func (t *Transform) Run(ctx context.Context, in *Input, maxBody int) (*Output, error) {
	w := wire{
		Event: wireEvent{ID: in.Event.ID, Type: in.Event.Type,
			CreatedAt: in.Event.CreatedAt.UTC().Format(hookd.TimestampLayout), Data: orNull(in.Event.Data)},
		Tenant:   wireOwner{ID: in.Event.TenantID, Metadata: json.RawMessage("{}")},
		Endpoint: wireOwner{ID: in.Endpoint.ID, Metadata: orObject(in.Endpoint.Metadata)},
		Payload:  orNull(in.Body), Headers: map[string]string{}, Method: in.Method,
	}
	if in.Tenant != nil {
		w.Tenant.Metadata = orObject(in.Tenant.Metadata)
	}
	res, err := t.prg.Call(ctx, w)
	out := &Output{Logs: res.Logs, Duration: res.Duration}
	if err != nil {
		return out, callError(err)
	}
	if err := out.read(res.Value, in, maxBody); err != nil {
		return out, fmt.Errorf("transform: %w", err)
	}
	return out, nil
}

func callError(err error) error {
	var he *script.HTTPError
	var ex *script.Exception
	switch {
	case errors.Is(err, script.ErrTimeout):
		return fmt.Errorf("transform: timed out after %s", script.DefaultTimeout)
	case errors.As(err, &he):
		return fmt.Errorf("transform: threw HTTPError %d: %s", he.Status, he.Body)
	case errors.As(err, &ex):
		return fmt.Errorf("transform: %s", ex.Message)
	}
	return fmt.Errorf("transform: %w", err)
}

// read checks and takes the handler's result.
func (o *Output) read(v json.RawMessage, in *Input, maxBody int) error {
	var r result
	if len(v) == 0 || json.Unmarshal(v, &r) != nil || v[0] != '{' {
		return errors.New("handler must return w, or an object of the same shape")
	}
	cancel, ok := r.Cancel.(bool)
	if r.Cancel != nil && !ok {
		return errors.New("cancel must be true or false")
	}
	o.Cancel = cancel
	method, ok := r.Method.(string)
	switch {
	case r.Method == nil:
		method = in.Method
	case !ok || !hookd.ValidMethod(method):
		return fmt.Errorf("method must be one of %s", strings.Join(hookd.Methods(), ", "))
	}
	o.Method = method
	if len(r.Payload) > 0 && string(r.Payload) != "null" {
		if len(r.Payload) > maxBody {
			return fmt.Errorf("the payload is %d bytes, more than delivery.max_body (%d)", len(r.Payload), maxBody)
		}
		o.Body = r.Payload
	}
	return o.readHeaders(r.Headers, in.Endpoint)
}

func (o *Output) readHeaders(h map[string]any, ep *hookd.Endpoint) error {
	if len(h) == 0 {
		return nil
	}
	o.Headers = make(map[string]string, len(h))
	for name, v := range h {
		s, ok := v.(string)
		switch {
		case !ok:
			return fmt.Errorf("header %s must be a string", name)
		case !hookd.ValidHeaderName(name):
			return fmt.Errorf("%q is not a valid header name", name)
		case reserved(name, ep):
			return fmt.Errorf("header %s is reserved: hookd sets it", name)
		case strings.ContainsAny(s, "\r\n\x00"):
			return fmt.Errorf("header %s must not contain line breaks", name)
		}
		o.Headers[name] = s
	}
	return nil
}

// reserved reports hookd's own headers, the signature header of an
// hmac-sha256 endpoint and the hop-by-hop headers.
func reserved(name string, ep *hookd.Endpoint) bool {
	n := strings.ToLower(name)
	switch n {
	case "keep-alive", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate", "proxy-connection":
		return true
	}
	return hookd.ReservedHeader(name) || (ep.Signature.Header != "" && strings.EqualFold(name, ep.Signature.Header))
}

func orNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

func orObject(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("{}")
	}
	return b
}
