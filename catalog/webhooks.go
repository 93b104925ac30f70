package catalog

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog/openapi"
)

// ExampleTime returns the timestamp of the example deliveries in the
// documentation, fixed so that documents are reproducible.
func ExampleTime() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// ExampleEventID is the webhook-id of the example deliveries.
const ExampleEventID = "evt_2zJ8Y9x1bQm4cT7vN3kP0aWdLe"

// DataSchemaName names the component schema of an event type's data:
// its name with ".data" appended, which no Go type name (the REST API's
// schemas) can collide with.
func DataSchemaName(eventType string) string { return eventType + ".data" }

// OpenAPI renders the OpenAPI 3.1 document of the catalog's webhooks on
// its own: a document with no paths, one webhook per event type, for an
// application that sends webhooks (through hookd or not) to document
// them. A store-backed catalog is rendered as last loaded.
func (c *Catalog) OpenAPI(info openapi.Info) ([]byte, error) {
	doc := openapi.New(info)
	if err := c.AddWebhooks(doc); err != nil {
		return nil, err
	}
	return doc.JSON()
}

// AddWebhooks adds the catalog's event types to doc's webhooks section.
// A store-backed catalog is rendered as last loaded (EventTypes reloads
// a stale one).
func (c *Catalog) AddWebhooks(doc *openapi.Document) error {
	var types []*hookd.EventType
	if c != nil {
		s := c.snap.Load()
		for _, n := range s.names {
			types = append(types, s.types[n].t)
		}
	}
	return AddWebhooks(doc, types)
}

// AddWebhooks adds one webhook per event type to doc, keyed by the type's
// name: its method; a requestBody whose schema is the delivery envelope
// (type, timestamp, and data, the type's schema, as a component named by
// DataSchemaName); the webhook-id, webhook-timestamp and
// webhook-signature headers; the type's examples as whole envelopes;
// its group as a tag; and deprecated.
func AddWebhooks(doc *openapi.Document, types []*hookd.EventType) error {
	return AddWebhooksShaped(doc, types, hookd.PayloadSpec{})
}

// AddWebhooksShaped is AddWebhooks for deliveries whose body is payload
// (the delivery.payload setting): the envelope, the data alone, or a
// template, whose shape becomes each webhook's request body (event.data
// has the type's schema; ids and timestamps are strings) and through
// which the examples are rendered.
func AddWebhooksShaped(doc *openapi.Document, types []*hookd.EventType, payload hookd.PayloadSpec) error {
	if doc.Webhooks == nil {
		doc.Webhooks = map[string]*openapi.PathItem{}
	}
	addWebhookComponents(doc)
	groups := map[string]bool{}
	for _, t := range doc.Tags {
		groups[t.Name] = true
	}
	for _, t := range types {
		op, err := webhookOperation(doc, t, payload)
		if err != nil {
			return err
		}
		item := &openapi.PathItem{}
		for _, m := range methodsOf(t) {
			mop := *op
			if m != t.Method() {
				mop.OperationID = op.OperationID + "." + strings.ToLower(m)
			}
			if !hookd.MethodHasBody(m) {
				mop.RequestBody = nil
				mop.Description = strings.TrimSpace(op.Description + "\n\n" + m +
					" deliveries carry no body; the signature covers the empty body.")
			}
			item.Set(m, &mop)
		}
		doc.Webhooks[t.Name] = item
		if t.Group != "" && !groups[t.Group] {
			groups[t.Group] = true
			doc.Tags = append(doc.Tags, openapi.Tag{Name: t.Group})
		}
	}
	return nil
}

// methodsOf returns the methods deliveries of t may use, the default first.
func methodsOf(t *hookd.EventType) []string {
	if len(t.Methods) == 0 {
		return []string{http.MethodPost}
	}
	return t.Methods
}

// webhookOperation describes the request hookd sends for type t.
func webhookOperation(doc *openapi.Document, t *hookd.EventType, payload hookd.PayloadSpec) (*openapi.Operation, error) {
	data := json.RawMessage(`{"description":"Any JSON value: the event type declares no schema."}`)
	if len(t.Schema) > 0 {
		name := DataSchemaName(t.Name)
		s, err := relocate(t.Schema, "#/components/schemas/"+name)
		if err != nil {
			return nil, fmt.Errorf("event type %s: schema: %w", t.Name, err)
		}
		data = doc.Schema(name, s)
	}
	envelope, err := bodySchema(t.Name, data, payload)
	if err != nil {
		return nil, err
	}
	media := &openapi.MediaType{Schema: envelope}
	for i, ex := range t.Examples {
		body, err := ExampleBody(t.Name, ex, payload)
		if err != nil {
			return nil, fmt.Errorf("event type %s: example %d: %w", t.Name, i, err)
		}
		if media.Examples == nil {
			media.Examples = map[string]*openapi.Example{}
		}
		media.Examples["example-"+strconv.Itoa(i+1)] = &openapi.Example{Value: body}
	}
	op := &openapi.Operation{
		Summary:     t.Name,
		Description: t.Description,
		OperationID: "webhook." + t.Name, // unique: names are, and no API operation has a dot
		Parameters: []*openapi.Parameter{
			{Ref: "#/components/parameters/webhook-id"},
			{Ref: "#/components/parameters/webhook-timestamp"},
			{Ref: "#/components/parameters/webhook-signature"},
		},
		RequestBody: &openapi.RequestBody{
			Required:    true,
			Description: bodyDescription(payload),
			Content:     map[string]*openapi.MediaType{"application/json": media},
		},
		Responses:  map[string]*openapi.Response{"2XX": {Ref: "#/components/responses/webhook-accepted"}, "410": {Ref: "#/components/responses/webhook-gone"}, "default": {Ref: "#/components/responses/webhook-failed"}},
		Deprecated: t.Deprecated,
	}
	if t.Group != "" {
		op.Tags = []string{t.Group}
	}
	return op, nil
}

// bodyDescription says what the request body is under payload.
func bodyDescription(payload hookd.PayloadSpec) string {
	switch payload.Kind {
	case hookd.PayloadRaw:
		return "The event's `data`, as JSON. An endpoint set to `payload: envelope` receives `{type, timestamp, data}`."
	case hookd.PayloadTemplate:
		return "The event in this server's format (its payload template). An endpoint may set its own payload."
	}
	return "The event, as JSON: `type`, `timestamp` and `data`. " +
		"An endpoint set to `payload: raw` receives `data` alone."
}

// envelopeSchema is the schema of the body of a delivery of typ.
func envelopeSchema(typ string, data json.RawMessage) (json.RawMessage, error) {
	name, _ := json.Marshal(typ) // a string always marshals
	s := `{"type":"object","required":["type","timestamp","data"],"properties":{` +
		`"type":{"type":"string","const":` + string(name) + `,"description":"The event type."},` +
		`"timestamp":{"type":"string","format":"date-time","description":"When the event was published: RFC 3339, UTC, milliseconds. The same on every attempt."},` +
		`"data":` + string(data) + `}}`
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("event type %s: data schema is not JSON", typ)
	}
	return json.RawMessage(s), nil
}

// ExamplePayload renders the body of a delivery of typ with data, as
// hookd sends it (compact, keys in order), at ExampleTime().
func ExamplePayload(typ string, data json.RawMessage) (json.RawMessage, error) {
	compact, err := hookd.CompactData(data)
	if err != nil {
		return nil, fmt.Errorf("example data: %w", err)
	}
	body, _ := hookd.RenderPayload(typ, ExampleTime(), compact)
	return body, nil
}

// addWebhookComponents adds the parameters and responses every webhook
// refers to.
func addWebhookComponents(doc *openapi.Document) {
	if doc.Components == nil {
		doc.Components = &openapi.Components{}
	}
	c := doc.Components
	if c.Parameters == nil {
		c.Parameters = map[string]*openapi.Parameter{}
	}
	str := func(extra string) json.RawMessage { return json.RawMessage(`{"type":"string"` + extra + `}`) }
	c.Parameters["webhook-id"] = &openapi.Parameter{Name: "webhook-id", In: "header", Required: true,
		Description: "The event's id, the same on every attempt: use it to ignore repeats.",
		Schema:      str(`,"pattern":"^evt_"`), Example: json.RawMessage(strconv.Quote(ExampleEventID))}
	c.Parameters["webhook-timestamp"] = &openapi.Parameter{Name: "webhook-timestamp", In: "header", Required: true,
		Description: "When this attempt was sent, in Unix seconds. Refuse requests too far from your clock.",
		Schema:      str(`,"pattern":"^[0-9]+$"`), Example: json.RawMessage(`"` + strconv.FormatInt(ExampleTime().Unix(), 10) + `"`)}
	c.Parameters["webhook-signature"] = &openapi.Parameter{Name: "webhook-signature", In: "header", Required: true,
		Description: "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<webhook-id>.<webhook-timestamp>.<body>`, " +
			"one per active secret, keyed with the base64-decoded part of the endpoint's secret after `whsec_` " +
			"(Standard Webhooks). An endpoint set to the `hmac-sha256` scheme gets its own header instead.",
		Schema: str(`,"pattern":"^v1,"`), Example: json.RawMessage(`"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="`)}
	if c.Responses == nil {
		c.Responses = map[string]*openapi.Response{}
	}
	c.Responses["webhook-accepted"] = &openapi.Response{Description: "Any 2xx status acknowledges the delivery; the body is ignored."}
	c.Responses["webhook-gone"] = &openapi.Response{Description: "410 Gone disables the endpoint: no more deliveries are sent to it."}
	c.Responses["webhook-failed"] = &openapi.Response{Description: "Any other status, or no answer within the endpoint's timeout, " +
		"fails the attempt: hookd retries it on its schedule, honouring Retry-After on 429 and 503."}
}
