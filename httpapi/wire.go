package httpapi

import (
	"encoding/json"
	"time"

	"github.com/hookd/hookd"
)

// The wire types below are the API's JSON, shared by the server and the
// client. The root package's records have no JSON tags on purpose: these
// types are the only contract with API callers.

// List is one page of a listing. NextCursor is nil on the last page.
type List[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// Tenant is a tenant as the API shows it.
type Tenant struct {
	ID        string          `json:"id"`
	Metadata  json.RawMessage `json:"metadata"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// TenantInput is the optional body of PUT /v1/tenants/{tenant}.
type TenantInput struct {
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// EventType is an event type as the API shows it. Methods are the HTTP
// methods its deliveries may use, Method the default (the first); "POST"
// unless the type says otherwise.
type EventType struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Group       string            `json:"group"`
	Schema      json.RawMessage   `json:"schema"`
	Examples    []json.RawMessage `json:"examples"`
	Deprecated  bool              `json:"deprecated"`
	Method      string            `json:"method"`
	Methods     []string          `json:"methods"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// EventTypeInput creates an event type; Name is required. Methods lists
// the HTTP methods deliveries may use (GET, POST, PUT, PATCH, DELETE,
// HEAD, OPTIONS, TRACE); Method is the default, put first of Methods (and
// added to them when missing). Neither: POST.
type EventTypeInput struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Group       string            `json:"group,omitempty"`
	Schema      json.RawMessage   `json:"schema,omitempty"`
	Examples    []json.RawMessage `json:"examples,omitempty"`
	Deprecated  bool              `json:"deprecated,omitempty"`
	Method      string            `json:"method,omitempty"`
	Methods     []string          `json:"methods,omitempty"`
}

// Signature says how deliveries to an endpoint are signed: Scheme is
// "standard-webhooks" (the default) or "hmac-sha256" with Header and an
// optional Prefix.
type Signature struct {
	Scheme string `json:"scheme"`
	Header string `json:"header,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// Endpoint is an endpoint as the API shows it. Secret is set only in the
// response that created the endpoint; SecretPrefix tells secrets apart.
// Timeout and RetrySchedule are null when the engine's defaults apply;
// FailingSince is null while the endpoint is healthy.
type Endpoint struct {
	ID             string            `json:"id"`
	URL            string            `json:"url"`
	Description    string            `json:"description"`
	EventTypes     []string          `json:"event_types"`
	Headers        map[string]string `json:"headers"`
	Signature      Signature         `json:"signature"`
	Payload        hookd.PayloadSpec `json:"payload"`
	Transform      string            `json:"transform"`
	Filter         string            `json:"filter"`
	Method         string            `json:"method"`
	Timeout        *hookd.Duration   `json:"timeout"`
	RateLimit      float64           `json:"rate_limit"`
	MaxConcurrency int               `json:"max_concurrency"`
	RetrySchedule  []hookd.Duration  `json:"retry_schedule"`
	Enabled        bool              `json:"enabled"`
	DisabledReason string            `json:"disabled_reason"`
	FailingSince   *time.Time        `json:"failing_since"`
	Metadata       json.RawMessage   `json:"metadata"`
	Secret         string            `json:"secret,omitempty"`
	SecretPrefix   string            `json:"secret_prefix"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// EndpointInput creates an endpoint; URL is required. Enabled defaults to
// true. Secret, when set, must be "whsec_" and the base64 of 24 to 64
// bytes for Standard Webhooks, or any 8 to 256 printable ASCII characters
// for the hmac-sha256 scheme (the key is the string's bytes); otherwise
// one is generated. Payload is "envelope", "raw" or {"template": …}
// (unset: the server's delivery.payload); Transform is JavaScript
// defining function handler(w); Filter a CEL expression; Method one of
// the event types' methods.
type EndpointInput struct {
	URL            string            `json:"url"`
	Description    string            `json:"description,omitempty"`
	EventTypes     []string          `json:"event_types,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Signature      *Signature        `json:"signature,omitempty"`
	Payload        hookd.PayloadSpec `json:"payload,omitzero"`
	Transform      string            `json:"transform,omitempty"`
	Filter         string            `json:"filter,omitempty"`
	Method         string            `json:"method,omitempty"`
	Timeout        *hookd.Duration   `json:"timeout,omitempty"`
	RateLimit      float64           `json:"rate_limit,omitempty"`
	MaxConcurrency int               `json:"max_concurrency,omitempty"`
	RetrySchedule  []hookd.Duration  `json:"retry_schedule,omitempty"`
	Enabled        *bool             `json:"enabled,omitempty"`
	Metadata       json.RawMessage   `json:"metadata,omitempty"`
	Secret         string            `json:"secret,omitempty"`
}

// RotateSecretInput is the optional body of rotate-secret: the new secret,
// generated when empty.
type RotateSecretInput struct {
	Secret string `json:"secret,omitempty"`
}

// SecretResult is the answer of rotate-secret.
type SecretResult struct {
	Secret string `json:"secret"`
}

// TransformTestInput is the optional body of POST
// …/endpoints/{id}/transform/test: Code to try (the endpoint's own
// transform when empty) and a sample Event (by default one of the
// endpoint's event types with its catalog example).
type TransformTestInput struct {
	Code  string       `json:"code,omitempty"`
	Event *SampleEvent `json:"event,omitempty"`
}

// SampleEvent is an event to try a transform on.
type SampleEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// TransformTestResult is what a transform made of the sample: the
// request it would send (Payload is null for HEAD and TRACE), or Error
// ("transform: …") with the console output.
type TransformTestResult struct {
	Payload    json.RawMessage   `json:"payload"`
	Headers    map[string]string `json:"headers"`
	Method     string            `json:"method"`
	Cancel     bool              `json:"cancel"`
	Logs       string            `json:"logs"`
	Error      *string           `json:"error"`
	DurationMS float64           `json:"duration_ms"`
}

// RecoverInput is the body of POST …/endpoints/{id}/recover.
type RecoverInput struct {
	Since *time.Time `json:"since"`
}

// Queued is the answer of recover and retry: how many deliveries were
// queued again.
type Queued struct {
	Queued int `json:"queued"`
}

// TestEventInput is the optional body of POST …/endpoints/{id}/test.
// EventType is webhook.test (the default) or a type of the catalog; Data
// is validated against the type's schema. Without Data, webhook.test
// sends hookd's test data and a catalog type its first example (or data
// made from its schema).
type TestEventInput struct {
	EventType string          `json:"event_type,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// RetryEventInput is the optional body of POST …/events/{id}/retry.
// EndpointID narrows the retry to the event's delivery to that endpoint;
// IncludeSucceeded sends succeeded deliveries again too. Cancelled ones
// are never sent: their endpoint's transform refused them.
type RetryEventInput struct {
	EndpointID       string `json:"endpoint_id,omitempty"`
	IncludeSucceeded bool   `json:"include_succeeded,omitempty"`
}

// PublishInput is the body of POST /v1/tenants/{tenant}/events. ID is the
// producer's idempotency key (kept 24 h); the event's own id is hookd's.
type PublishInput struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	ID   string          `json:"id,omitempty"`
}

// PublishBatchInput is the body of POST /v1/tenants/{tenant}/events/batch:
// 1 to 1000 events, each as the body of a single publish.
type PublishBatchInput struct {
	Events []PublishInput `json:"events" description:"1 to 1000 events, each like the body of a single publish; id is its idempotency key"`
}

// Statuses of a PublishedEvent.
const (
	PublishCreated   = "created"   // stored by this request
	PublishDuplicate = "duplicate" // its id (idempotency key) was seen: the first event's id
)

// PublishedEvent is one event of a batch publish's answer: the event's id
// and whether this request stored it or found it stored already.
type PublishedEvent struct {
	ID     string `json:"id"`
	Status string `json:"status" enum:"created,duplicate"`
}

// PublishBatchResult answers a batch publish: one entry per event, in the
// order of the request.
type PublishBatchResult struct {
	Events []PublishedEvent `json:"events"`
}

// Event is an event as the API shows it.
type Event struct {
	ID        string          `json:"id"`
	Tenant    string          `json:"tenant"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// EventDetail is an event with its deliveries, each with its attempts: the
// answer of GET …/events/{id}. It lists up to 1000 deliveries and 1000
// attempts.
type EventDetail struct {
	Event
	// Payload is the body stored with the event, as text: what each
	// delivery sends unless it has a request of its own (Delivery.Request).
	Payload string `json:"payload"`
	// ContentType is the Content-Type deliveries send the payload with.
	ContentType string     `json:"content_type"`
	Deliveries  []Delivery `json:"deliveries"`
}

// Delivery is one event for one endpoint. AttemptCount is the number of
// attempts made; Attempts lists them, newest first. NextAttemptAt is null
// once the delivery has ended, LastAttemptAt before the first attempt.
type Delivery struct {
	ID            string         `json:"id"`
	EventID       string         `json:"event_id"`
	EndpointID    string         `json:"endpoint_id"`
	Status        DeliveryStatus `json:"status"`
	AttemptCount  int            `json:"attempt_count"`
	Attempts      []Attempt      `json:"attempts"`
	NextAttemptAt *time.Time     `json:"next_attempt_at"`
	LastAttemptAt *time.Time     `json:"last_attempt_at"`
	CreatedAt     time.Time      `json:"created_at"`
	// Request is what the delivery sends when it is not its event's
	// payload (a template's or a transform's rendering, or the data alone);
	// null otherwise.
	Request *DeliveryRequest `json:"request"`
}

// DeliveryRequest is a delivery's own request, stored with it so that
// every attempt sends the same. Body is null when the delivery sends its
// event's data alone (a raw endpoint), except on GET of one event, which
// shows that data as Body; Method is "" for the endpoint's or
// the event type's; Transformed says the endpoint's transform made it.
type DeliveryRequest struct {
	Body        json.RawMessage   `json:"body"`
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	Transformed bool              `json:"transformed"`
}

// DeliveryStatus is a delivery's state: pending, failed (a retry is
// scheduled), succeeded, dead or cancelled. hookd.DeliveryStates lists them all with
// their meaning; the OpenAPI document shows them as an enum.
type DeliveryStatus string

// Attempt is one HTTP try of a delivery. ResponseStatus is 0 and Error set
// when no response was read; ResponseBody holds its first 4 KiB.
type Attempt struct {
	ID             string            `json:"id"`
	DeliveryID     string            `json:"delivery_id"`
	EventID        string            `json:"event_id"`
	EndpointID     string            `json:"endpoint_id"`
	Number         int               `json:"number"`
	StartedAt      time.Time         `json:"started_at"`
	LatencyMS      float64           `json:"latency_ms"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	ResponseStatus int               `json:"response_status"`
	ResponseBody   string            `json:"response_body"`
	Error          string            `json:"error"`
	// Logs is the console output of the endpoint's transform, when it ran
	// before this attempt.
	Logs string `json:"logs"`
}

// Request is one inbound request of a source's log.
type Request struct {
	ID          string            `json:"id"`
	SourceID    string            `json:"source_id"`
	ReceivedAt  time.Time         `json:"received_at"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       string            `json:"query"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	RemoteIP    string            `json:"remote_ip"`
	Status      int               `json:"status"`
	Accepted    bool              `json:"accepted"`
	Code        string            `json:"code,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Verified    string            `json:"verified,omitempty"`
	DedupeKey   string            `json:"dedupe_key,omitempty"`
	DuplicateOf string            `json:"duplicate_of,omitempty"`
	// User is what the source's authenticator said of the caller.
	User json.RawMessage `json:"user,omitempty"`
}

// optTime returns a pointer to t, nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
