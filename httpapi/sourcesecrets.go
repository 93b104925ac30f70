package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookd/hookd/signature"
)

// Source secrets are write-only. A read shows each secret member of the
// spec (Config.SourceSecrets) as "<name>_prefix" holding what
// signature.SecretPrefix shows of it ("whsec_MfKQ" for a Standard
// Webhooks secret, nothing of a secret shorter than 16 characters), or a
// list of those for a list of secrets. An update that leaves a secret out
// (or sends back its "_prefix" member) keeps the stored one at the same
// place; "_prefix" members are never stored.

const prefixSuffix = "_prefix"

// secretPaths splits the configured pointers into segments.
func secretPaths(ptrs []string) [][]string {
	out := make([][]string, 0, len(ptrs))
	for _, p := range ptrs {
		out = append(out, strings.Split(strings.TrimPrefix(p, "/"), "/"))
	}
	return out
}

// redactSpec returns spec with every secret member replaced by its
// "_prefix" member.
func redactSpec(spec []byte, paths [][]string) ([]byte, error) {
	var err error
	for _, p := range paths {
		if spec, err = atPath(spec, nil, p, redactMember); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// restoreSpec returns spec with the "_prefix" members dropped and each
// secret member it lacks taken from stored (nil for a new source) at the
// same place.
func restoreSpec(spec, stored []byte, paths [][]string) ([]byte, error) {
	var err error
	for _, p := range paths {
		if spec, err = atPath(spec, stored, p, restoreMember); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// leafFunc rewrites the members of the object that holds secret member
// name; old holds the members of the stored object at the same place.
type leafFunc func(ms, old []member, name string) []member

// atPath applies leaf to the objects at path (its last segment names the
// member) in v, walking stored alongside. Values of other shapes are left
// as they are.
func atPath(v, stored []byte, path []string, leaf leafFunc) ([]byte, error) {
	if len(v) == 0 {
		return v, nil
	}
	seg := path[0]
	if seg == "*" {
		return eachElement(v, stored, path[1:], leaf)
	}
	ms, isObj, err := objectMembers(v)
	if err != nil || !isObj {
		return v, err
	}
	var old []member
	if len(stored) > 0 {
		if old, isObj, err = objectMembers(stored); err != nil || !isObj {
			old = nil
		}
	}
	if len(path) == 1 {
		return encodeMembers(leaf(ms, old, seg)), nil
	}
	i := indexOf(ms, seg)
	if i < 0 {
		return v, nil
	}
	var sub []byte
	if j := indexOf(old, seg); j >= 0 {
		sub = old[j].val
	}
	if ms[i].val, err = atPath(ms[i].val, sub, path[1:], leaf); err != nil {
		return nil, err
	}
	return encodeMembers(ms), nil
}

// eachElement applies atPath to each element of the array v, pairing it
// with the element of stored at the same index.
func eachElement(v, stored []byte, rest []string, leaf leafFunc) ([]byte, error) {
	var elems, olds []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		return v, nil // not an array: nothing to do here
	}
	_ = json.Unmarshal(stored, &olds)
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range elems {
		var old []byte
		if i < len(olds) {
			old = olds[i]
		}
		out, err := atPath(e, old, rest, leaf)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(out)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// redactMember replaces member name by name_prefix.
func redactMember(ms, _ []member, name string) []member {
	i := indexOf(ms, name)
	if i < 0 {
		return ms
	}
	ms[i] = member{key: name + prefixSuffix, val: prefixOf(ms[i].val)}
	return ms
}

// prefixOf shows a secret (a string, or a list of strings) as its prefix.
func prefixOf(raw []byte) json.RawMessage {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		b, _ := json.Marshal(signature.SecretPrefix(one))
		return b
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		out := make([]string, len(many))
		for i, s := range many {
			out[i] = signature.SecretPrefix(s)
		}
		b, _ := json.Marshal(out)
		return b
	}
	return json.RawMessage(`""`) // not a secret's shape: show nothing of it
}

// restoreMember drops name_prefix and, when name is missing, takes it
// from the stored object (in the place of name_prefix, if there was one).
func restoreMember(ms, old []member, name string) []member {
	i, j := indexOf(ms, name+prefixSuffix), indexOf(old, name)
	switch {
	case indexOf(ms, name) >= 0 || j < 0:
		if i >= 0 {
			ms = append(ms[:i], ms[i+1:]...)
		}
	case i >= 0:
		ms[i] = old[j]
	default:
		ms = append(ms, old[j])
	}
	return ms
}

// secretsOf returns the secret members of spec, in the order of paths, so
// that two specs can be told to carry the same secrets or not.
func secretsOf(spec []byte, paths [][]string) ([]byte, error) {
	var out bytes.Buffer
	collect := func(ms, _ []member, name string) []member {
		if i := indexOf(ms, name); i >= 0 {
			out.WriteString(name)
			out.WriteByte('=')
			out.Write(ms[i].val)
			out.WriteByte(0)
		}
		return ms
	}
	for _, p := range paths {
		out.WriteByte(1) // each path apart
		if _, err := atPath(spec, nil, p, collect); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// secretsChanged reports whether spec carries other secrets than stored
// (nil for a new source); a spec that does not parse counts as changed.
func (s *Server) secretsChanged(spec, stored []byte) bool {
	now, err := secretsOf(spec, s.access.secretPaths)
	if err != nil {
		return true
	}
	before, err := secretsOf(stored, s.access.secretPaths)
	return err != nil || !bytes.Equal(now, before)
}

// redactedSpec is redactSpec for a stored spec, which is always an
// object; should it not parse, nothing of it is shown.
func (s *Server) redactedSpec(id string, spec []byte) json.RawMessage {
	if len(spec) == 0 {
		return nil
	}
	out, err := redactSpec(spec, s.access.secretPaths)
	if err != nil {
		s.logger.Error("redact source spec", "source", id, "err", fmt.Errorf("spec: %w", err))
		return json.RawMessage(`{}`)
	}
	return out
}
