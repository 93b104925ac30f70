package receive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

var (
	specType        = reflect.TypeFor[Spec]()
	rawType         = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// fieldErrors collects the rules a spec breaks, by JSON Pointer.
type fieldErrors []hookd.FieldError

func (f *fieldErrors) add(pointer, format string, args ...any) {
	*f = append(*f, hookd.FieldError{Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return hookd.Invalid("invalid source", f...)
}

// checkShape reports, by pointer, every member of b that t does not have
// and every value of the wrong type, so that a mistake in a spec names its
// place (and, through config.Item, its YAML line) instead of failing the
// whole document.
func checkShape(b []byte, t reflect.Type, ptr string, fe *fieldErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) || t == rawType {
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		checkLeaf(b, t, ptr, fe)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		checkStruct(b, t, ptr, fe)
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			fe.add(ptr, "must be a list")
			return
		}
		for i, it := range items {
			checkShape(it, t.Elem(), ptr+"/"+strconv.Itoa(i), fe)
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			fe.add(ptr, "must be an object")
			return
		}
		for k, v := range m {
			checkShape(v, t.Elem(), ptr+"/"+hookd.EscapePointer(k), fe)
		}
	default:
		checkLeaf(b, t, ptr, fe)
	}
}

func checkStruct(b []byte, t reflect.Type, ptr string, fe *fieldErrors) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		fe.add(ptr, "must be an object")
		return
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	for k, v := range m {
		ft, ok := fields[k]
		if !ok {
			fe.add(ptr+"/"+hookd.EscapePointer(k), "unknown key %q", k)
			continue
		}
		checkShape(v, ft, ptr+"/"+hookd.EscapePointer(k), fe)
	}
}

func checkLeaf(b []byte, t reflect.Type, ptr string, fe *fieldErrors) {
	v := reflect.New(t)
	if err := json.Unmarshal(b, v.Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			fe.add(ptr, "must be %s", describeKind(t))
			return
		}
		fe.add(ptr, "%s", err.Error())
	}
}

func describeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// strictUnmarshal decodes b into v, refusing unknown members.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
