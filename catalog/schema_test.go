package catalog

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookd/hookd"
)

func TestCompileSchemaRefusesOutsideRefs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"type":"string"}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(file, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, schema string }{
		{"network", `{"$ref":"` + srv.URL + `/s.json"}`},
		{"file URL", `{"properties":{"a":{"$ref":"file://` + file + `"}}}`},
		{"relative", `{"$ref":"other.json"}`},
		{"absolute path", `{"$ref":"` + file + `"}`},
		{"metaschema elsewhere", `{"$schema":"` + srv.URL + `/meta"}`},
		{"id elsewhere", `{"$id":"` + srv.URL + `/x.json","$ref":"y.json"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileSchema(json.RawMessage(tc.schema))
			if hookd.ErrorCode(err) != hookd.EMALFORMED {
				t.Fatalf("err = %v, want EMALFORMED", err)
			}
			if fs := hookd.ErrorFields(err); len(fs) == 0 || fs[0].Message == "" {
				t.Fatalf("no field error: %v", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the compiler fetched a URL %d times", n)
	}
}

func TestCompileSchemaErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, schema, pointer, msg string }{
		{"not an object", `"x"`, "/schema", "must be a JSON Schema"},
		{"bad type", `{"properties":{"a":{"type":"strin"}}}`, "/schema/properties/a/type", "not a valid JSON Schema"},
		{"bad regex", `{"pattern":"("}`, "/schema/pattern", "not valid regex"},
		{"missing def", `{"$ref":"#/$defs/nope"}`, "/schema", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := CheckEventType(&hookd.EventType{Name: "a.b", Schema: json.RawMessage(tc.schema)})
			if hookd.ErrorCode(err) != hookd.EMALFORMED {
				t.Fatalf("err = %v, want EMALFORMED", err)
			}
			fs := hookd.ErrorFields(err)
			if len(fs) == 0 || fs[0].Pointer != tc.pointer || !strings.Contains(fs[0].Message, tc.msg) {
				t.Fatalf("fields = %+v, want %s: …%s…", fs, tc.pointer, tc.msg)
			}
		})
	}
}

func TestValidateViolations(t *testing.T) {
	t.Parallel()
	s, err := CompileSchema(json.RawMessage(`{
		"type":"object",
		"required":["amount","currency","id"],
		"additionalProperties":false,
		"properties":{
			"id":{"type":"string"},
			"amount":{"type":"integer","minimum":0},
			"currency":{"enum":["EUR","USD"]},
			"at":{"type":"string","format":"date-time"},
			"lines":{"type":"array","items":{"type":"object","required":["sku"]}}
		}}`))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate([]byte(`{"amount":-1,"currency":"GBP","at":"yesterday","lines":[{},{"sku":1}],"x/y":1}`), "/data")
	if hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, f := range hookd.ErrorFields(err) {
		got = append(got, f.Pointer)
	}
	want := []string{"/data/amount", "/data/at", "/data/currency", "/data/id", "/data/lines/0/sku", "/data/x~1y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pointers = %q, want %q (%+v)", got, want, hookd.ErrorFields(err))
	}
	if err := s.Validate([]byte(`{"id":"a","amount":1,"currency":"EUR","lines":[{"sku":"x"}]}`), "/data"); err != nil {
		t.Errorf("valid data: %v", err)
	}
}

func TestCheckEventTypeExamples(t *testing.T) {
	t.Parallel()
	et := &hookd.EventType{Name: "a.b", Schema: json.RawMessage(`{"type":"object","required":["n"]}`),
		Examples: []json.RawMessage{json.RawMessage(`{"n":1}`), json.RawMessage(`{}`)}}
	_, err := CheckEventType(et)
	fs := hookd.ErrorFields(err)
	if hookd.ErrorCode(err) != hookd.EINVALID || len(fs) != 1 || fs[0].Pointer != "/examples/1/n" {
		t.Fatalf("err = %v %+v", err, fs)
	}
	if _, err := CheckEventType(&hookd.EventType{Name: "bad name!"}); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("bad name: %v", err)
	}
	s, err := CheckEventType(&hookd.EventType{Name: "no.schema"})
	if s != nil || err != nil {
		t.Fatalf("no schema: %v %v", s, err)
	}
}
