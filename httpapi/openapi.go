package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/catalog/openapi"
)

// OpenAPI returns hookd's OpenAPI 3.1 document: the REST API (every route
// of Server.Routes and the operational routes, their parameters, request
// and response schemas, the bearer security scheme and the problem+json
// errors) and a webhooks section with one entry per event type. version
// is hookd's version, shown as the document's.
func OpenAPI(version string, types []*hookd.EventType) ([]byte, error) {
	return OpenAPIShaped(version, types, hookd.PayloadSpec{})
}

// OpenAPIShaped is OpenAPI for a server whose deliveries send payload
// (delivery.payload): the webhooks show its shape and examples.
func OpenAPIShaped(version string, types []*hookd.EventType, payload hookd.PayloadSpec) ([]byte, error) {
	doc, err := DocumentShaped(version, types, payload)
	if err != nil {
		return nil, err
	}
	return doc.JSON()
}

// Document is OpenAPI as a document model, for a caller to extend.
func Document(version string, types []*hookd.EventType) (*openapi.Document, error) {
	return DocumentShaped(version, types, hookd.PayloadSpec{})
}

// DocumentShaped is OpenAPIShaped as a document model.
func DocumentShaped(version string, types []*hookd.EventType, payload hookd.PayloadSpec) (*openapi.Document, error) {
	base, err := restDocument()
	if err != nil {
		return nil, err
	}
	doc := *base
	doc.Info.Version = version
	c := *base.Components
	c.Schemas = maps.Clone(c.Schemas)
	c.Parameters = maps.Clone(c.Parameters)
	c.Responses = maps.Clone(c.Responses)
	doc.Components = &c
	doc.Tags = append([]openapi.Tag(nil), base.Tags...)
	if err := catalog.AddWebhooksShaped(&doc, types, payload); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return &doc, nil
}

// restDocument is the REST API's part of the document, built once. It is
// shared: Document copies what it changes.
var restDocument = sync.OnceValues(buildRESTDocument)

const apiDescription = "hookd sends webhooks (publish events; hookd signs, delivers and retries them) " +
	"and receives them (sources under /in/{id}). Every error is an RFC 9457 problem+json document " +
	"with hookd's error `code`; a validation error lists each broken rule in `errors` with a JSON Pointer " +
	"into the request as sent. Listings take `limit` and `cursor` and answer `{data, next_cursor}`, " +
	"newest first unless said otherwise. `webhooks` describes the requests hookd sends for each event type."

func buildRESTDocument() (*openapi.Document, error) {
	doc := openapi.New(openapi.Info{Title: "hookd", Description: apiDescription})
	doc.Paths = map[string]*openapi.PathItem{}
	doc.Components = &openapi.Components{
		SecuritySchemes: map[string]*openapi.SecurityScheme{"bearer": {Type: "http", Scheme: "bearer",
			Description: "An API key: `Authorization: Bearer <key>`. An admin key reaches everything; a key scoped to `tenant:<id>` reaches only that tenant's routes (another tenant is 404) and reads of the event catalog (anything else is 403); a read-only key may only GET."}},
		Parameters: commonParameters(),
	}
	doc.Security = []openapi.SecurityRequirement{{"bearer": {}}}
	r := catalog.NewReflector("#/components/schemas/")
	r.Override(typeOf[hookd.Duration](), json.RawMessage(`{"type":"string","description":"A Go duration such as 30s or 5m."}`))
	r.Override(typeOf[Source](), doc.Schema("Source", sourceSchema))
	r.Override(typeOf[DeliveryStatus](), doc.Schema("DeliveryStatus", deliveryStatusSchema()))
	problem, err := r.Ref(typeOf[Problem]())
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	doc.Components.Responses = problemResponses(problem)
	seen := map[string]bool{}
	for _, op := range apiOps {
		if err := addOperation(doc, r, op); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", op.route, err)
		}
		if !seen[op.tag] {
			seen[op.tag] = true
			doc.Tags = append(doc.Tags, openapi.Tag{Name: op.tag})
		}
	}
	for _, op := range opsRoutes {
		addOpsRoute(doc, op)
	}
	doc.Tags = append(doc.Tags, openapi.Tag{Name: "operations", Description: "Served without the API key."})
	defs, err := r.Defs()
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	for name, s := range defs {
		doc.Schema(name, s)
	}
	return doc, nil
}

// sourceSchema describes Source, whose JSON is custom: its own fields and
// the members of its spec, inlined.
var sourceSchema = json.RawMessage(`{"type":"object","description":"An inbound source: its id, description and the members of its spec (verification, content types, limits, schemas, de-duplication, destinations), received at /in/{id}. Secrets are write-only: reads show each secret member (verify[].secret and secrets, verify[].hmac.secret and secrets, verify[].basic.password, verify[].token.value, destinations[].forward.secret) as <member>_prefix, its first characters; an update that leaves a secret out keeps the stored one.",` +
	`"required":["id"],"properties":{"id":{"type":"string"},"description":{"type":"string"},` +
	`"created_at":{"type":"string","format":"date-time","readOnly":true},"updated_at":{"type":"string","format":"date-time","readOnly":true}},` +
	`"additionalProperties":true}`)

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// addOperation documents one API route.
func addOperation(doc *openapi.Document, r *catalog.Reflector, op apiOp) error {
	method, path, _ := strings.Cut(op.route, " ")
	o := &openapi.Operation{Tags: []string{op.tag}, Summary: op.summary, OperationID: op.id}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		o.Parameters = append(o.Parameters, &openapi.Parameter{Name: m[1], In: "path", Required: true,
			Schema: json.RawMessage(`{"type":"string"}`)})
	}
	for _, q := range op.query {
		o.Parameters = append(o.Parameters, &openapi.Parameter{Ref: "#/components/parameters/" + q})
	}
	if method == http.MethodPost {
		o.Parameters = append(o.Parameters, &openapi.Parameter{Ref: "#/components/parameters/idempotency-key"})
	}
	if err := addRequestBody(o, r, op); err != nil {
		return err
	}
	ok, err := successResponse(r, op)
	if err != nil {
		return err
	}
	o.Responses = map[string]*openapi.Response{strconv.Itoa(op.status): ok}
	if op.alsoCreated {
		created := *ok
		created.Description = "Created."
		created.Headers = locationHeader
		o.Responses["201"] = &created
	}
	for _, code := range errorStatuses(method, op, strings.Contains(path, "{")) {
		o.Responses[code] = &openapi.Response{Ref: "#/components/responses/" + code}
	}
	o.Responses["default"] = &openapi.Response{Ref: "#/components/responses/default"}
	item := doc.Paths[path]
	if item == nil {
		item = &openapi.PathItem{}
		doc.Paths[path] = item
	}
	if !item.Set(method, o) {
		return fmt.Errorf("method %s cannot be documented", method)
	}
	return nil
}

func addRequestBody(o *openapi.Operation, r *catalog.Reflector, op apiOp) error {
	switch {
	case op.patch:
		s := json.RawMessage(`{"type":"object","description":"A JSON Merge Patch (RFC 7396) of the resource's JSON: null removes an optional member."}`)
		o.RequestBody = &openapi.RequestBody{Required: true, Content: map[string]*openapi.MediaType{
			"application/merge-patch+json": {Schema: s}, "application/json": {Schema: s}}}
	case op.body != nil:
		s, err := r.Ref(op.body)
		if err != nil {
			return err
		}
		o.RequestBody = &openapi.RequestBody{Required: !op.optionalBody,
			Content: map[string]*openapi.MediaType{"application/json": {Schema: s}}}
	}
	return nil
}

var locationHeader = map[string]*openapi.Header{"Location": {Description: "The new resource's path.",
	Schema: json.RawMessage(`{"type":"string"}`)}}

func successResponse(r *catalog.Reflector, op apiOp) (*openapi.Response, error) {
	resp := &openapi.Response{Description: http.StatusText(op.status) + "."}
	if op.status == http.StatusCreated {
		resp.Headers = locationHeader
	}
	if op.result == nil {
		return resp, nil
	}
	s, err := r.Ref(op.result)
	if err != nil {
		return nil, err
	}
	resp.Content = map[string]*openapi.MediaType{"application/json": {Schema: s}}
	return resp, nil
}

// errorStatuses lists the problem statuses an operation may answer, other
// than the default (500).
func errorStatuses(method string, op apiOp, hasPath bool) []string {
	codes := []string{"401", "403"}
	if op.body != nil || op.patch {
		codes = append(codes, "400", "413", "415")
	}
	if hasPath {
		codes = append(codes, "404")
	}
	if method == http.MethodPost || method == http.MethodPatch {
		codes = append(codes, "409")
	}
	return append(codes, "422", "503")
}

// problemResponses are the components/responses of every error status.
func problemResponses(problem json.RawMessage) map[string]*openapi.Response {
	content := map[string]*openapi.MediaType{"application/problem+json": {Schema: problem}}
	out := map[string]*openapi.Response{}
	for code, desc := range map[string]string{
		"400":     "Malformed: the body is not JSON, or a required body is missing.",
		"401":     "The API key is missing, wrong or expired.",
		"403":     "The API key may not do this: a tenant key on an admin route, or a read-only key on a write.",
		"404":     "No such resource.",
		"409":     "A conflict: the resource exists, a request with the same Idempotency-Key is still running, or the resource kept changing while this request changed it (retry).",
		"413":     "The body is larger than the limit.",
		"415":     "The body is not JSON (Content-Type).",
		"422":     "Well-formed, but breaks a rule: `errors` lists each, with a JSON Pointer.",
		"503":     "Saturated or shutting down: retry after Retry-After seconds.",
		"default": "An unexpected error; its details are in the server's logs.",
	} {
		out[code] = &openapi.Response{Description: desc, Content: content}
	}
	out["401"].Headers = map[string]*openapi.Header{"WWW-Authenticate": {Schema: json.RawMessage(`{"type":"string"}`)}}
	out["503"].Headers = map[string]*openapi.Header{"Retry-After": {Schema: json.RawMessage(`{"type":"string"}`)}}
	return out
}

// commonParameters are the query and header parameters operations share.
func commonParameters() map[string]*openapi.Parameter {
	q := func(name, desc, schema string) *openapi.Parameter {
		return &openapi.Parameter{Name: name, In: "query", Description: desc, Schema: json.RawMessage(schema)}
	}
	return map[string]*openapi.Parameter{
		"limit":          q("limit", "Items per page: 1 to 250 (above is clamped). Default 50.", `{"type":"integer","minimum":1}`),
		"cursor":         q("cursor", "The next_cursor of the previous page.", `{"type":"string"}`),
		"type":           q("type", "Only events of these types (repeatable).", `{"type":"string"}`),
		"after":          q("after", "Only events created at or after this time (RFC 3339).", `{"type":"string","format":"date-time"}`),
		"before":         q("before", "Only events created before this time (RFC 3339).", `{"type":"string","format":"date-time"}`),
		"attempt-status": q("status", "Only succeeded or failed attempts.", `{"type":"string","enum":["succeeded","failed"]}`),
		"delivery-status": q("status", "Only deliveries in these states: repeat the parameter or separate them with commas.",
			`{"type":"array","items":{"$ref":"#/components/schemas/DeliveryStatus"}}`),
		"endpoint_id": q("endpoint_id", "Only deliveries to this endpoint.", `{"type":"string"}`),
		"event_type": q("event_type", "Only deliveries of events of these types: repeat or separate with commas.",
			`{"type":"array","items":{"type":"string"}}`),
		"since":          q("since", "Only deliveries created at or after this time (RFC 3339).", `{"type":"string","format":"date-time"}`),
		"until":          q("until", "Only deliveries created before this time (RFC 3339).", `{"type":"string","format":"date-time"}`),
		"accepted":       q("accepted", "Only accepted (true) or rejected (false) requests.", `{"type":"boolean"}`),
		"request-status": q("status", "Only requests answered with this status.", `{"type":"integer","minimum":100,"maximum":599}`),
		"idempotency-key": {Name: "Idempotency-Key", In: "header",
			Description: "Makes a POST safe to retry: a repeat within 24 h with the same body answers the first result. " +
				"On publish it is the event's idempotency key (like the body's id).",
			Schema: json.RawMessage(`{"type":"string","pattern":"` + hookd.IdempotencyKeyPattern + `"}`)},
	}
}

// addOpsRoute documents an operational route, served without the key.
func addOpsRoute(doc *openapi.Document, r opsRoute) {
	method, path, _ := strings.Cut(r.route, " ")
	none := []openapi.SecurityRequirement{}
	if r.optionalKey {
		none = []openapi.SecurityRequirement{{}, {"bearer": {}}}
	}
	o := &openapi.Operation{Tags: []string{"operations"}, Summary: r.summary, OperationID: r.id, Security: &none,
		Responses: map[string]*openapi.Response{"200": {Description: "OK.",
			Content: map[string]*openapi.MediaType{r.contentType: {Schema: r.schema}}}}}
	if path == "/readyz" {
		o.Responses["503"] = &openapi.Response{Ref: "#/components/responses/503"}
	}
	item := &openapi.PathItem{}
	item.Set(method, o)
	doc.Paths[path] = item
}

// deliveryStatusSchema is the enum of delivery states, each described
// (hookd.DeliveryStates is the one list).
func deliveryStatusSchema() json.RawMessage {
	var names []string
	var desc strings.Builder
	desc.WriteString("A delivery's state:")
	opts := map[string]string{}
	for _, st := range hookd.DeliveryStates() {
		names = append(names, st.Name)
		opts[st.Name] = st.Description
		fmt.Fprintf(&desc, "\n- `%s`: %s", st.Name, st.Description)
	}
	b, _ := json.Marshal(map[string]any{"type": "string", "enum": names, "description": desc.String(),
		"x-enumDescriptions": opts})
	return b
}
