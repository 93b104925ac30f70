package receive

import (
	"encoding/json"
	"fmt"

	"github.com/hookd/hookd"
)

// Spec declares a source: what it accepts, how requests are verified and
// validated, and where accepted requests go. The zero value of every
// field means its documented default. It reads from the JSON (or YAML)
// members of a source with ParseSpec.
type Spec struct {
	// Path is where hookd serves the source: an absolute path such as
	// "/", "/github" or "/acme/prod/plaid_transactions", unique among
	// sources and outside hookd's own routes. Default "/in/{id}".
	Path string `json:"path,omitempty"`
	// Methods accepted. Default POST.
	Methods []string `json:"methods,omitempty"`
	// ContentTypes accepted, replacing the default: application/json and
	// any +json type. An entry is a media type ("application/json"), a
	// wildcard ("text/*", "*/*") or a structured-syntax suffix pattern
	// ("*/*+json"). Parameters such as charset are ignored.
	ContentTypes []string `json:"content_types,omitempty"`
	// MaxBody caps the body as sent (compressed). Default 1 MiB.
	MaxBody hookd.Size `json:"max_body,omitempty"`
	// MaxDecompressed caps the body once decoded. Default 10 MiB.
	MaxDecompressed hookd.Size `json:"max_decompressed,omitempty"`
	// PublicURL is the URL the provider calls, as the provider sees it,
	// without a query string. Presets that sign the URL (twilio, square,
	// hubspot) and the {url} of a generic hmac need it.
	PublicURL string `json:"public_url,omitempty"`
	// Verify lists verifications; every entry must pass. Default none.
	Verify []Verify `json:"verify,omitempty"`
	// Schema validates the body, query and headers. Default none.
	Schema *Schemas `json:"schema,omitempty"`
	// Dedupe names the delivery id. Default: the preset's own, or none.
	Dedupe *Dedupe `json:"dedupe,omitempty"`
	// Response is what an accepted request is answered. Default 200
	// {"id":"req_…"}.
	Response *Response `json:"response,omitempty"`
	// Destinations receive accepted requests. Default none.
	Destinations []Destination `json:"destinations,omitempty"`
	// KeepRejected is how many rejected requests the log keeps, newest
	// first. Default 10000.
	KeepRejected int `json:"keep_rejected,omitempty"`
}

// Verify is one verification: exactly one of Provider, HMAC, Basic,
// Token, IPAllow and CEL is set.
type Verify struct {
	// Provider names a preset ("stripe", "github", …; see Providers).
	Provider string `json:"provider,omitempty"`
	// Secret of the preset, or of HMAC when it sets none. Secrets adds
	// more, accepted too (rotation).
	Secret  string   `json:"secret,omitempty"`
	Secrets []string `json:"secrets,omitempty"`
	// PublicKey of an Ed25519 (discord: hex) or ECDSA (sendgrid: base64
	// DER) preset.
	PublicKey string `json:"public_key,omitempty"`
	// Tolerance of a signed timestamp. Default: the provider's documented
	// one, 5 minutes where it documents none.
	Tolerance hookd.Duration `json:"tolerance,omitempty"`

	HMAC  *HMAC  `json:"hmac,omitempty"`
	Basic *Basic `json:"basic,omitempty"`
	Token *Token `json:"token,omitempty"`
	// IPAllow lists the CIDRs (or bare IPs) requests may come from; a
	// denied address is 403. TrustedProxies lists the proxies whose
	// X-Forwarded-For is believed.
	IPAllow        []string `json:"ip_allow,omitempty"`
	TrustedProxies []string `json:"trusted_proxies,omitempty"`
	// CEL is an authenticator in CEL over request.method, request.path,
	// request.headers, request.query, request.body and request.remote_ip;
	// false is 403, a run-time error 500.
	CEL string `json:"cel,omitempty"`
	// Script is an authenticator in JavaScript that defines
	// function authenticate(request) (see docs/receiving.md): true or
	// {"user": …} accepts, false, null or undefined is 403, a thrown
	// HTTPError is answered as it is, anything else is 500.
	Script string `json:"script,omitempty"`
	// Timeout bounds one run of Script. Default 100ms, at most 5s.
	Timeout hookd.Duration `json:"timeout,omitempty"`
}

// HMAC is a generic HMAC signature check.
type HMAC struct {
	// Header carrying the signature. Required.
	Header string `json:"header"`
	// Algorithm: sha1, sha256 (default) or sha512.
	Algorithm string `json:"algorithm,omitempty"`
	// Encoding of the MAC: hex (default) or base64.
	Encoding string `json:"encoding,omitempty"`
	// Prefix before the encoded MAC, such as "sha256=".
	Prefix string `json:"prefix,omitempty"`
	// Signed is the signed content, a template over {body}, {timestamp},
	// {id}, {url} and {method}. Default "{body}".
	Signed string `json:"signed,omitempty"`
	// TimestampHeader carries the signed timestamp (Unix seconds, or
	// milliseconds when it has 13 digits or more); checked against
	// Tolerance.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// IDHeader carries {id}.
	IDHeader  string         `json:"id_header,omitempty"`
	Tolerance hookd.Duration `json:"tolerance,omitempty"`
	// Secret is the key (its bytes); Secrets adds more.
	Secret  string   `json:"secret,omitempty"`
	Secrets []string `json:"secrets,omitempty"`
}

// Basic is HTTP basic authentication.
type Basic struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Token is a shared token in a header, compared whole.
type Token struct {
	// Header carrying the token. Default Authorization.
	Header string `json:"header,omitempty"`
	Value  string `json:"value"`
}

// Schemas are JSON Schemas (2020-12 unless $schema says otherwise), each
// an inline object or the path of a file (configuration only).
type Schemas struct {
	Body    json.RawMessage `json:"body,omitempty"`
	Query   json.RawMessage `json:"query,omitempty"`
	Headers json.RawMessage `json:"headers,omitempty"`
}

// Dedupe names where the provider's delivery id is: a header, or a JSON
// Pointer into the body.
type Dedupe struct {
	Header      string `json:"header,omitempty"`
	JSONPointer string `json:"json_pointer,omitempty"`
	// Window is how long a delivery id is remembered. Default 24h, at
	// most 24h (how long hookd keeps de-duplication keys).
	Window hookd.Duration `json:"window,omitempty"`
}

// Response is the answer to an accepted request.
type Response struct {
	// Status, 200 to 299. Default 200.
	Status int `json:"status,omitempty"`
	// Body; "{id}" in it becomes the request id. Default {"id":"req_…"}.
	Body string `json:"body,omitempty"`
	// ContentType of Body. Default application/json.
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
}

// Destination is where accepted requests go: exactly one of Forward and
// Publish is set.
type Destination struct {
	Forward *Forward `json:"forward,omitempty"`
	Publish *Publish `json:"publish,omitempty"`
}

// Forward sends the request's body, with its content type, to a URL
// through the delivery engine (retries, SSRF guard), signed with hookd's
// own Standard Webhooks signature.
type Forward struct {
	// Name identifies the destination within its source: deliveries in
	// flight follow the destination of the same name when the source
	// changes. 1–64 letters, digits, '.', '_' and '-', starting with a
	// letter. Default: derived from URL, so that reordering destinations
	// changes nothing and a forward whose URL changed is a new one.
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
	// Headers lists the original headers passed on.
	Headers []string `json:"headers,omitempty"`
	// Secret ("whsec_…") signs the forwarded requests. Required.
	Secret string `json:"secret"`
	// AllowPrivate lets the forward reach private addresses (an internal
	// service). Default false.
	AllowPrivate  bool             `json:"allow_private,omitempty"`
	Timeout       hookd.Duration   `json:"timeout,omitempty"`
	RetrySchedule []hookd.Duration `json:"retry_schedule,omitempty"`
}

// Publish republishes the request's JSON body as an outbound event.
type Publish struct {
	// Tenant of the event. Default "default".
	Tenant string `json:"tenant,omitempty"`
	// Type of the event: a name, or {"cel": "<expression>"} that yields
	// one from the request.
	Type TypeSpec `json:"type"`
	// Data is what the event's data is: "body" (the JSON body, or a form
	// as an object) or "message" (the whole message: {"body", "args",
	// "headers", "user"}; see Message.MarshalJSON). Default "body".
	Data string `json:"data,omitempty"`
}

// TypeSpec is an event type: a literal name, or a CEL expression.
type TypeSpec struct {
	Name string
	CEL  string
}

// MarshalJSON implements json.Marshaler.
func (t TypeSpec) MarshalJSON() ([]byte, error) {
	if t.CEL != "" {
		return json.Marshal(map[string]string{"cel": t.CEL})
	}
	return json.Marshal(t.Name)
}

// UnmarshalJSON accepts "name" or {"cel": "expression"}.
func (t *TypeSpec) UnmarshalJSON(b []byte) error {
	*t = TypeSpec{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Name)
	}
	var obj struct {
		CEL *string `json:"cel"`
	}
	if err := strictUnmarshal(b, &obj); err != nil || obj.CEL == nil {
		return fmt.Errorf(`must be an event type name or {"cel": "<expression>"}`)
	}
	t.CEL = *obj.CEL
	return nil
}

// ParseSpec decodes a spec strictly: an unknown member or a value of the
// wrong type is an EINVALID *hookd.Error whose fields point at it. It does
// not check the values; New does.
func ParseSpec(b []byte) (*Spec, error) {
	spec, fe := parseSpec(b)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// parseSpec decodes what it can: the spec (nil when a value has the wrong
// type) and every member that breaks the shape.
func parseSpec(b []byte) (*Spec, fieldErrors) {
	var s Spec
	if len(b) == 0 {
		return &s, nil
	}
	var fe fieldErrors
	checkShape(b, specType, "", &fe)
	if err := json.Unmarshal(b, &s); err != nil {
		if len(fe) == 0 {
			fe.add("", "%v", err)
		}
		return nil, fe
	}
	return &s, fe
}
