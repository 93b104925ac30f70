package storetest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// requireSame fails unless want and got are equal once normalised: times
// compared as instants, JSON values compared as JSON (a backend may
// reformat them), and empty slices and maps equal to nil ones.
func requireSame(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, canon(want), canon(got), msgAndArgs...)
}

// canon returns a normalised deep copy of v.
func canon(v any) any {
	if v == nil {
		return nil
	}
	return canonValue(reflect.ValueOf(v)).Interface()
}

func canonValue(v reflect.Value) reflect.Value {
	switch v.Type() {
	case timeType:
		return reflect.ValueOf(v.Interface().(time.Time).UTC().Round(0))
	case rawType:
		return reflect.ValueOf(canonJSON(v.Bytes()))
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(canonValue(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(canonValue(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(canonValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), canonValue(it.Value()))
		}
		return out
	}
	return v
}

// canonJSON re-encodes raw with sorted keys and no spaces; raw that is not
// JSON is returned as it is.
func canonJSON(raw []byte) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return b
}

// requireSubslice fails unless data is a slice of payload's own array, as
// Event.Data must be.
func requireSubslice(t *testing.T, payload, data []byte) {
	t.Helper()
	if len(data) == 0 {
		return
	}
	for i := range payload {
		if &payload[i] == &data[0] {
			return
		}
	}
	t.Fatalf("Data %q is not a sub-slice of Payload %q", data, payload)
}

// ids returns the IDs of items.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
