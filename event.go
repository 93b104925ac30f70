package hookd

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EventType is a named kind of event, such as "invoice.paid".
type EventType struct {
	Name        string
	Description string
	Group       string
	Schema      json.RawMessage   // JSON Schema 2020-12 for the event's data, or nil
	Examples    []json.RawMessage // example data values
	Deprecated  bool
	// Methods are the HTTP methods deliveries of the type may use; the
	// first is the default. Empty means POST.
	Methods   []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

var eventTypePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// MaxEventTypeLen bounds the length of an event type name.
const MaxEventTypeLen = 128

// ValidEventTypeName reports whether name is a dotted event type name such
// as "invoice.paid": segments of letters, digits, "_" and "-".
func ValidEventTypeName(name string) bool {
	return len(name) <= MaxEventTypeLen && eventTypePattern.MatchString(name)
}

// Validate checks the event type's own fields. Whether Schema is a valid
// JSON Schema is checked by the catalog, which compiles it.
func (t *EventType) Validate() error {
	var fe fieldErrors
	if !ValidEventTypeName(t.Name) {
		fe.add("/name", "must be a dotted name such as invoice.paid (letters, digits, _ and -)")
	}
	if len(t.Schema) > 0 && !json.Valid(t.Schema) {
		fe.add("/schema", "must be a JSON Schema")
	}
	for i, ex := range t.Examples {
		if !json.Valid(ex) {
			fe.add("/examples/"+strconv.Itoa(i), "must be JSON")
		}
	}
	seen := map[string]bool{}
	for i, m := range t.Methods {
		if !ValidMethod(m) {
			fe.add("/methods/"+strconv.Itoa(i), "must be one of %s", strings.Join(Methods(), ", "))
		} else if seen[m] {
			fe.add("/methods/"+strconv.Itoa(i), "is listed twice")
		}
		seen[m] = true
	}
	return fe.err("event type")
}

// Method returns the default HTTP method of the type's deliveries.
func (t *EventType) Method() string {
	if len(t.Methods) == 0 {
		return "POST"
	}
	return t.Methods[0]
}

// AllowsMethod reports whether deliveries of the type may use m.
func (t *EventType) AllowsMethod(m string) bool {
	if len(t.Methods) == 0 {
		return m == "POST"
	}
	for _, v := range t.Methods {
		if v == m {
			return true
		}
	}
	return false
}

// Event is one published occurrence. Payload holds the exact bytes sent to
// endpoints, rendered once at publish; Data is the producer's data, a
// sub-slice of Payload.
type Event struct {
	ID        string
	TenantID  string
	Type      string
	Data      json.RawMessage
	Payload   []byte
	CreatedAt time.Time
	// IdempotencyKey is the producer's key, if one was given.
	IdempotencyKey string
	// Method is the HTTP method of its deliveries; "" means POST.
	Method string
	// ContentType of Payload; "" means application/json. Forwarded inbound
	// requests keep their own.
	ContentType string
	// Headers are sent with every delivery of the event, after the
	// endpoint's own (forwarded inbound requests carry some of theirs).
	Headers map[string]string
	// Query is the query string its deliveries add to the URL (a
	// forwarded inbound request passes its own on); "" for none.
	Query string
	// Trace is the trace the event was published in, which its
	// deliveries' attempts continue; zero when it was published untraced.
	Trace TraceContext
}

// TimestampLayout is how event timestamps are written in payloads:
// RFC 3339, UTC, milliseconds.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// RenderPayload renders the Standard Webhooks envelope
// {"type":…,"timestamp":…,"data":…} for an event whose data is already
// compact JSON, and returns it with the offset at which data starts.
// typ must be a valid event type name, which needs no JSON escaping.
func RenderPayload(typ string, createdAt time.Time, data []byte) (payload []byte, dataStart int) {
	b := make([]byte, 0, len(typ)+len(data)+64)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","timestamp":"`...)
	b = createdAt.UTC().AppendFormat(b, TimestampLayout)
	b = append(b, `","data":`...)
	dataStart = len(b)
	b = append(b, data...)
	b = append(b, '}')
	return b, dataStart
}

// CompactData validates raw as JSON and returns it compacted, without
// decoding numbers or re-ordering keys. A nil or empty raw is refused.
func CompactData(raw []byte) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil || buf.Len() == 0 {
		return nil, Invalid("invalid event", FieldError{Pointer: "/data", Message: "must be JSON"})
	}
	return buf.Bytes(), nil
}

// Delivery states.
const (
	StatusPending   = "pending"   // not yet tried, or an attempt is in flight
	StatusFailed    = "failed"    // the last attempt failed and a retry is scheduled
	StatusSucceeded = "succeeded" // an attempt got a 2xx
	StatusDead      = "dead"      // schedule exhausted, or the endpoint disabled or gone
	StatusCancelled = "cancelled" // the endpoint's transform cancelled it; nothing was sent
)

// ValidDeliveryStatus reports whether s is a delivery state.
func ValidDeliveryStatus(s string) bool {
	switch s {
	case StatusPending, StatusFailed, StatusSucceeded, StatusDead, StatusCancelled:
		return true
	}
	return false
}

// Delivery is one event for one endpoint.
type Delivery struct {
	ID            string
	EventID       string
	EndpointID    string
	TenantID      string
	Status        string
	Attempts      int       // attempts made so far
	NextAttemptAt time.Time // when the next attempt is due (pending, failed)
	LastAttemptAt time.Time // zero before the first attempt
	LeaseOwner    string    // node holding the delivery, "" when free
	LeaseUntil    time.Time // when the lease lapses
	// Shape is what is sent when it is not the event's Payload with the
	// method of the endpoint or the event: nil for that common case.
	Shape     *Shape
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Shape is a delivery's own request, stored with it so that every attempt
// sends and signs the same bytes.
type Shape struct {
	// Body is the request body; nil with DataOnly means the event's Data.
	Body     []byte
	DataOnly bool              // a raw endpoint: the event's Data is the body
	Method   string            // "" : the endpoint's or the event type's
	Headers  map[string]string // added to the endpoint's (a transform's)
	// Transformed says the endpoint's transform made this shape, so it
	// does not run again.
	Transformed bool
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	ID             string
	DeliveryID     string
	EventID        string
	EndpointID     string
	TenantID       string
	Number         int // 1 for the first attempt
	StartedAt      time.Time
	Latency        time.Duration
	URL            string
	RequestHeaders map[string]string // as sent; signatures included
	ResponseStatus int               // 0 when no response was read
	ResponseBody   []byte            // the first MaxResponseBody bytes
	Error          string            // network or policy error, "" on a response
	Logs           string            // console output of the transform, if one ran
}

// MaxResponseBody is how much of a response body an Attempt keeps.
const MaxResponseBody = 4 << 10

// Succeeded reports whether the attempt got a 2xx answer.
func (a *Attempt) Succeeded() bool { return a.ResponseStatus >= 200 && a.ResponseStatus < 300 }
