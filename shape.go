package hookd

import (
	"encoding/json"
	"fmt"
)

// shapeRecord is how a Shape is kept beside its body: both stores write
// this JSON in one column and the body in another.
type shapeRecord struct {
	DataOnly    bool              `json:"data_only,omitempty"`
	Method      string            `json:"method,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Transformed bool              `json:"transformed,omitempty"`
	Body        bool              `json:"body,omitempty"` // an empty body is a body too
}

// Record returns the shape without its body, as the JSON a store keeps
// beside the body; ParseShape reads it back.
func (s *Shape) Record() []byte {
	plain := s.Method == "" && len(s.Headers) == 0 && !s.Transformed
	switch {
	case plain && !s.DataOnly && s.Body != nil:
		return []byte(`{"body":true}`) // a template's rendering: the common case, without reflection
	case plain && s.DataOnly && s.Body == nil:
		return []byte(`{"data_only":true}`)
	}
	rec := shapeRecord{DataOnly: s.DataOnly, Method: s.Method, Headers: s.Headers, Transformed: s.Transformed, Body: s.Body != nil}
	b, _ := json.Marshal(rec) // strings, a map of strings and bools: it cannot fail
	return b
}

// ParseShape reads a shape a store kept with Record and its body; an empty
// record means no shape (nil).
func ParseShape(body, record []byte) (*Shape, error) {
	if len(record) == 0 {
		return nil, nil
	}
	var rec shapeRecord
	if err := json.Unmarshal(record, &rec); err != nil {
		return nil, fmt.Errorf("shape: %w", err)
	}
	s := &Shape{DataOnly: rec.DataOnly, Method: rec.Method, Headers: rec.Headers, Transformed: rec.Transformed}
	if rec.Body {
		s.Body = append([]byte{}, body...)
	}
	return s, nil
}
