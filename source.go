package hookd

import (
	"encoding/json"
	"regexp"
	"time"
)

// Source is an inbound receiver served at /in/{ID}. Spec is its declaration
// as the operator wrote it (methods, content types, limits, verification,
// schemas, de-duplication, response, destinations), as a JSON object;
// package receive interprets and validates it.
type Source struct {
	ID          string
	Description string
	Spec        json.RawMessage
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

var sourceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidSourceID reports whether id can name a source: 1 to 64 letters,
// digits, "_" or "-", so that it is one path segment of /in/{id}.
func ValidSourceID(id string) bool { return sourceIDPattern.MatchString(id) }

// Validate checks the source's own fields.
func (s *Source) Validate() error {
	var fe fieldErrors
	if !ValidSourceID(s.ID) {
		fe.add("/id", "must be 1 to 64 letters, digits, _ or -")
	}
	if len(s.Spec) > 0 && !isJSONObject(s.Spec) {
		fe.add("", "must be a JSON object")
	}
	return fe.err("source")
}

// Request is one inbound request as received, accepted or not.
type Request struct {
	ID          string
	SourceID    string
	ReceivedAt  time.Time
	Method      string
	Path        string
	Query       string            // the raw query string
	Headers     map[string]string // lower-cased names; secrets redacted
	Body        []byte            // decoded body, capped
	RemoteIP    string
	Status      int    // the status hookd answered
	Accepted    bool   // stored for routing (2xx, not a duplicate)
	Code        string // hookd error code when rejected
	Reason      string // why it was rejected, or "duplicate of req_…"
	Verified    string // what verification established, e.g. "github"
	DedupeKey   string // the provider's delivery id, if any
	DuplicateOf string
	// User is what the source's authenticator said of the caller (a JSON
	// value), nil when none did.
	User json.RawMessage
}

// SourceSecretPointers lists where a source's spec carries secrets, as
// JSON Pointers in which "*" stands for any array index: the secrets of
// provider presets and of generic HMAC checks, basic-auth passwords,
// shared tokens and the secrets that sign forwarded requests. The REST API
// never shows them (see package httpapi).
func SourceSecretPointers() []string {
	return []string{
		"/verify/*/secret",
		"/verify/*/secrets",
		"/verify/*/hmac/secret",
		"/verify/*/hmac/secrets",
		"/verify/*/basic/password",
		"/verify/*/token/value",
		"/destinations/*/forward/secret",
	}
}
