package hookd

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTemplateSize bounds a payload template's JSON text.
const MaxTemplateSize = 64 << 10

// Template is a compiled payload template: a JSON value in which a string
// that is exactly "{{path}}" stands for the value at path, with its JSON
// type, and a {{path}} inside a longer string is interpolated as text.
// A Template is immutable and safe for concurrent use.
type Template struct {
	parts []tplPart
	paths []string // every path used, in order
}

// tplPart is literal JSON, or a placeholder: a whole value, or text inside
// a string (then lit holds the escaped text before it).
type tplPart struct {
	lit  []byte
	path []string // nil for a literal
	text bool     // interpolated inside a string
}

// TemplateInput is what a template renders from: the event, its tenant and
// the endpoint. Data and the metadata are JSON (nil: absent).
type TemplateInput struct {
	EventID          string
	EventType        string
	CreatedAt        time.Time
	Data             json.RawMessage
	TenantID         string
	TenantMetadata   json.RawMessage
	EndpointID       string
	EndpointMetadata json.RawMessage
}

// ParseTemplate compiles a template. Errors are EINVALID with pointers
// under pointer (such as "/payload/template"), one per bad placeholder.
func ParseTemplate(raw json.RawMessage, pointer string) (*Template, error) {
	if len(raw) > MaxTemplateSize {
		return nil, Invalid("invalid template", FieldError{Pointer: pointer,
			Message: "must be at most " + strconv.Itoa(MaxTemplateSize) + " bytes"})
	}
	if !json.Valid(raw) {
		return nil, Invalid("invalid template", FieldError{Pointer: pointer, Message: "must be valid JSON"})
	}
	c := &tplCompiler{dec: json.NewDecoder(bytes.NewReader(raw))}
	c.dec.UseNumber()
	if err := c.value(pointer); err != nil {
		return nil, Invalid("invalid template", FieldError{Pointer: pointer, Message: "must be valid JSON"})
	}
	if len(c.fe) > 0 {
		return nil, c.fe.err("template")
	}
	c.flush()
	return &Template{parts: c.parts, paths: c.paths}, nil
}

// Paths returns the placeholder paths the template uses, in order.
func (t *Template) Paths() []string { return t.paths }

// UsesEndpoint reports whether the rendering depends on the endpoint.
func (t *Template) UsesEndpoint() bool {
	for _, p := range t.paths {
		if strings.HasPrefix(p, "endpoint.") {
			return true
		}
	}
	return false
}

type tplCompiler struct {
	dec   *json.Decoder
	parts []tplPart
	lit   []byte
	paths []string
	fe    fieldErrors
}

func (c *tplCompiler) flush() {
	if len(c.lit) > 0 {
		c.parts = append(c.parts, tplPart{lit: c.lit})
		c.lit = nil
	}
}

func (c *tplCompiler) value(pointer string) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return c.object(pointer)
		}
		return c.array(pointer)
	case string:
		c.str(v, pointer)
	case json.Number:
		c.lit = append(c.lit, v...)
	case bool:
		c.lit = strconv.AppendBool(c.lit, v)
	case nil:
		c.lit = append(c.lit, "null"...)
	}
	return nil
}

func (c *tplCompiler) object(pointer string) error {
	c.lit = append(c.lit, '{')
	for i := 0; c.dec.More(); i++ {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if i > 0 {
			c.lit = append(c.lit, ',')
		}
		c.lit = appendJSONString(c.lit, key)
		c.lit = append(c.lit, ':')
		if err := c.value(pointer + "/" + EscapePointer(key)); err != nil {
			return err
		}
	}
	if _, err := c.dec.Token(); err != nil {
		return err
	}
	c.lit = append(c.lit, '}')
	return nil
}

func (c *tplCompiler) array(pointer string) error {
	c.lit = append(c.lit, '[')
	for i := 0; c.dec.More(); i++ {
		if i > 0 {
			c.lit = append(c.lit, ',')
		}
		if err := c.value(pointer + "/" + strconv.Itoa(i)); err != nil {
			return err
		}
	}
	if _, err := c.dec.Token(); err != nil {
		return err
	}
	c.lit = append(c.lit, ']')
	return nil
}

// str compiles a string: a whole placeholder, or text with placeholders.
func (c *tplCompiler) str(s, pointer string) {
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1 {
		if path, ok := c.path(s[2:len(s)-2], pointer); ok {
			c.flush()
			c.parts = append(c.parts, tplPart{path: path})
		}
		return
	}
	c.lit = append(c.lit, '"')
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			c.fe.add(pointer, "has {{ without a closing }}")
			return
		}
		c.lit = appendJSONText(c.lit, s[:i])
		if path, ok := c.path(s[i+2:i+j], pointer); ok {
			c.parts = append(c.parts, tplPart{lit: c.lit, path: path, text: true})
			c.lit = nil
		}
		s = s[i+j+2:]
	}
	c.lit = appendJSONText(c.lit, s)
	c.lit = append(c.lit, '"')
}

// path checks a placeholder's path and splits it.
func (c *tplCompiler) path(p, pointer string) ([]string, bool) {
	p = strings.TrimSpace(p)
	if msg := checkTemplatePath(p); msg != "" {
		c.fe.add(pointer, "%s", msg)
		return nil, false
	}
	c.paths = append(c.paths, p)
	return strings.Split(p, "."), true
}

// checkTemplatePath returns why p is not a template path, or "".
func checkTemplatePath(p string) string {
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return "{{" + p + "}} is not a path: empty segment"
		}
	}
	switch {
	case p == "event.id", p == "event.type", p == "event.created_at", p == "tenant.id", p == "endpoint.id":
		return ""
	case len(segs) > 1 && segs[0] == "event" && segs[1] == "data":
		return ""
	case len(segs) > 1 && (segs[0] == "tenant" || segs[0] == "endpoint") && segs[1] == "metadata":
		return ""
	}
	return "{{" + p + "}} is not a known path: use event.id, event.type, event.created_at, event.data…, " +
		"tenant.id, tenant.metadata…, endpoint.id or endpoint.metadata…"
}

// Render appends the rendering for in to dst. It also returns the offset
// of the first whole {{event.data}} in the result, -1 when there is none.
func (t *Template) Render(dst []byte, in *TemplateInput) ([]byte, int) {
	dataAt := -1
	for _, p := range t.parts {
		dst = append(dst, p.lit...)
		if p.path == nil {
			continue
		}
		if out, ok := in.appendScalar(dst, p.path, !p.text); ok { // ids, type, time: no escaping needed
			dst = out
			continue
		}
		if p.text {
			dst = appendText(dst, in.lookup(p.path))
			continue
		}
		if dataAt < 0 && len(p.path) == 2 && p.path[0] == "event" && p.path[1] == "data" && len(in.Data) > 0 {
			dataAt = len(dst)
		}
		v := in.lookup(p.path)
		if len(v) == 0 {
			v = nullJSON
		}
		dst = append(dst, v...)
	}
	return dst, dataAt
}

var nullJSON = []byte("null")

// appendScalar appends the value of an id, type or time path, quoted
// when quote, and reports whether path was one. Such values need no JSON
// escaping: event ids, type names, tenant and endpoint ids are made of
// letters, digits and "_.:-" (anything else takes the general path).
func (in *TemplateInput) appendScalar(dst []byte, path []string, quote bool) ([]byte, bool) {
	if len(path) != 2 {
		return dst, false
	}
	var s string
	switch {
	case path[0] == "event" && path[1] == "created_at":
		if quote {
			dst = append(dst, '"')
		}
		dst = in.CreatedAt.UTC().AppendFormat(dst, TimestampLayout)
		if quote {
			dst = append(dst, '"')
		}
		return dst, true
	case path[0] == "event" && path[1] == "id":
		s = in.EventID
	case path[0] == "event" && path[1] == "type":
		s = in.EventType
	case path[0] == "tenant" && path[1] == "id":
		s = in.TenantID
	case path[0] == "endpoint" && path[1] == "id":
		s = in.EndpointID
	default:
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return dst, false
		}
	}
	if quote {
		dst = append(dst, '"')
	}
	dst = append(dst, s...)
	if quote {
		dst = append(dst, '"')
	}
	return dst, true
}

// lookup returns the JSON value at path, nil when it is missing.
func (in *TemplateInput) lookup(path []string) []byte {
	switch path[0] + "." + path[1] {
	case "event.id":
		return appendJSONString(nil, in.EventID)
	case "event.type":
		return appendJSONString(nil, in.EventType)
	case "event.created_at":
		b := append(make([]byte, 0, 26), '"')
		b = in.CreatedAt.UTC().AppendFormat(b, TimestampLayout)
		return append(b, '"')
	case "event.data":
		return member(in.Data, path[2:])
	case "tenant.id":
		return appendJSONString(nil, in.TenantID)
	case "tenant.metadata":
		return member(in.TenantMetadata, path[2:])
	case "endpoint.id":
		return appendJSONString(nil, in.EndpointID)
	case "endpoint.metadata":
		return member(in.EndpointMetadata, path[2:])
	}
	return nil
}

// member returns the value at the member path inside doc, nil when any
// step is missing or not an object (or an array, for a numeric step).
func member(doc json.RawMessage, path []string) []byte {
	for _, name := range path {
		doc = bytes.TrimSpace(doc)
		if len(doc) == 0 {
			return nil
		}
		switch doc[0] {
		case '{':
			var m map[string]json.RawMessage
			if json.Unmarshal(doc, &m) != nil {
				return nil
			}
			doc = m[name]
		case '[':
			i, err := strconv.Atoi(name)
			var a []json.RawMessage
			if err != nil || json.Unmarshal(doc, &a) != nil || i < 0 || i >= len(a) {
				return nil
			}
			doc = a[i]
		default:
			return nil
		}
	}
	return doc
}

// appendText appends v as text inside a JSON string: a string's content,
// another value's JSON text, nothing for a missing value or null.
func appendText(dst, v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return dst
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return appendJSONText(dst, s)
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		v = buf.Bytes()
	}
	return appendJSONText(dst, string(v))
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONText(dst, s)
	return append(dst, '"')
}

// appendJSONText appends s escaped for the inside of a JSON string, as
// encoding/json does (HTML characters left as they are).
func appendJSONText(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// PlaceholderPath returns the path of s when s is exactly one "{{path}}"
// placeholder, the form that renders a value with its JSON type.
func PlaceholderPath(s string) (string, bool) {
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1 {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}
