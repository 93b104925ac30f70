package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// member is one member of a JSON object, its value as raw JSON.
type member struct {
	key string
	val json.RawMessage
}

// objectMembers returns the members of a JSON object in their order, or
// ok false when raw is not an object.
func objectMembers(raw []byte) (ms []member, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, false, fmt.Errorf("read object: %w", err)
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != '{' {
		return nil, false, nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false, fmt.Errorf("read object key: %w", err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, false, fmt.Errorf("read object member %q: %w", key, err)
		}
		ms = append(ms, member{key: key, val: val})
	}
	return ms, true, nil
}

// encodeMembers writes members as a JSON object.
func encodeMembers(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key) // a string always marshals
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// mergePatch applies the JSON Merge Patch (RFC 7396) patch to target and
// returns the result. Members keep their order, new ones are appended, and
// values the patch does not touch keep their exact bytes.
func mergePatch(target, patch []byte) ([]byte, error) {
	pm, isObj, err := objectMembers(patch)
	if err != nil {
		return nil, err
	}
	if !isObj {
		return patch, nil
	}
	var tm []member
	if len(target) > 0 {
		if tm, isObj, err = objectMembers(target); err != nil {
			return nil, err
		} else if !isObj {
			tm = nil
		}
	}
	for _, p := range pm {
		i := indexOf(tm, p.key)
		if isNull(p.val) {
			if i >= 0 {
				tm = append(tm[:i], tm[i+1:]...)
			}
			continue
		}
		var old []byte
		if i >= 0 {
			old = tm[i].val
		}
		v, err := mergePatch(old, p.val)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			tm[i].val = v
		} else {
			tm = append(tm, member{key: p.key, val: v})
		}
	}
	return encodeMembers(tm), nil
}

func indexOf(ms []member, key string) int {
	for i, m := range ms {
		if m.key == key {
			return i
		}
	}
	return -1
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }
