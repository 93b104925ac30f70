package catalog

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/hookd/hookd"
)

// Definer is what New and Add take: a *TypeOf[T], or a Group of them.
type Definer interface {
	definitions() []*entry
}

// TypeOf is an event type whose data is a T, declared with Type. Its
// schema is derived from T once, when it is declared. It is immutable and
// safe for concurrent use.
type TypeOf[T any] struct {
	e *entry
}

// Option sets a property of an event type declared with Type.
type Option func(*typeOptions)

type typeOptions struct {
	t        hookd.EventType
	examples []any
	schema   json.RawMessage
}

// Description documents the event type.
func Description(text string) Option { return func(o *typeOptions) { o.t.Description = text } }

// Example adds an example of the event's data, encoded with
// encoding/json. Type panics when it does not match the schema.
func Example(data any) Option {
	return func(o *typeOptions) { o.examples = append(o.examples, data) }
}

// Deprecated marks the event type deprecated in its documentation.
func Deprecated() Option { return func(o *typeOptions) { o.t.Deprecated = true } }

// Method sets the HTTP method of deliveries: GET, POST (the default),
// PUT, PATCH, DELETE, HEAD, OPTIONS or TRACE. HEAD and TRACE deliveries
// carry no body.
func Method(method string) Option { return Methods(method) }

// Methods sets the HTTP methods deliveries may use; the first is the
// default, and an endpoint may choose another of them.
func Methods(methods ...string) Option {
	return func(o *typeOptions) { o.t.Methods = append([]string(nil), methods...) }
}

// InGroup sets the group the type is documented under; Group does it for
// several types.
func InGroup(name string) Option { return func(o *typeOptions) { o.t.Group = name } }

// WithSchema replaces the schema derived from T by a JSON Schema written
// by hand.
func WithSchema(schema json.RawMessage) Option {
	return func(o *typeOptions) { o.schema = schema }
}

// Type declares the event type name whose data is a T, with a JSON Schema
// derived from T by reflection (see Reflector for the rules). It is meant
// for package-level declarations. A bad declaration (a name that is not a
// valid event type name, a T that cannot be described, an unknown method,
// an example that does not match the schema) is kept with the type and
// returned by New, Add and Err; MustType panics instead.
//
//	var PaymentCreated = catalog.Type[Payment]("payment.created",
//		catalog.Description("A payment was created."))
func Type[T any](name string, opts ...Option) *TypeOf[T] {
	t, err := newType[T](name, opts)
	if err != nil {
		return &TypeOf[T]{e: &entry{t: &hookd.EventType{Name: name}, declErr: err}}
	}
	return t
}

// MustType is Type for declarations that must be right, like
// regexp.MustCompile: it panics on a bad declaration.
func MustType[T any](name string, opts ...Option) *TypeOf[T] {
	t := Type[T](name, opts...)
	if err := t.Err(); err != nil {
		panic(err)
	}
	return t
}

// Err returns what is wrong with the declaration, nil when it is sound.
func (t *TypeOf[T]) Err() error { return t.e.declErr }

func newType[T any](name string, opts []Option) (*TypeOf[T], error) {
	o := typeOptions{t: hookd.EventType{Name: name}}
	for _, f := range opts {
		f(&o)
	}
	if len(o.t.Methods) == 1 && o.t.Methods[0] == http.MethodPost {
		o.t.Methods = nil
	}
	raw := o.schema
	if raw == nil {
		var err error
		if raw, err = SchemaFor(reflect.TypeFor[T]()); err != nil {
			return nil, fmt.Errorf("catalog: event type %s: %w", name, err)
		}
	}
	o.t.Schema = raw
	for _, ex := range o.examples {
		b, err := json.Marshal(ex)
		if err != nil {
			return nil, fmt.Errorf("catalog: event type %s: encode example: %w", name, err)
		}
		o.t.Examples = append(o.t.Examples, b)
	}
	s, err := CheckEventType(&o.t)
	if err != nil {
		return nil, fmt.Errorf("catalog: event type %s: %w", name, err)
	}
	return &TypeOf[T]{e: &entry{t: &o.t, schema: s}}, nil
}

// Name returns the event type's name.
func (t *TypeOf[T]) Name() string { return t.e.t.Name }

// String returns the event type's name.
func (t *TypeOf[T]) String() string { return t.e.t.Name }

// EventType returns the event type as hookd stores it: name, description,
// group, schema, examples, deprecated and method. The caller must not
// modify it.
func (t *TypeOf[T]) EventType() *hookd.EventType { return t.e.t }

// Schema returns the type's JSON Schema.
func (t *TypeOf[T]) Schema() json.RawMessage { return t.e.t.Schema }

// Encode encodes v as the event's data and validates it against the
// schema, so that a producer finds a broken promise before hookd does.
// A violation is an EINVALID *hookd.Error with pointers under /data.
func (t *TypeOf[T]) Encode(v T) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s data: %w", t.e.t.Name, err)
	}
	if err := t.e.schema.Validate(b, "/data"); err != nil {
		return nil, err
	}
	return b, nil
}

// Decode decodes an event's data, as a consumer receives it.
func (t *TypeOf[T]) Decode(data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("decode %s data: %w", t.e.t.Name, err)
	}
	return v, nil
}

func (t *TypeOf[T]) definitions() []*entry { return []*entry{t.e} }

// group is a set of types documented under one name.
type group struct {
	name string
	defs []Definer
}

// Group puts event types (and the types of nested groups) under one
// group, which the documentation and the OpenAPI tags show, the way a
// web framework groups routes:
//
//	catalog.New(
//		catalog.Group("billing", InvoicePaid, InvoiceVoided),
//		catalog.Group("users", UserCreated),
//	)
//
// The innermost group wins. The types themselves are not changed.
func Group(name string, defs ...Definer) Definer { return &group{name: name, defs: defs} }

func (g *group) definitions() []*entry {
	var out []*entry
	for _, d := range g.defs {
		for _, e := range d.definitions() {
			if e.t.Group == "" {
				t := *e.t
				t.Group = g.name
				e = &entry{t: &t, schema: e.schema}
			}
			out = append(out, e)
		}
	}
	return out
}
