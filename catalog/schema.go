package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hookd/hookd"
)

// schemaURL is the base URL a schema is compiled under. A relative $ref
// resolves against it and is refused like any other outside reference.
const (
	schemaBase = "hookd:///"
	schemaURL  = schemaBase + "schema.json"
)

// errNoLoad is why every reference outside a schema is refused.
var errNoLoad = errors.New("hookd never loads a schema from a file or the network")

// refuseLoader is the compiler's URL loader: it refuses everything, so
// that a user's schema cannot make hookd read a file or call a URL. The
// JSON Schema metaschemas are built into the compiler and still load.
type refuseLoader struct{}

func (refuseLoader) Load(string) (any, error) { return nil, errNoLoad }

var printer = message.NewPrinter(language.English)

// Schema is a compiled JSON Schema for event data. It is safe for
// concurrent use.
type Schema struct {
	raw      json.RawMessage
	compiled *jsonschema.Schema
}

// Raw returns the schema's JSON as given.
func (s *Schema) Raw() json.RawMessage { return s.raw }

// CompileSchema compiles raw, a JSON Schema (2020-12 unless its $schema
// names another draft). A $ref may only point inside the schema: hookd
// never loads one from a file or the network. Formats (date-time, email,
// …) are asserted, not just annotations. An invalid schema is an
// EMALFORMED *hookd.Error with one field error per problem, its pointer
// into the schema ("" for the root).
func CompileSchema(raw json.RawMessage) (*Schema, error) {
	return compileSchema(raw, "")
}

// compileSchema compiles raw, with error pointers prefixed by at.
func compileSchema(raw json.RawMessage, at string) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, schemaError(at, "must be JSON")
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		return nil, schemaError(at, "must be a JSON Schema: an object or a boolean")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("add schema resource: %w", err)
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, compileError(err, at)
	}
	return &Schema{raw: raw, compiled: compiled}, nil
}

func schemaError(pointer, msg string) error {
	return &hookd.Error{Code: hookd.EMALFORMED, Message: "invalid JSON Schema",
		Fields: []hookd.FieldError{{Pointer: pointer, Message: msg}}}
}

// compileError explains why a schema did not compile, naming where.
func compileError(err error, at string) error {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		fields := Violations(ve, at)
		for i := range fields {
			fields[i].Message = "not a valid JSON Schema: " + fields[i].Message
		}
		return &hookd.Error{Code: hookd.EMALFORMED, Message: "invalid JSON Schema", Fields: fields, Err: err}
	}
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		ref := strings.TrimPrefix(strings.TrimPrefix(le.URL, schemaURL), schemaBase)
		return &hookd.Error{Code: hookd.EMALFORMED, Message: "invalid JSON Schema", Err: err, Fields: []hookd.FieldError{{
			Pointer: at,
			Message: fmt.Sprintf("$ref %q points outside the schema: a $ref may only point inside it (#/$defs/…); %v", ref, errNoLoad),
		}}}
	}
	msg := strings.ReplaceAll(err.Error(), schemaURL, "")
	return &hookd.Error{Code: hookd.EMALFORMED, Message: "invalid JSON Schema", Err: err,
		Fields: []hookd.FieldError{{Pointer: at, Message: msg}}}
}

// Validate validates data, which must be JSON, against the schema. It
// returns nil or an EINVALID *hookd.Error with one field error per
// violation, its pointer into data prefixed by at ("/data/amount" for at
// "/data"), sorted by pointer.
func (s *Schema) Validate(data []byte, at string) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return hookd.Invalid("invalid event data", hookd.FieldError{Pointer: at, Message: "must be JSON"})
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate against schema: %w", err)
	}
	return hookd.Invalid("the data does not match the event type's schema", Violations(ve, at)...)
}

// Violations turns the error of a validation against a JSON Schema
// (github.com/santhosh-tekuri/jsonschema/v6) into field errors, one per
// violation, their pointers into the instance prefixed by at, sorted by
// pointer and without duplicates. Every validation in hookd reports
// through it, so that a published event's data and an inbound request
// point alike:
//
//   - a missing required property points at the missing member itself
//     ("/data/amount", not the object "/data"), as dependentRequired does;
//   - a property that additionalProperties refuses points at itself;
//   - a failed anyOf or oneOf is one violation at its value: the failures
//     of its branches would mislead;
//   - any other failed keyword points at the value that broke it.
//
// An error that is not a validation error is one field error at at.
func Violations(err error, at string) []hookd.FieldError {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []hookd.FieldError{{Pointer: at, Message: err.Error()}}
	}
	var out []hookd.FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch e.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			out = append(out, hookd.FieldError{Pointer: at + pointer(e.InstanceLocation),
				Message: e.ErrorKind.LocalizedString(printer)})
			return
		}
		if len(e.Causes) == 0 {
			out = append(out, leafErrors(e, at)...)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.SortFunc(out, func(a, b hookd.FieldError) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(out)
}

// leafErrors are the field errors of a failed keyword with no causes.
func leafErrors(e *jsonschema.ValidationError, at string) []hookd.FieldError {
	loc := at + pointer(e.InstanceLocation)
	each := func(names []string, msg string) []hookd.FieldError {
		fs := make([]hookd.FieldError, len(names))
		for i, n := range names {
			fs[i] = hookd.FieldError{Pointer: loc + "/" + hookd.EscapePointer(n), Message: msg}
		}
		return fs
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return each(k.Missing, "is required")
	case *kind.DependentRequired:
		return each(k.Missing, fmt.Sprintf("is required when %q is present", k.Prop))
	case *kind.AdditionalProperties:
		return each(k.Properties, "is not allowed")
	}
	return []hookd.FieldError{{Pointer: loc, Message: e.ErrorKind.LocalizedString(printer)}}
}

// pointer encodes tokens as a JSON Pointer (RFC 6901).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(hookd.EscapePointer(t))
	}
	return b.String()
}

// CheckEventType checks an event type as given by a user (through the API
// or the configuration): its fields (EINVALID), its schema, which must
// compile (EMALFORMED, pointers under /schema), and its examples, which
// must match the schema (EINVALID, pointers under /examples/N). It returns
// the compiled schema, nil when the type has none.
func CheckEventType(t *hookd.EventType) (*Schema, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(t.Schema) == 0 {
		return nil, nil
	}
	s, err := compileSchema(t.Schema, "/schema")
	if err != nil {
		return nil, err
	}
	var fields []hookd.FieldError
	for i, ex := range t.Examples {
		if err := s.Validate(ex, "/examples/"+strconv.Itoa(i)); err != nil {
			fields = append(fields, hookd.ErrorFields(err)...)
		}
	}
	if len(fields) > 0 {
		return nil, hookd.Invalid("an example does not match the schema", fields...)
	}
	return s, nil
}
