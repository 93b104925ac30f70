package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// field is one JSON member of a struct, after encoding/json's rules for
// embedded structs.
type field struct {
	name     string
	typ      reflect.Type
	tag      reflect.StructTag
	omit     bool // omitempty or omitzero: absent when empty
	asString bool // the ",string" option
	tagged   bool // named by a json tag
	depth    int  // embedding depth, for encoding/json's precedence
	optional bool // inside a nil-able embedded pointer
}

// structSchema returns the object schema of struct type t.
func (r *Reflector) structSchema(t reflect.Type) (*node, error) {
	fields := visibleFields(t)
	props := make(properties, 0, len(fields))
	var required []string
	for _, f := range fields {
		s, err := r.fieldSchema(f)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t, f.name, err)
		}
		props = append(props, property{name: f.name, node: s})
		if !f.omit && !f.optional {
			required = append(required, f.name)
		}
	}
	return &node{Type: "object", Properties: &props, Required: required}, nil
}

// fieldSchema returns a field's schema: its type's, where an omitted
// field is never null, with the field's tags applied.
func (r *Reflector) fieldSchema(f field) (*node, error) {
	t := f.typ
	var s *node
	var err error
	_, overridden := r.overrides[t]
	switch {
	case f.asString && isScalar(t):
		s = &node{Type: "string"}
	case f.omit && !overridden && t.Kind() == reflect.Pointer:
		s, err = r.typeSchema(t.Elem())
	case f.omit && !overridden && (t.Kind() == reflect.Slice || t.Kind() == reflect.Map) && !r.special(t):
		s, err = r.kindSchema(t)
	default:
		s, err = r.typeSchema(t)
	}
	if err != nil {
		return nil, err
	}
	return applyTags(s, f)
}

func isScalar(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// applyTags adds the field's description, enum, format, pattern and
// deprecated tags to s. Enum, format and pattern constrain a scalar, or
// the items of a slice of scalars.
func applyTags(s *node, f field) (*node, error) {
	desc, enum := f.tag.Get("description"), f.tag.Get("enum")
	format, pattern := f.tag.Get("format"), f.tag.Get("pattern")
	deprecated := f.tag.Get("deprecated") == "true"
	if enum != "" || format != "" || pattern != "" {
		target := s
		if (target.Type == "array" || isUnion(target.Type, "array")) && target.Items != nil {
			target = target.Items
		}
		if target.raw != nil || target.Ref != "" || len(target.AnyOf) > 0 {
			return nil, fmt.Errorf("enum, format and pattern tags apply to scalars and slices of scalars only")
		}
		if err := constrain(target, f, enum, format, pattern); err != nil {
			return nil, err
		}
	}
	if desc == "" && !deprecated {
		return s, nil
	}
	if s.raw != nil {
		s = &node{AllOf: []*node{s}} // annotate without changing it
	}
	s.Description, s.Deprecated = desc, deprecated
	return s, nil
}

func isUnion(t any, name string) bool {
	ts, ok := t.([]string)
	return ok && len(ts) > 0 && ts[0] == name
}

// constrain sets the enum, format and pattern of a scalar schema.
func constrain(s *node, f field, enum, format, pattern string) error {
	if format != "" {
		s.Format = format
	}
	if pattern != "" {
		s.Pattern = pattern
	}
	if enum == "" {
		return nil
	}
	kind := elemKind(f.typ)
	nullable := isUnion(s.Type, "string") || isUnion(s.Type, "integer") || isUnion(s.Type, "number") || isUnion(s.Type, "boolean")
	s.Enum = nil
	for _, v := range strings.Split(enum, ",") {
		val, err := enumValue(strings.TrimSpace(v), kind, f.asString)
		if err != nil {
			return err
		}
		s.Enum = append(s.Enum, val)
	}
	if nullable {
		s.Enum = append(s.Enum, nil)
	}
	return nil
}

// elemKind is the kind of the scalar a field holds, through pointers and
// slices.
func elemKind(t reflect.Type) reflect.Kind {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t.Kind()
}

// enumValue parses one enum value as the JSON value of kind.
func enumValue(v string, kind reflect.Kind, asString bool) (any, error) {
	switch {
	case asString || kind == reflect.String:
		return v, nil
	case kind == reflect.Bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("enum value %q is not a boolean", v)
		}
		return b, nil
	case kind >= reflect.Int && kind <= reflect.Float64:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("enum value %q is not a number", v)
		}
		return json.Number(v), nil
	}
	return nil, fmt.Errorf("enum tag on a %s field", kind)
}

// visibleFields returns t's JSON members in encoding/json's order, with
// embedded structs' fields promoted: a shallower field hides deeper ones
// of the same name; at equal depth a tagged field wins, and two untagged
// ones hide each other.
func visibleFields(t reflect.Type) []field {
	var all []field
	collectFields(t, 0, false, map[reflect.Type]bool{}, &all)
	type pick struct {
		i        int
		conflict bool
	}
	byName := map[string]*pick{}
	for i, f := range all {
		p, ok := byName[f.name]
		switch {
		case !ok:
			byName[f.name] = &pick{i: i}
		case f.depth < all[p.i].depth:
			byName[f.name] = &pick{i: i}
		case f.depth == all[p.i].depth:
			switch {
			case f.tagged && !all[p.i].tagged:
				*p = pick{i: i}
			case f.tagged == all[p.i].tagged:
				p.conflict = true
			}
		}
	}
	out := make([]field, 0, len(byName))
	for i, f := range all {
		if p := byName[f.name]; p.i == i && !p.conflict {
			out = append(out, f)
		}
	}
	return out
}

// collectFields appends t's fields at depth, descending into embedded
// structs without a json name.
func collectFields(t reflect.Type, depth int, optional bool, seen map[reflect.Type]bool, out *[]field) {
	if seen[t] {
		return
	}
	seen[t] = true
	defer delete(seen, t)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et, ptr := ft, false
			if et.Kind() == reflect.Pointer {
				et, ptr = et.Elem(), true
			}
			if et.Kind() == reflect.Struct {
				collectFields(et, depth+1, optional || ptr, seen, out)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		f := field{name: name, typ: ft, tag: sf.Tag, tagged: name != "", depth: depth, optional: optional}
		if f.name == "" {
			f.name = sf.Name
		}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty", "omitzero":
				f.omit = true
			case "string":
				f.asString = true
			}
		}
		*out = append(*out, f)
	}
}
