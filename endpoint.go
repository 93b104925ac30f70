package hookd

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Signature schemes.
const (
	SchemeStandard   = "standard-webhooks" // webhook-id, webhook-timestamp, webhook-signature: v1,…
	SchemeHMACSHA256 = "hmac-sha256"       // <prefix><hex HMAC-SHA256 of the body> in Header
)

// Payload forms.
const (
	PayloadEnvelope = "envelope" // {"type","timestamp","data"} (the default)
	PayloadRaw      = "raw"      // data alone
)

// SignatureConfig chooses how deliveries to an endpoint are signed. The zero
// value means Standard Webhooks.
type SignatureConfig struct {
	Scheme string // SchemeStandard (default) or SchemeHMACSHA256
	Header string // header carrying an hmac-sha256 signature
	Prefix string // prefix of an hmac-sha256 signature, such as "sha256="
}

// Secret is one signing secret of an endpoint. A rotated-out secret keeps
// signing until ExpiresAt, so receivers can switch over.
type Secret struct {
	Value     string // "whsec_" + base64 of the key
	CreatedAt time.Time
	ExpiresAt time.Time // zero: does not expire
}

// Endpoint is a tenant's subscriber URL.
type Endpoint struct {
	ID          string
	TenantID    string
	URL         string
	Description string
	EventTypes  []string // exact names, "prefix.*" wildcards, "*"; empty means all
	Headers     map[string]string
	Signature   SignatureConfig
	// Payload is PayloadEnvelope, PayloadRaw, PayloadTemplate (with
	// Template), or "" for the engine's default (delivery.payload).
	Payload  string
	Template json.RawMessage // the payload template, a JSON value
	// Transform is JavaScript defining function handler(w), run once per
	// delivery before its first attempt; "" for none.
	Transform string
	// Filter is a CEL expression over event, tenant and endpoint that must
	// be true for an event to be delivered; "" for none.
	Filter string
	// Method is the HTTP method of deliveries, one of the event types'
	// methods; "" for the event type's default.
	Method         string
	Timeout        time.Duration // 0: the engine's default
	RateLimit      float64       // requests per second; 0: unlimited
	MaxConcurrency int           // attempts in flight; 0: the engine's default
	RetrySchedule  []time.Duration
	Enabled        bool
	DisabledReason string
	FailingSince   time.Time // start of the current run of failures; zero when healthy
	Metadata       json.RawMessage
	Secrets        []Secret // newest last
	// AllowPrivate lets deliveries reach internal addresses. Only operator
	// configuration (a source's forward destination) sets it; tenant
	// endpoints never have it, and the store does not keep it.
	AllowPrivate bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Limits on endpoint fields.
const (
	MaxEndpointTimeout = 5 * time.Minute
	MaxRetrySchedule   = 50
	MaxRetryDelay      = 7 * 24 * time.Hour
	MaxEventTypes      = 256     // entries of event_types
	MaxHeaders         = 64      // custom headers
	MaxHeaderBytes     = 8 << 10 // custom headers' names and values together
)

// ActiveSecrets returns the secrets valid at now, newest first.
func (e *Endpoint) ActiveSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.Secrets))
	for i := len(e.Secrets) - 1; i >= 0; i-- {
		s := e.Secrets[i]
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Value)
		}
	}
	return out
}

// Accepts reports whether the endpoint's filter admits eventType: an empty
// filter or "*" admits all; "a.*" admits "a.b" and "a.b.c" but not "a".
func (e *Endpoint) Accepts(eventType string) bool {
	return MatchEventTypes(e.EventTypes, eventType)
}

// MatchEventTypes reports whether filter admits eventType (see Accepts).
func MatchEventTypes(filter []string, eventType string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if f == "*" || f == eventType {
			return true
		}
		if prefix, ok := strings.CutSuffix(f, "*"); ok && strings.HasSuffix(prefix, ".") &&
			strings.HasPrefix(eventType, prefix) && len(eventType) > len(prefix) {
			return true
		}
	}
	return false
}

// ReservedHeader reports whether name is a header hookd sets itself, which
// an endpoint's custom headers may not override.
func ReservedHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "content-type", "user-agent", "host", "content-length", "transfer-encoding", "connection":
		return true
	}
	return strings.HasPrefix(n, "webhook-")
}

// Validate checks the endpoint's fields. It does not apply the SSRF policy;
// the caller that knows it checks the URL's address.
func (e *Endpoint) Validate() error {
	var fe fieldErrors
	validateEndpointURL(&fe, e.URL)
	for i, f := range e.EventTypes[:min(len(e.EventTypes), MaxEventTypes)] {
		if !validFilter(f) {
			fe.add("/event_types/"+strconv.Itoa(i), "must be an event type name, a prefix wildcard such as invoice.*, or *")
		}
	}
	e.validateCounts(&fe)
	for name, v := range e.Headers {
		p := "/headers/" + EscapePointer(name)
		switch {
		case !validHeaderName(name):
			fe.add(p, "is not a valid header name")
		case ReservedHeader(name):
			fe.add(p, "is reserved: hookd sets it")
		case strings.ContainsAny(v, "\r\n\x00"):
			fe.add(p, "must not contain line breaks")
		}
	}
	e.validateSignature(&fe)
	e.validateShape(&fe)
	e.validateLimits(&fe)
	if len(e.Metadata) > 0 && !isJSONObject(e.Metadata) {
		fe.add("/metadata", "must be a JSON object")
	}
	return fe.err("endpoint")
}

func validateEndpointURL(fe *fieldErrors, raw string) {
	if msg := CheckURL(raw); msg != "" {
		fe.add("/url", "%s", msg)
	}
}

// validateCounts bounds the lists and maps of an endpoint: each of them is
// held in memory by every node and consulted on every publish.
func (e *Endpoint) validateCounts(fe *fieldErrors) {
	if len(e.EventTypes) > MaxEventTypes {
		fe.add("/event_types", "must have at most %d entries (it has %d); use a wildcard such as invoice.* or *", MaxEventTypes, len(e.EventTypes))
	}
	if len(e.Headers) > MaxHeaders {
		fe.add("/headers", "must have at most %d headers (it has %d)", MaxHeaders, len(e.Headers))
	}
	n := 0
	for name, v := range e.Headers {
		n += len(name) + len(v)
	}
	if n > MaxHeaderBytes {
		fe.add("/headers", "must hold at most %d bytes of names and values together (it holds %d)", MaxHeaderBytes, n)
	}
}

func (e *Endpoint) validateSignature(fe *fieldErrors) {
	switch e.Signature.Scheme {
	case "", SchemeStandard:
		if e.Signature.Header != "" || e.Signature.Prefix != "" {
			fe.add("/signature", "header and prefix apply to the hmac-sha256 scheme only")
		}
	case SchemeHMACSHA256:
		if !validHeaderName(e.Signature.Header) {
			fe.add("/signature/header", "must be a header name")
		} else if ReservedHeader(e.Signature.Header) {
			fe.add("/signature/header", "is reserved: hookd sets it")
		}
	default:
		fe.add("/signature/scheme", "must be standard-webhooks or hmac-sha256")
	}
}

// validateShape checks the payload, the method and the sizes of the
// transform and filter; compiling those two is the job of their packages.
func (e *Endpoint) validateShape(fe *fieldErrors) {
	*fe = append(*fe, PayloadOf(e).Validate("/payload")...)
	if e.Method != "" && !ValidMethod(e.Method) {
		fe.add("/method", "must be one of %s", strings.Join(Methods(), ", "))
	}
	if len(e.Transform) > MaxTransformSize {
		fe.add("/transform", "must be at most %d bytes", MaxTransformSize)
	}
	if len(e.Filter) > MaxFilterSize {
		fe.add("/filter", "must be at most %d bytes", MaxFilterSize)
	}
}

// Limits on the code of transforms and filters.
const (
	MaxTransformSize = 64 << 10
	MaxFilterSize    = 4 << 10
)

func (e *Endpoint) validateLimits(fe *fieldErrors) {
	if e.Timeout < 0 || e.Timeout > MaxEndpointTimeout {
		fe.add("/timeout", "must be between 0 and %s", MaxEndpointTimeout)
	}
	if e.RateLimit < 0 || e.RateLimit > 1e6 {
		fe.add("/rate_limit", "must be between 0 (unlimited) and 1000000 requests per second")
	}
	if e.MaxConcurrency < 0 || e.MaxConcurrency > 1000 {
		fe.add("/max_concurrency", "must be between 0 (default) and 1000")
	}
	if len(e.RetrySchedule) > MaxRetrySchedule {
		fe.add("/retry_schedule", "must have at most %d steps", MaxRetrySchedule)
	}
	for i, d := range e.RetrySchedule {
		if d < 0 || d > MaxRetryDelay {
			fe.add("/retry_schedule/"+strconv.Itoa(i), "must be between 0 and %s", MaxRetryDelay)
		}
	}
}

func validFilter(f string) bool {
	if f == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(f, ".*"); ok {
		return ValidEventTypeName(prefix)
	}
	return ValidEventTypeName(f)
}

// ValidHeaderName reports whether name is an RFC 9110 token.
func ValidHeaderName(name string) bool { return validHeaderName(name) }

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
