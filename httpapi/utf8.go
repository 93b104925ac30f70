package httpapi

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/hookd/hookd"
)

// checkUTF8 refuses a request body that is not valid UTF-8 (RFC 8259
// requires it of JSON exchanged between systems) with EMALFORMED, naming
// the offset of the first bad byte.
func checkUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	return errorf(hookd.EMALFORMED, "the request body is not valid UTF-8: byte %d is not", invalidUTF8At(b))
}

// checkDataUTF8 refuses a publish whose data holds invalid UTF-8 with
// EINVALID at /data: data is sent on to endpoints byte for byte, so it
// must be text a receiver can decode. Other bad bytes are left to
// checkUTF8.
func checkDataUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || utf8.Valid(m["data"]) {
		return nil
	}
	return hookd.Invalid("invalid event", hookd.FieldError{Pointer: "/data",
		Message: "must be valid UTF-8: byte " + strconv.Itoa(invalidUTF8At(m["data"])) + " of the value is not"})
}

// invalidUTF8At returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence, or len(b).
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
