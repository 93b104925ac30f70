package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// jvalue is a JSON value that keeps the order of object members, so that
// a user's schema can be rewritten (its references moved into an OpenAPI
// document) without reordering it.
type jvalue struct {
	members []jmember       // an object, when isObj
	items   []*jvalue       // an array, when isArr
	scalar  json.RawMessage // anything else
	isObj   bool
	isArr   bool
}

type jmember struct {
	key   string
	value *jvalue
}

// parseTree decodes JSON into a jvalue.
func parseTree(raw []byte) (*jvalue, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, fmt.Errorf("parse JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("parse JSON: trailing data")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (*jvalue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		v := &jvalue{isObj: true}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			v.members = append(v.members, jmember{key: k.(string), value: val})
		}
		_, err := dec.Token() // }
		return v, err
	case json.Delim('['):
		v := &jvalue{isArr: true}
		for dec.More() {
			item, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		_, err := dec.Token() // ]
		return v, err
	}
	b, err := json.Marshal(tok) // a string, json.Number, bool or nil
	return &jvalue{scalar: b}, err
}

// MarshalJSON implements json.Marshaler.
func (v *jvalue) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	v.write(&b)
	return b.Bytes(), nil
}

func (v *jvalue) write(b *bytes.Buffer) {
	switch {
	case v.isObj:
		b.WriteByte('{')
		for i, m := range v.members {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key) // a string always marshals
			b.Write(k)
			b.WriteByte(':')
			m.value.write(b)
		}
		b.WriteByte('}')
	case v.isArr:
		b.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			item.write(b)
		}
		b.WriteByte(']')
	default:
		b.Write(v.scalar)
	}
}

// get returns the member key of an object, or nil.
func (v *jvalue) get(key string) *jvalue {
	for _, m := range v.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// str returns a string scalar's value.
func (v *jvalue) str() (string, bool) {
	if v == nil || len(v.scalar) == 0 || v.scalar[0] != '"' {
		return "", false
	}
	var s string
	err := json.Unmarshal(v.scalar, &s)
	return s, err == nil
}

// dataKeywords hold instance data, not schemas: references are not
// rewritten inside them.
var dataKeywords = map[string]bool{"const": true, "enum": true, "examples": true, "default": true, "example": true}

// relocate rewrites the schema's references to its own root ("#…") so
// that they still resolve once the schema sits at base inside another
// document ("#/components/schemas/x"), and drops the root's $schema and
// $id, which would make it a separate resource.
func relocate(raw json.RawMessage, base string) (json.RawMessage, error) {
	root, err := parseTree(raw)
	if err != nil {
		return nil, err
	}
	if root.isObj {
		kept := root.members[:0]
		for _, m := range root.members {
			if m.key != "$schema" && m.key != "$id" {
				kept = append(kept, m)
			}
		}
		root.members = kept
	}
	rewriteRefs(root, base)
	return root.MarshalJSON()
}

// schemaMaps are keywords whose value maps names to schemas: their
// members are never keywords themselves.
var schemaMaps = map[string]bool{"properties": true, "$defs": true, "definitions": true,
	"patternProperties": true, "dependentSchemas": true}

func rewriteRefs(v *jvalue, base string) {
	for i, m := range v.members {
		switch {
		case dataKeywords[m.key]:
		case m.key == "$ref" || m.key == "$dynamicRef":
			if ref, ok := m.value.str(); ok && (ref == "#" || strings.HasPrefix(ref, "#/")) {
				b, _ := json.Marshal(base + ref[1:]) // a string always marshals
				v.members[i].value = &jvalue{scalar: b}
			}
		case schemaMaps[m.key] && m.value.isObj:
			for _, named := range m.value.members {
				rewriteRefs(named.value, base)
			}
		default:
			rewriteRefs(m.value, base)
		}
	}
	for _, item := range v.items {
		rewriteRefs(item, base)
	}
}
