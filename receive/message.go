package receive

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// messageDoc is the JSON form of a message: what a publish destination
// with data: message publishes.
type messageDoc struct {
	Body    json.RawMessage `json:"body"`
	Args    map[string]any  `json:"args"`
	Headers map[string]any  `json:"headers"`
	User    json.RawMessage `json:"user"`
}

// MarshalJSON encodes the message as a publish destination with
// data: message publishes it: {"body": the JSON body, or the body as a
// string when it is not JSON; "args": the query, each name to a value or,
// when it repeats, a list; "headers": lower-cased names to a value or a
// list, without credentials (the headers the request log redacts);
// "user": the authenticator's object, or null}.
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(m.doc(nil))
}

// doc builds the message's JSON form; secret names more headers to leave
// out (a source's own credential headers).
func (m *Message) doc(secret map[string]bool) messageDoc {
	d := messageDoc{Args: valuesMap(m.Query), Headers: map[string]any{}, User: m.User}
	if d.User == nil {
		d.User = json.RawMessage("null")
	}
	if isJSON(m.ContentType) && json.Valid(m.Body) {
		d.Body = m.Body
	} else {
		d.Body, _ = json.Marshal(string(m.Body))
	}
	for k, vs := range m.Header {
		name := strings.ToLower(k)
		if secret[name] || secretHeaderName(name) {
			continue
		}
		if len(vs) == 1 {
			d.Headers[name] = vs[0]
			continue
		}
		d.Headers[name] = append([]string(nil), vs...)
	}
	return d
}

// DecodeQuery decodes the message's query parameters into a struct T: a
// field's tag `query:"name"` names its parameter (default: the field's
// name); a slice field takes every value of a repeated parameter, any
// other field the first. Fields may be strings, booleans, integers or
// floats, or slices of them. A value that does not parse is an *Error
// with status 400.
func DecodeQuery[T any](m *Message) (T, error) {
	var v T
	err := decodeValues(&v, "query", func(name string) []string { return m.Query[name] })
	return v, err
}

// DecodeHeaders decodes the message's headers into a struct T as
// DecodeQuery does the query: the tag `header:"Name"` names the header
// (any case; default: the field's name), and a slice field takes every
// value of a repeated header.
func DecodeHeaders[T any](m *Message) (T, error) {
	var v T
	err := decodeValues(&v, "header", func(name string) []string { return m.Header.Values(name) })
	return v, err
}

func decodeValues(dst any, tag string, get func(name string) []string) error {
	rv := reflect.ValueOf(dst).Elem()
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("decode %s: %T is not a struct", tag, dst)
	}
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		vals := get(name)
		if len(vals) == 0 {
			continue
		}
		if err := setValues(rv.Field(i), vals); err != nil {
			return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("%s %s: %v", tag, name, err), Err: err}
		}
	}
	return nil
}

func setValues(fv reflect.Value, vals []string) error {
	if fv.Kind() != reflect.Slice {
		return setValue(fv, vals[0])
	}
	s := reflect.MakeSlice(fv.Type(), len(vals), len(vals))
	for i, v := range vals {
		if err := setValue(s.Index(i), v); err != nil {
			return err
		}
	}
	fv.Set(s)
	return nil
}

func setValue(fv reflect.Value, s string) error {
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", s)
		}
		fv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		fv.SetFloat(n)
	default:
		return fmt.Errorf("a field of type %s cannot hold it", fv.Type())
	}
	return nil
}
