package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// decodeYAML sets on c the keys that src, a YAML file named name, sets,
// and records in origins the file and line of each ("hookd.yaml:7").
//
// It walks the syntax tree itself rather than decoding into Config with
// goccy/go-yaml's struct decoder, because that decoder does not say where a
// value rejected by UnmarshalText (a duration, a size) was, and names an
// unknown key without its section. Walking the tree, every error names the
// line and the full key, and a value is parsed by the same code whether it
// comes from the file, the environment or a flag.
func decodeYAML(name string, src []byte, c *Config, origins map[string]string) error {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return yamlError(name, err)
	}
	if len(f.Docs) > 1 {
		return fmt.Errorf("%s: expected one YAML document, found %d", name, len(f.Docs))
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil
	}
	d := &yamlDecoder{name: name, c: c, origins: origins, anchors: map[string]ast.Node{}}
	return d.mapping("", f.Docs[0].Body, 1)
}

// yamlError turns a parse error into "hookd.yaml:3: message".
func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return fmt.Errorf("%s:%d: %s", name, ye.GetToken().Position.Line, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", name, err)
}

type yamlDecoder struct {
	name    string
	c       *Config
	origins map[string]string
	anchors map[string]ast.Node
}

func (d *yamlDecoder) at(line int) string { return fmt.Sprintf("%s:%d", d.name, line) }

// mapping decodes n, the value of the section prefix ("" for the root),
// which is on line.
func (d *yamlDecoder) mapping(prefix string, n ast.Node, line int) error {
	n, err := d.resolve(n)
	if err != nil {
		return err
	}
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.NullNode: // "delivery:" with nothing under it
		return nil
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	default:
		what := "the file"
		if prefix != "" {
			what = fmt.Sprintf("%q", prefix)
		}
		return fmt.Errorf("%s: %s must be a mapping of keys, not %s", d.at(line), what, kind(n))
	}
	for _, e := range entries {
		path := keyName(e.Key)
		if prefix != "" {
			path = prefix + "." + path
		}
		keyLine := e.Key.GetToken().Position.Line
		if sections[path] {
			err = d.mapping(path, e.Value, keyLine)
		} else if k, ok := keysByName[path]; ok {
			err = d.leaf(k, e.Value, keyLine)
		} else {
			err = fmt.Errorf("%s: unknown key %q", d.at(keyLine), path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// leaf decodes the value n of key k, whose key is on line.
func (d *yamlDecoder) leaf(k key, n ast.Node, line int) error {
	n, err := d.resolve(n)
	if err != nil {
		return err
	}
	d.origins[k.name] = d.at(line)
	if _, ok := n.(*ast.NullNode); ok {
		return nil // "addr:" alone, or "addr: ~": the default
	}
	if k.items {
		items, err := d.items(k, n, line)
		if err != nil {
			return err
		}
		k.field(d.c).Set(reflect.ValueOf(items))
		return nil
	}
	if !k.list {
		if m, ok := n.(*ast.MappingNode); ok && k.object {
			return d.object(k, m, line)
		}
		return d.scalar(k, k.field(d.c), n, line)
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return &KeyError{Key: k.name, Origin: d.at(line), Err: fmt.Errorf("must be a list, not %s", kind(n))}
	}
	v := k.field(d.c)
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		item, err := d.resolve(item)
		if err != nil {
			return err
		}
		if err := d.scalar(k, s.Index(i), item, item.GetToken().Position.Line); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// scalar sets v, a value of key k, from n, on line.
func (d *yamlDecoder) scalar(k key, v reflect.Value, n ast.Node, line int) error {
	var text string
	switch s := n.(type) {
	case *ast.StringNode:
		text = s.Value
	case *ast.LiteralNode:
		text = s.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		text = n.GetToken().Value
	default:
		return &KeyError{Key: k.name, Origin: d.at(line), Err: fmt.Errorf("must be a single value, not %s", kind(n))}
	}
	if err := setScalar(v, text); err != nil {
		return &KeyError{Key: k.name, Origin: d.at(n.GetToken().Position.Line), Err: err}
	}
	return nil
}

// object sets the value of key k, which takes a JSON object as text (a
// payload template), from the mapping n on line.
func (d *yamlDecoder) object(k key, n ast.Node, line int) error {
	var buf bytes.Buffer
	if err := d.toJSON(&buf, n, "", map[string]string{}); err != nil {
		return &KeyError{Key: k.name, Origin: d.at(line), Err: err}
	}
	if err := setScalar(k.field(d.c), buf.String()); err != nil {
		return &KeyError{Key: k.name, Origin: d.at(line), Err: err}
	}
	return nil
}

// resolve looks through anchors (remembering them), aliases and tags.
func (d *yamlDecoder) resolve(n ast.Node) (ast.Node, error) {
	for range 100 { // bounded: an anchor may name an alias of itself
		switch m := n.(type) {
		case *ast.AnchorNode:
			d.anchors[m.Name.GetToken().Value] = m.Value
			n = m.Value
		case *ast.AliasNode:
			name := m.Value.GetToken().Value
			target, ok := d.anchors[name]
			if !ok {
				return nil, fmt.Errorf("%s: unknown alias *%s", d.at(m.GetToken().Position.Line), name)
			}
			n = target
		case *ast.TagNode:
			n = m.Value
		default:
			return n, nil
		}
	}
	return nil, fmt.Errorf("%s: aliases nested too deep", d.at(n.GetToken().Position.Line))
}

// keyName returns the text of a mapping key, unquoted.
func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.GetToken().Value
}

// kind names the YAML kind of n for error messages.
func kind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a single value"
}
