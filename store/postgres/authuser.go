package postgres

import "encoding/json"

// userText stores a request's user (a JSON value) as text, NULL when
// there is none.
func userText(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := safeText(string(b))
	return &s
}
