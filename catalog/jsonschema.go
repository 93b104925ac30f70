package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// node is a JSON Schema (2020-12) as the reflector writes it. Its
// fields marshal in a fixed order, so generated schemas are stable and
// diffable; properties keep the order of the Go struct's fields.
type node struct {
	Schema          string            `json:"$schema,omitempty"`
	Ref             string            `json:"$ref,omitempty"`
	Description     string            `json:"description,omitempty"`
	Deprecated      bool              `json:"deprecated,omitempty"`
	Type            any               `json:"type,omitempty"` // a string, or []string with "null"
	Format          string            `json:"format,omitempty"`
	ContentEncoding string            `json:"contentEncoding,omitempty"`
	Pattern         string            `json:"pattern,omitempty"`
	Enum            []any             `json:"enum,omitempty"`
	Minimum         *int              `json:"minimum,omitempty"`
	Items           *node             `json:"items,omitempty"`
	MinItems        *int              `json:"minItems,omitempty"`
	MaxItems        *int              `json:"maxItems,omitempty"`
	Properties      *properties       `json:"properties,omitempty"`
	Required        []string          `json:"required,omitempty"`
	AdditionalProps *node             `json:"additionalProperties,omitempty"`
	AnyOf           []*node           `json:"anyOf,omitempty"`
	AllOf           []*node           `json:"allOf,omitempty"`
	Examples        []json.RawMessage `json:"examples,omitempty"`
	Defs            map[string]*node  `json:"$defs,omitempty"`

	// raw, when set, is the whole schema, written as is (a type's own
	// JSONSchema method, or an override).
	raw json.RawMessage
}

// nodeAlias has node's fields without its MarshalJSON method.
type nodeAlias node

// MarshalJSON implements json.Marshaler.
func (s *node) MarshalJSON() ([]byte, error) {
	if s.raw != nil {
		return s.raw, nil
	}
	return json.Marshal((*nodeAlias)(s))
}

// property is one member of "properties".
type property struct {
	name string
	node *node
}

// properties keeps an object's properties in declaration order.
type properties []property

// MarshalJSON implements json.Marshaler.
func (ps *properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range *ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(p.name)
		if err != nil {
			return nil, fmt.Errorf("encode property name: %w", err)
		}
		v, err := json.Marshal(p.node)
		if err != nil {
			return nil, fmt.Errorf("encode property %s: %w", p.name, err)
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// nullable makes s also accept null, which is what encoding/json writes
// for a nil pointer, slice or map.
func (s *node) nullable() *node {
	switch t := s.Type.(type) {
	case string:
		if s.Ref == "" && s.raw == nil && len(s.AnyOf) == 0 && len(s.AllOf) == 0 {
			s.Type = []string{t, "null"}
			if s.Enum != nil {
				s.Enum = append(s.Enum, nil)
			}
			return s
		}
	case []string:
		return s // already a union
	}
	if s.raw == nil && s.Ref == "" && s.Type == nil && len(s.AnyOf) == 0 && len(s.AllOf) == 0 && s.Enum == nil {
		return s // the empty schema accepts null already
	}
	// A reference or a custom schema: wrap it. Annotations move out so
	// that documentation tools still show them.
	inner := *s
	inner.Description = ""
	return &node{Description: s.Description, AnyOf: []*node{&inner, {Type: "null"}}}
}
