package catalog

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

// sampleDepth bounds how deep a sample follows nested and recursive
// schemas.
const sampleDepth = 6

// SampleData returns example data for a schema: its first example if it
// declares one, else a value made from it (the first enum value or const,
// a placeholder of each type, every property of an object). A nil schema
// gives {}. It is for documentation: the sample is not guaranteed to
// validate (patterns are not honoured).
func SampleData(schema json.RawMessage) json.RawMessage {
	if len(schema) == 0 {
		return json.RawMessage(`{}`)
	}
	root, err := parseTree(schema)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	var b bytes.Buffer
	sample(&b, root, root, 0)
	return b.Bytes()
}

// sample writes a value for schema s of document root.
func sample(b *bytes.Buffer, s, root *jvalue, depth int) {
	if s == nil || !s.isObj || depth > sampleDepth {
		b.WriteString("null")
		return
	}
	for _, kw := range []string{"const", "default"} {
		if v := s.get(kw); v != nil {
			v.write(b)
			return
		}
	}
	for _, kw := range []string{"examples", "enum"} {
		if v := s.get(kw); v != nil && v.isArr && len(v.items) > 0 {
			v.items[0].write(b)
			return
		}
	}
	if ref, ok := s.get("$ref").str(); ok {
		sample(b, resolvePointer(root, ref), root, depth+1)
		return
	}
	for _, kw := range []string{"anyOf", "oneOf", "allOf"} {
		if v := s.get(kw); v != nil && v.isArr && len(v.items) > 0 {
			sample(b, firstNonNull(v.items), root, depth+1)
			return
		}
	}
	sampleTyped(b, s, root, depth)
}

// sampleTyped writes a placeholder of the schema's type.
func sampleTyped(b *bytes.Buffer, s, root *jvalue, depth int) {
	typ, _ := s.get("type").str()
	if t := s.get("type"); t != nil && t.isArr {
		for _, item := range t.items {
			if name, _ := item.str(); name != "null" {
				typ = name
				break
			}
		}
	}
	if typ == "" && s.get("properties") != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		sampleObject(b, s, root, depth)
	case "array":
		b.WriteByte('[')
		if items := s.get("items"); items != nil && depth < sampleDepth {
			sample(b, items, root, depth+1)
		}
		b.WriteByte(']')
	case "string":
		format, _ := s.get("format").str()
		v, _ := json.Marshal(sampleString(format))
		b.Write(v)
	case "integer":
		b.WriteString("1")
	case "number":
		b.WriteString("1.5")
	case "boolean":
		b.WriteString("true")
	case "null":
		b.WriteString("null")
	default:
		b.WriteString("{}")
	}
}

func sampleObject(b *bytes.Buffer, s, root *jvalue, depth int) {
	b.WriteByte('{')
	if props := s.get("properties"); props != nil && props.isObj {
		for i, m := range props.members {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key) // a string always marshals
			b.Write(k)
			b.WriteByte(':')
			sample(b, m.value, root, depth+1)
		}
	}
	b.WriteByte('}')
}

func sampleString(format string) string {
	switch format {
	case "date-time":
		return ExampleTime().Format("2006-01-02T15:04:05Z07:00")
	case "date":
		return ExampleTime().Format("2006-01-02")
	case "time":
		return ExampleTime().Format("15:04:05Z")
	case "email":
		return "ada@example.com"
	case "uri", "url", "iri":
		return "https://example.com/"
	case "uuid":
		return "0194a7c2-3d4e-7f00-8a1b-2c3d4e5f6a7b"
	case "hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	}
	return "string"
}

// firstNonNull returns the first schema that is not {"type":"null"}.
func firstNonNull(items []*jvalue) *jvalue {
	for _, it := range items {
		if t, _ := it.get("type").str(); t != "null" {
			return it
		}
	}
	return items[0]
}

// resolvePointer follows a "#/…" reference inside root; nil when it
// points elsewhere or nowhere.
func resolvePointer(root *jvalue, ref string) *jvalue {
	if ref == "#" {
		return root
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	v := root
	for _, tok := range strings.Split(ref[2:], "/") {
		if t, err := url.PathUnescape(tok); err == nil {
			tok = t
		}
		tok = hookd.UnescapePointer(tok)
		if v = child(v, tok); v == nil {
			return nil
		}
	}
	return v
}

// child returns the member tok of an object or the item tok of an array.
func child(v *jvalue, tok string) *jvalue {
	if v.isArr {
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(v.items) {
			return nil
		}
		return v.items[i]
	}
	return v.get(tok)
}
