package hookd

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the public contract: the REST API puts them
// in the `code` member of its problem+json bodies, and only the HTTP layer
// maps them to status codes.
const (
	ECONFLICT     = "conflict"             // the resource exists, or a concurrent request holds it
	EINTERNAL     = "internal"             // a bug or an unexpected failure; details are not shown
	EINVALID      = "invalid"              // well-formed input that breaks a rule
	EMALFORMED    = "malformed"            // input that cannot be parsed at all
	ENOTFOUND     = "not_found"            // no such resource
	EUNAUTHORIZED = "unauthorized"         // missing or bad credentials
	EFORBIDDEN    = "forbidden"            // credentials fine, action refused
	ETOOLARGE     = "too_large"            // a body or a value over its limit
	EUNAVAILABLE  = "unavailable"          // saturated or shutting down; try again later
	EUNSUPPORTED  = "unsupported"          // an encoding or media type hookd does not accept
	EMETHOD       = "method"               // an HTTP method the resource does not allow
	EMISMATCH     = "idempotency_mismatch" // an idempotency key reused with another body
)

// FieldError names one rule broken by one part of the input. Pointer is a
// JSON Pointer (RFC 6901) into the input as the caller sent it.
type FieldError struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

// Error is hookd's error type for failures a caller can act on. Message is
// safe to show to the user; the wrapped Err, when set, is the internal cause
// and is never shown.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing the broken rules.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a
// nil err and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the Message of its
// *Error, or a generic text for internal errors, whose details stay in logs.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the field errors of err's *Error, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// IsNotFound reports whether err carries ENOTFOUND.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// ErrStale is the cause of the ECONFLICT of Stale.
var ErrStale = errors.New("stale read")

// Stale returns the ECONFLICT of an update based on a read that another
// change has since overtaken; errors.Is(err, ErrStale) tells it apart.
// The caller reads again and retries.
func Stale(kind, id string) *Error {
	return &Error{Code: ECONFLICT, Err: ErrStale,
		Message: fmt.Sprintf("%s %q changed while this update was being made; read it again", kind, id)}
}

// fieldErrors collects field errors while validating a value.
type fieldErrors []FieldError

func (f *fieldErrors) add(pointer, format string, args ...any) {
	*f = append(*f, FieldError{Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err(what string) error {
	if len(f) == 0 {
		return nil
	}
	return Invalid("invalid "+what, f...)
}
