package catalog

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Schemer is implemented by types that describe their own JSON: the
// reflector uses the returned schema as is, for the type wherever it
// appears (a named string type listing its values, a type with a custom
// MarshalJSON). It is called on the zero value.
type Schemer interface {
	JSONSchema() json.RawMessage
}

var (
	schemerType        = reflect.TypeFor[Schemer]()
	jsonMarshalerType  = reflect.TypeFor[json.Marshaler]()
	textMarshalerType  = reflect.TypeFor[encoding.TextMarshaler]()
	timeType           = reflect.TypeFor[time.Time]()
	rawMessageType     = reflect.TypeFor[json.RawMessage]()
	byteSliceElemKinds = map[reflect.Kind]bool{reflect.Uint8: true}
)

// Reflector derives JSON Schemas (2020-12) from Go types, following
// encoding/json: json tags name the properties, a field without omitempty
// or omitzero is required, a nil pointer, slice or map may be null unless
// omitted, time.Time is a date-time string, []byte a base64 string,
// json.RawMessage and interfaces any JSON, an encoding.TextMarshaler a
// string. Named struct types other than the root become definitions
// referenced with $ref, so recursive types work.
//
// Struct tags add to the schema: `description:"…"`, `enum:"a,b,c"` (values
// parsed by the field's kind; on a slice, they constrain its items),
// `format:"email"`, `pattern:"^[a-z]+$"` and `deprecated:"true"`.
//
// A Reflector is not safe for concurrent use; its zero value is not
// usable: use NewReflector.
type Reflector struct {
	refPrefix string
	defs      map[string]*node
	names     map[reflect.Type]string
	overrides map[reflect.Type]json.RawMessage
}

// NewReflector returns a reflector whose definitions are referenced as
// refPrefix + name: "#/$defs/" for a standalone schema,
// "#/components/schemas/" for an OpenAPI document.
func NewReflector(refPrefix string) *Reflector {
	return &Reflector{
		refPrefix: refPrefix,
		defs:      map[string]*node{},
		names:     map[reflect.Type]string{},
		overrides: map[reflect.Type]json.RawMessage{},
	}
}

// Override makes the reflector write schema for t wherever t appears,
// for types that cannot implement Schemer (another package's).
func (r *Reflector) Override(t reflect.Type, node json.RawMessage) {
	r.overrides[t] = node
}

// Ref returns a schema referencing t's definition (created on first use)
// when t is a named struct type, or t's schema inline otherwise.
func (r *Reflector) Ref(t reflect.Type) (json.RawMessage, error) {
	s, err := r.typeSchema(t)
	if err != nil {
		return nil, err
	}
	return marshalSchema(s)
}

// Defs returns the definitions created so far, by name.
func (r *Reflector) Defs() (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(r.defs))
	for name, s := range r.defs {
		b, err := marshalSchema(s)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// SchemaFor returns the standalone JSON Schema of t: t's schema at the
// root (a reference to itself is "#") with "$schema" and the definitions
// it uses in "$defs".
func SchemaFor(t reflect.Type) (json.RawMessage, error) {
	r := NewReflector("#/$defs/")
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && t.Name() != "" && !r.special(t) {
		r.names[t] = "" // the root: referenced as "#"
	}
	var s *node
	var err error
	if t.Kind() == reflect.Struct && !r.special(t) {
		s, err = r.structSchema(t)
	} else {
		s, err = r.typeSchema(t)
	}
	if err != nil {
		return nil, err
	}
	root := *s
	if root.raw == nil {
		root.Schema = "https://json-schema.org/draft/2020-12/schema"
		if len(r.defs) > 0 {
			root.Defs = r.defs
		}
	}
	return marshalSchema(&root)
}

func marshalSchema(s *node) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return b, nil
}

// special reports whether t, not a pointer, has a schema of its own
// rather than one by kind: an override, a Schemer, time.Time,
// json.RawMessage or a marshaler.
func (r *Reflector) special(t reflect.Type) bool {
	if _, ok := r.overrides[t]; ok {
		return true
	}
	return t == timeType || t == rawMessageType || implements(t, schemerType) ||
		implements(t, jsonMarshalerType) || implements(t, textMarshalerType)
}

// implements reports whether t or *t implements iface, as encoding/json
// would find it on an addressable value.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

// specialSchema returns the schema of a type that has one of its own.
func (r *Reflector) specialSchema(t reflect.Type) (*node, error) {
	if raw, ok := r.overrides[t]; ok {
		return &node{raw: raw}, nil
	}
	switch {
	case t == timeType:
		return &node{Type: "string", Format: "date-time"}, nil
	case t == rawMessageType:
		return &node{}, nil
	case implements(t, schemerType):
		v := reflect.New(t).Elem()
		if !t.Implements(schemerType) {
			v = reflect.New(t)
		}
		raw := v.Interface().(Schemer).JSONSchema()
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s.JSONSchema returned invalid JSON", t)
		}
		return &node{raw: raw}, nil
	case implements(t, jsonMarshalerType):
		return &node{}, nil // its JSON is its own business
	}
	return &node{Type: "string"}, nil // an encoding.TextMarshaler
}

// typeSchema returns the schema of a value of type t in any position
// where a nil pointer, slice or map is written as null.
func (r *Reflector) typeSchema(t reflect.Type) (*node, error) {
	if raw, ok := r.overrides[t]; ok {
		return &node{raw: raw}, nil
	}
	if t.Kind() == reflect.Pointer {
		s, err := r.typeSchema(t.Elem())
		if err != nil {
			return nil, err
		}
		return s.nullable(), nil
	}
	if r.special(t) {
		return r.specialSchema(t)
	}
	s, err := r.kindSchema(t)
	if err != nil {
		return nil, err
	}
	if t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		return s.nullable(), nil
	}
	return s, nil
}

// kindSchema returns the schema of a non-nil value of t by its kind.
func (r *Reflector) kindSchema(t reflect.Type) (*node, error) {
	switch t.Kind() {
	case reflect.Bool:
		return &node{Type: "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &node{Type: "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		zero := 0
		return &node{Type: "integer", Minimum: &zero}, nil
	case reflect.Float32, reflect.Float64:
		return &node{Type: "number"}, nil
	case reflect.String:
		return &node{Type: "string"}, nil
	case reflect.Interface:
		return &node{}, nil
	case reflect.Slice, reflect.Array:
		return r.arraySchema(t)
	case reflect.Map:
		return r.mapSchema(t)
	case reflect.Struct:
		return r.structRef(t)
	}
	return nil, fmt.Errorf("catalog: %s cannot be encoded as JSON", t)
}

func (r *Reflector) arraySchema(t reflect.Type) (*node, error) {
	if t.Kind() == reflect.Slice && byteSliceElemKinds[t.Elem().Kind()] && !r.special(t.Elem()) {
		return &node{Type: "string", ContentEncoding: "base64"}, nil
	}
	items, err := r.typeSchema(t.Elem())
	if err != nil {
		return nil, err
	}
	s := &node{Type: "array", Items: items}
	if t.Kind() == reflect.Array {
		n := t.Len()
		s.MinItems, s.MaxItems = &n, &n
	}
	return s, nil
}

func (r *Reflector) mapSchema(t reflect.Type) (*node, error) {
	k := t.Key()
	switch {
	case k.Kind() == reflect.String, implements(k, textMarshalerType):
	case k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
	default:
		return nil, fmt.Errorf("catalog: map key type %s cannot be encoded as JSON", k)
	}
	vals, err := r.typeSchema(t.Elem())
	if err != nil {
		return nil, err
	}
	return &node{Type: "object", AdditionalProps: vals}, nil
}

// structRef returns a reference to a named struct's definition, creating
// it on first use, or an anonymous struct's schema inline.
func (r *Reflector) structRef(t reflect.Type) (*node, error) {
	if t.Name() == "" {
		return r.structSchema(t)
	}
	if name, ok := r.names[t]; ok {
		if name == "" {
			return &node{Ref: "#"}, nil
		}
		return &node{Ref: r.refPrefix + name}, nil
	}
	name := r.defName(t)
	r.names[t] = name
	r.defs[name] = &node{} // reserved: recursive references resolve to it
	s, err := r.structSchema(t)
	if err != nil {
		return nil, err
	}
	r.defs[name] = s
	return &node{Ref: r.refPrefix + name}, nil
}

// defName names t's definition: its Go name ("Item"; "EndpointList" for
// List[Endpoint]), prefixed with its package's name when another type
// took the name first.
func (r *Reflector) defName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		var args []string
		for _, a := range strings.Split(strings.TrimSuffix(name[i+1:], "]"), ",") {
			a = a[strings.LastIndexAny(a, "./*]")+1:]
			args = append(args, a)
		}
		name = strings.Join(args, "") + name[:i]
	}
	if _, taken := r.defs[name]; taken {
		pkg := t.PkgPath()
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
		name = strings.ToUpper(pkg[:min(1, len(pkg))]) + pkg[min(1, len(pkg)):] + name
		for i := 2; r.defs[name] != nil; i++ {
			name = strings.TrimRight(name, "0123456789") + strconv.Itoa(i)
		}
	}
	return name
}
