package hookd

import "strings"

// EscapePointer escapes one reference token of a JSON Pointer (RFC 6901):
// "~" becomes "~0", then "/" becomes "~1". Every pointer hookd builds from
// a member name goes through it.
func EscapePointer(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

// UnescapePointer decodes one reference token: "~1" becomes "/", then
// "~0" becomes "~", so that "~01" is "~1".
func UnescapePointer(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}
