package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/store/sqlite"
)

// catalogYAML declares two event types, one with its schema in a file.
const catalogYAML = `api_key: test-key-0123456789
strict_event_types: true
event_types:
  - name: invoice.paid
    description: An invoice was paid.
    group: billing
    schema:
      type: object
      required: [amount]
      properties:
        amount: {type: integer, minimum: 1}
    examples:
      - {amount: 42}
  - name: user.created
    method: PUT
    deprecated: true
    schema: schemas/user.json
  - name: user.deleted
    schema: schemas/user-deleted.yaml
`

func writeCatalogConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "schemas"), 0o755); err != nil {
		t.Fatal(err)
	}
	user := `{"type":"object","properties":{"email":{"type":"string","format":"email"}}}`
	if err := os.WriteFile(filepath.Join(dir, "schemas", "user.json"), []byte(user), 0o600); err != nil {
		t.Fatal(err)
	}
	deleted := "type: object\nrequired: [id]\nproperties:\n  id: {type: string, description: The user's id.}\n"
	if err := os.WriteFile(filepath.Join(dir, "schemas", "user-deleted.yaml"), []byte(deleted), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigEventTypes(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(config.LoadOptions{Path: writeCatalogConfig(t, catalogYAML)})
	if err != nil {
		t.Fatal(err)
	}
	types, err := configEventTypes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != 3 || !strings.Contains(string(types[2].Schema), "The user's id.") {
		t.Fatalf("the YAML schema file: types = %+v", types)
	}
	if types[0].Group != "billing" || string(types[0].Examples[0]) != `{"amount":42}` ||
		types[1].Method() != "PUT" || !types[1].Deprecated || !strings.Contains(string(types[1].Schema), "email") {
		t.Fatalf("types = %+v", types)
	}
}

// Mistakes are reported with the YAML line of the value at fault.
func TestConfigEventTypesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, items, want string }{
		{"bad schema", "  - name: a.b\n    schema:\n      type: strin\n", "hookd.yaml:4: event_types[0]/schema/type: not a valid JSON Schema"},
		{"outside ref", "  - name: a.b\n    schema: {$ref: 'https://example.com/s.json'}\n", "hookd.yaml:3: event_types[0]/schema: $ref"},
		{"example", "  - name: a.b\n    schema: {type: object, required: [n]}\n    examples:\n      - {m: 1}\n",
			"hookd.yaml:5: event_types[0]/examples/0/n: is required"},
		{"unknown key", "  - name: a.b\n    colour: red\n", "hookd.yaml:3: event_types[0]/colour: unknown key"},
		{"wrong type", "  - name: a.b\n    deprecated: maybe\n", "hookd.yaml:3: event_types[0]/deprecated: must be true or false"},
		{"bad name", "  - name: 'a b'\n", "hookd.yaml:2: event_types[0]/name: must be a dotted name"},
		{"no name", "  - description: x\n", "event_types[0]/name: is required"},
		{"method", "  - name: a.b\n    method: FETCH\n", "hookd.yaml:3: event_types[0]/method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, TRACE"},
		{"methods", "  - name: a.b\n    methods: [GET, FETCH]\n", "hookd.yaml:3: event_types[0]/methods/1: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, TRACE"},
		{"missing file", "  - name: a.b\n    schema: nope.json\n", "hookd.yaml:3: event_types[0]/schema: read schema file"},
		{"twice", "  - name: a.b\n  - name: a.b\n", "hookd.yaml:3: event_types[1]/name: event type \"a.b\" is declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(config.LoadOptions{Path: writeCatalogConfig(t, "event_types:\n"+tc.items)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = configEventTypes(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestOpenAPICommand(t *testing.T) {
	t.Parallel()
	path := writeCatalogConfig(t, catalogYAML)
	code, out, errOut := runInProcess(t, nil, "openapi", "--config", path)
	if code != 0 {
		t.Fatalf("hookd openapi: exit %d: %s", code, errOut)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi: %v", err)
	}
	if doc.Webhooks["invoice.paid"] == nil || doc.Webhooks["user.created"].Put == nil {
		t.Errorf("webhooks = %v", doc.Webhooks)
	}
	code, _, errOut = runInProcess(t, nil, "openapi", "--config",
		writeCatalogConfig(t, "event_types:\n  - name: a.b\n    schema: {type: 3}\n"))
	if code == 0 || !strings.Contains(errOut, "hookd.yaml:3") {
		t.Errorf("a bad schema: exit %d, %s", code, errOut)
	}
}

// hookd openapi --db adds the event types stored in the database (made
// through the API) to those of the configuration.
func TestOpenAPICommandWithDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")
	st, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.PutEventType(t.Context(), &hookd.EventType{Name: "order.shipped", Description: "made through the API",
		Schema: json.RawMessage(`{"type":"object"}`)})
	if cerr := st.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	code, out, errOut := runInProcess(t, nil, "openapi", "--config", writeCatalogConfig(t, catalogYAML), "--db", "sqlite:"+db)
	if code != 0 {
		t.Fatalf("hookd openapi --db: exit %d: %s", code, errOut)
	}
	var doc struct {
		Webhooks map[string]json.RawMessage `json:"webhooks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"invoice.paid", "user.created", "user.deleted", "order.shipped"} {
		if doc.Webhooks[name] == nil {
			t.Errorf("webhooks lack %s: %d entries", name, len(doc.Webhooks))
		}
	}
	code, _, errOut = runInProcess(t, nil, "openapi", "--db", "mysql://x")
	if code == 0 || !strings.Contains(errOut, "db") {
		t.Errorf("an unsupported --db: exit %d, %s", code, errOut)
	}
}

// The real server validates publishes against the configured catalog,
// refuses undeclared types in strict mode, and serves /openapi.json and
// /docs without the key.
func TestServeCatalog(t *testing.T) {
	t.Parallel()
	path := writeCatalogConfig(t, catalogYAML)
	p, base := serveHookd(t, startOptions{Dir: filepath.Dir(path)})
	defer p.stop()
	client := httpapi.NewClient(base, "test-key-0123456789")
	ctx := context.Background()
	if _, _, err := client.PutTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	_, err := client.Publish(ctx, "acme", "invoice.paid", map[string]int{"amount": 0})
	var prob *httpapi.Problem
	if !asProblem(err, &prob) || prob.Status != 422 || len(prob.Errors) != 1 || prob.Errors[0].Pointer != "/data/amount" {
		t.Fatalf("invalid publish: %v", err)
	}
	if _, err := client.Publish(ctx, "acme", "invoice.paid", map[string]int{"amount": 3}); err != nil {
		t.Fatalf("valid publish: %v", err)
	}
	_, err = client.Publish(ctx, "acme", "not.declared", map[string]int{})
	if !asProblem(err, &prob) || prob.Status != 422 || prob.Errors[0].Pointer != "/type" {
		t.Fatalf("undeclared type in strict mode: %v", err)
	}

	resp, body := httpGet(t, base+"/openapi.json")
	var doc struct {
		Webhooks map[string]json.RawMessage `json:"webhooks"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Webhooks) != 3 {
		t.Fatalf("GET /openapi.json = %d %.200s", resp.StatusCode, body)
	}
	resp, body = httpGet(t, base+"/docs")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="invoice.paid"`) || !strings.Contains(body, `id="user.created"`) {
		t.Fatalf("GET /docs = %d %.300s", resp.StatusCode, body)
	}
	// Every operational route the document describes is served.
	for _, r := range httpapi.OpsRoutes() {
		resp, _ := httpGet(t, base+strings.TrimPrefix(r, "GET "))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d", r, resp.StatusCode)
		}
	}
}

// asProblem reports whether err is a *httpapi.Problem, setting *p.
func asProblem(err error, p **httpapi.Problem) bool { return errors.As(err, p) }

// The event catalog page's example is a valid configuration.
func TestREADMECatalogExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, section, ok := strings.Cut(readme, "# Event catalog")
	start := strings.Index(section, "```yaml\n")
	if !ok || start < 0 {
		t.Fatal("docs/catalog.md has no event catalog example")
	}
	example := section[start+len("```yaml\n"):]
	example = example[:strings.Index(example, "```")]
	cfg, err := config.Load(config.LoadOptions{Path: writeCatalogConfig(t, example)})
	if err != nil {
		t.Fatal(err)
	}
	types, err := configEventTypes(cfg)
	if err != nil || len(types) != 2 {
		t.Fatalf("docs/catalog.md example: %d types, %v", len(types), err)
	}
}
