package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// readBody reads the request body, which the server has capped at MaxBody.
// It returns nil for an empty body. A body over the cap is ETOOLARGE, a
// non-JSON Content-Type EUNSUPPORTED.
func readBody(r *http.Request) ([]byte, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	return b, nil
}

// checkContentType accepts application/json, any */*+json (such as
// application/merge-patch+json) and, leniently, no Content-Type at all.
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return errorf(hookd.EUNSUPPORTED, "Content-Type %q is not supported: send application/json", ct)
}

// decodeBody decodes the request's JSON body into dst, a pointer to a
// struct. A missing body is EMALFORMED when required and leaves dst as it
// is otherwise. See decodeJSON for the checks.
func decodeBody(r *http.Request, dst any, required bool) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if b == nil {
		if required {
			return errorf(hookd.EMALFORMED, "a JSON request body is required")
		}
		return nil
	}
	return decodeJSON(b, dst)
}

// decodeJSON decodes b into dst. JSON that does not parse is EMALFORMED
// with the offset of the problem; unknown fields, values of the wrong type
// and values their type refuses (a bad duration, a bad time) are EINVALID
// with one pointer each.
func decodeJSON(b []byte, dst any) error {
	v, err := parseJSON(b)
	if err != nil {
		return err
	}
	var fe []hookd.FieldError
	checkValue(&fe, v, reflect.TypeOf(dst), "", b)
	if len(fe) > 0 {
		return hookd.Invalid("invalid request", fe...)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		// checkValue saw nothing wrong: a shape it does not know.
		return &hookd.Error{Code: hookd.EINVALID, Message: "the request does not have the expected shape", Err: err}
	}
	return nil
}

// parseJSON parses b as one JSON value, numbers kept as json.Number. A
// body that is not valid UTF-8 is EMALFORMED: encoding/json would silently
// replace the bad bytes, storing something else than what was sent.
func parseJSON(b []byte) (any, error) {
	if err := checkUTF8(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			return nil, errorf(hookd.EMALFORMED, "malformed JSON at offset %d: %s", syntax.Offset, syntax.Error())
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errorf(hookd.EMALFORMED, "malformed JSON at offset %d: unexpected end of input", len(b))
		}
		return nil, errorf(hookd.EMALFORMED, "malformed JSON: %s", err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(hookd.EMALFORMED, "malformed JSON at offset %d: unexpected data after the JSON value", dec.InputOffset())
	}
	return v, nil
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	timeType        = reflect.TypeFor[time.Time]()
)

// checkValue reports in fe where v, a value from parseJSON at pointer ptr,
// does not fit Go type t as encoding/json would decode it, and strictly:
// object members must match a field's json name exactly. raw is v's JSON
// when known (nil: it is re-encoded for a json.Unmarshaler).
func checkValue(fe *[]hookd.FieldError, v any, t reflect.Type, ptr string, raw []byte) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return // null leaves a Go value as it is; any JSON fits these
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		checkUnmarshaler(fe, v, t, ptr, raw)
		return
	}
	add := func(msg string) { *fe = append(*fe, hookd.FieldError{Pointer: ptr, Message: msg}) }
	switch t.Kind() {
	case reflect.Struct:
		checkObject(fe, v, t, ptr)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			add("must be an object")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			checkValue(fe, obj[k], t.Elem(), ptr+"/"+hookd.EscapePointer(k), nil)
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			add("must be an array")
			return
		}
		for i, e := range arr {
			checkValue(fe, e, t.Elem(), ptr+"/"+strconv.Itoa(i), nil)
		}
	default:
		if msg := checkScalar(v, t); msg != "" {
			add(msg)
		}
	}
}

// checkScalar returns what is wrong with v as a value of the scalar type
// t, "" when nothing is.
func checkScalar(v any, t reflect.Type) string {
	n, isNum := v.(json.Number)
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return "must be a string"
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); !isNum || err != nil {
			return "must be an integer"
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); !isNum || err != nil {
			return "must be a non-negative integer"
		}
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(string(n), t.Bits()); !isNum || err != nil {
			return "must be a number"
		}
	}
	return ""
}

// checkObject checks v against the json fields of struct type t.
func checkObject(fe *[]hookd.FieldError, v any, t reflect.Type, ptr string) {
	obj, ok := v.(map[string]any)
	if !ok {
		*fe = append(*fe, hookd.FieldError{Pointer: ptr, Message: "must be an object"})
		return
	}
	fields := jsonFields(t)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		p := ptr + "/" + hookd.EscapePointer(k)
		ft, ok := fields[k]
		if !ok {
			*fe = append(*fe, hookd.FieldError{Pointer: p, Message: "unknown field"})
			continue
		}
		checkValue(fe, obj[k], ft, p, nil)
	}
}

// checkUnmarshaler lets a json.Unmarshaler judge v. A *hookd.Error with
// field errors keeps them, under ptr.
func checkUnmarshaler(fe *[]hookd.FieldError, v any, t reflect.Type, ptr string, raw []byte) {
	if raw == nil {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			*fe = append(*fe, hookd.FieldError{Pointer: ptr, Message: "is not valid JSON"})
			return
		}
	}
	err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw)
	if err == nil {
		return
	}
	if fields := hookd.ErrorFields(err); len(fields) > 0 {
		for _, f := range fields {
			*fe = append(*fe, hookd.FieldError{Pointer: ptr + f.Pointer, Message: f.Message})
		}
		return
	}
	msg := hookd.ErrorMessage(err)
	if hookd.ErrorCode(err) == hookd.EINTERNAL {
		msg = err.Error() // a plain error from a decoding method describes the value
	}
	if t == timeType {
		msg = "must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z"
	}
	*fe = append(*fe, hookd.FieldError{Pointer: ptr, Message: msg})
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields returns the fields of struct type t by their JSON names, the
// fields of untagged embedded structs included, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" || (f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if _, taken := m[name]; !taken || len(f.Index) == 1 {
			m[name] = f.Type
		}
	}
	fieldCache.Store(t, m)
	return m
}

// decodePublish decodes a publish body, the hottest request of the API. It
// walks the top-level object once, keeping data as raw bytes, and falls
// back to decodeJSON, which gives the precise errors, for anything but a
// well-formed body with exactly the known members.
func decodePublish(b []byte, in *PublishInput) error {
	if err := checkDataUTF8(b); err != nil {
		return err
	}
	if fastPublish(b, in) {
		return checkUTF8(b)
	}
	*in = PublishInput{}
	return decodeJSON(b, in)
}

func fastPublish(b []byte, in *PublishInput) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	if !fastEvent(dec, in) {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}
