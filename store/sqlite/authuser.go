package sqlite

import "encoding/json"

// nullText stores a JSON value as text, NULL when there is none.
func nullText(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
