package script

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/dop251/goja"
)

// ErrTimeout is returned (errors.Is) by a call that ran past its time
// limit or whose context ended.
var ErrTimeout = errors.New("script: time limit exceeded")

// HTTPError is a call's error when the script threw
// new HTTPError(status, body, headers) with a status from 400 to 599: the
// caller answers exactly that.
type HTTPError struct {
	Status int
	Body   string      // a body that is not a string is JSON-encoded
	Header http.Header // from a plain object of name → string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("script: HTTPError %d", e.Status) }

// Exception is a call's error for any other throw, or a result that JSON
// cannot encode. Message is the script's own text with its position; it
// may repeat data the script saw, so show it to whoever wrote the script,
// not to whoever called it.
type Exception struct {
	Message string
}

func (e *Exception) Error() string { return "script: " + e.Message }

// httpErrorOf returns the HTTPError a thrown value stands for, or nil when
// it is not an HTTPError with a valid status (then it is an Exception).
func (rt *runtime) httpErrorOf(v goja.Value) *HTTPError {
	obj, ok := v.(*goja.Object)
	if !ok || !rt.instanceOf(obj, rt.httpError) {
		return nil
	}
	status := obj.Get("status")
	if status == nil || goja.IsUndefined(status) {
		return nil
	}
	n := status.ToFloat()
	if n != float64(int(n)) || n < 400 || n > 599 {
		return nil
	}
	he := &HTTPError{Status: int(n), Header: http.Header{}}
	he.Body = rt.bodyText(obj.Get("body"))
	if h, ok := obj.Get("headers").(*goja.Object); ok {
		for _, k := range h.Keys() {
			if val := h.Get(k); val != nil && !goja.IsUndefined(val) && !goja.IsNull(val) {
				he.Header.Add(k, val.String())
			}
		}
	}
	return he
}

// instanceOf is left instanceof right, false when the check itself throws.
func (rt *runtime) instanceOf(left goja.Value, right *goja.Object) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return rt.vm.InstanceOf(left, right)
}

// bodyText is an HTTPError body as text: strings as they are, anything
// else JSON-encoded; undefined and null are empty.
func (rt *runtime) bodyText(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	if s, ok := v.Export().(string); ok {
		return s
	}
	b, err := json.Marshal(v.Export())
	if err != nil {
		return v.String()
	}
	return string(b)
}
