package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hookd/hookd"
)

// Item is one entry of a list of objects in the file, such as a source or
// an event type. Its shape belongs to the package that uses it, so Item
// keeps it as JSON, with the file line of every value, so that the
// package's errors can still name the line.
type Item struct {
	JSON   json.RawMessage
	Origin string // "hookd.yaml:12" for the item's first line
	Key    string // "sources[2]"
	lines  map[string]string
}

// Errorf returns an error naming the line of the value at pointer (a JSON
// Pointer into the item, "" for the item itself).
func (it Item) Errorf(pointer, format string, args ...any) error {
	return fmt.Errorf("%s: %s%s: %s", it.origin(pointer), it.Key, pointer, fmt.Sprintf(format, args...))
}

// Wrap turns an error about the item into one naming the line: a
// *hookd.Error with field errors names each field's line; any other error
// names the item's.
func (it Item) Wrap(err error) error {
	if err == nil {
		return nil
	}
	var he *hookd.Error
	if errors.As(err, &he) && len(he.Fields) > 0 {
		msgs := make([]string, len(he.Fields))
		for i, f := range he.Fields {
			msgs[i] = it.Errorf(f.Pointer, "%s", f.Message).Error()
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return fmt.Errorf("%s: %s: %w", it.Origin, it.Key, err)
}

// origin returns the line of the value at pointer, or of its nearest
// enclosing value.
func (it Item) origin(pointer string) string {
	for p := pointer; ; {
		if o, ok := it.lines[p]; ok {
			return o
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return it.Origin
		}
		p = p[:i]
	}
}

// items decodes a YAML list of objects into Items.
func (d *yamlDecoder) items(k key, n ast.Node, line int) ([]Item, error) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, &KeyError{Key: k.name, Origin: d.at(line), Err: fmt.Errorf("must be a list, not %s", kind(n))}
	}
	out := make([]Item, 0, len(seq.Values))
	for i, v := range seq.Values {
		it := Item{Key: fmt.Sprintf("%s[%d]", k.name, i), lines: map[string]string{}}
		var buf bytes.Buffer
		if err := d.toJSON(&buf, v, "", it.lines); err != nil {
			return nil, fmt.Errorf("%s: %w", it.Key, err)
		}
		it.JSON, it.Origin = buf.Bytes(), it.lines[""]
		out = append(out, it)
	}
	return out, nil
}

// toJSON writes n as JSON, recording the line of each value by pointer.
func (d *yamlDecoder) toJSON(buf *bytes.Buffer, n ast.Node, pointer string, lines map[string]string) error {
	n, err := d.resolve(n)
	if err != nil {
		return err
	}
	line := n.GetToken().Position.Line
	lines[pointer] = d.at(line)
	switch m := n.(type) {
	case *ast.MappingNode:
		return d.objectJSON(buf, m.Values, pointer, lines)
	case *ast.MappingValueNode:
		return d.objectJSON(buf, []*ast.MappingValueNode{m}, pointer, lines)
	case *ast.SequenceNode:
		buf.WriteByte('[')
		for i, v := range m.Values {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := d.toJSON(buf, v, pointer+"/"+strconv.Itoa(i), lines); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	return d.scalarJSON(buf, n, line)
}

func (d *yamlDecoder) objectJSON(buf *bytes.Buffer, entries []*ast.MappingValueNode, pointer string, lines map[string]string) error {
	buf.WriteByte('{')
	seen := map[string]bool{}
	for i, e := range entries {
		name := keyName(e.Key)
		if seen[name] {
			return fmt.Errorf("%s: duplicate key %q", d.at(e.Key.GetToken().Position.Line), name)
		}
		seen[name] = true
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(name)
		buf.Write(kb)
		buf.WriteByte(':')
		p := pointer + "/" + hookd.EscapePointer(name)
		if err := d.toJSON(buf, e.Value, p, lines); err != nil {
			return err
		}
		lines[p] = d.at(e.Key.GetToken().Position.Line)
	}
	buf.WriteByte('}')
	return nil
}

// scalarJSON writes a YAML scalar as its JSON value.
func (d *yamlDecoder) scalarJSON(buf *bytes.Buffer, n ast.Node, line int) error {
	var v any
	switch s := n.(type) {
	case *ast.NullNode:
		v = nil
	case *ast.StringNode:
		v = s.Value
	case *ast.LiteralNode:
		v = s.Value.Value
	case *ast.BoolNode:
		v = s.Value
	case *ast.IntegerNode, *ast.FloatNode:
		text := strings.ReplaceAll(n.GetToken().Value, "_", "")
		if !json.Valid([]byte(text)) {
			return fmt.Errorf("%s: number %s is not valid JSON; quote it", d.at(line), text)
		}
		buf.WriteString(text)
		return nil
	default:
		return fmt.Errorf("%s: unsupported value %s", d.at(line), n.GetToken().Value)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}
