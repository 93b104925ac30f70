package receive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// schemaSet holds the compiled schemas of a source; nil ones validate
// nothing.
type schemaSet struct {
	body, query, headers *jsonschema.Schema
}

// noLoader refuses every URL: a user's schema may not pull $refs from the
// server's files or from the network.
type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("$ref %q: schemas may not load other documents", u)
}

func compileSchemas(s *Schemas, o Options, fe *fieldErrors) schemaSet {
	var set schemaSet
	if s == nil {
		return set
	}
	set.body = compileSchema("body", s.Body, o, fe)
	set.query = compileSchema("query", s.Query, o, fe)
	set.headers = compileSchema("headers", s.Headers, o, fe)
	return set
}

// compileSchema compiles one schema, inline (an object or a boolean) or,
// with Options.SchemaFiles, from a file.
func compileSchema(part string, raw json.RawMessage, o Options, fe *fieldErrors) *jsonschema.Schema {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	ptr := "/schema/" + part
	if raw[0] == '"' {
		var path string
		_ = json.Unmarshal(raw, &path)
		if !o.SchemaFiles {
			fe.add(ptr, "must be a JSON Schema object: file paths are read only from the configuration file")
			return nil
		}
		b, err := catalog.ReadSchemaFile(resolvePath(o.Dir, path))
		if err != nil {
			fe.add(ptr, "cannot read schema file: %v", err)
			return nil
		}
		raw = b
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		fe.add(ptr, "is not valid JSON: %v", err)
		return nil
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	c.DefaultDraft(jsonschema.Draft2020)
	loc := "hookd:///schema/" + part + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		fe.add(ptr, "%v", err)
		return nil
	}
	sch, err := c.Compile(loc)
	if err != nil {
		fe.add(ptr, "is not a valid JSON Schema: %v", err)
		return nil
	}
	return sch
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// validate checks body, query and headers against their schemas and
// reports every violation in one 400.
func (s *Source) validate(rc *reqCtx) *rejection {
	set := s.schemas
	if set.body == nil && set.query == nil && set.headers == nil {
		return nil
	}
	var fields []hookd.FieldError
	if set.body != nil {
		fields = append(fields, s.validateBody(rc)...)
	}
	if set.query != nil {
		fields = append(fields, violations(set.query, valuesMap(rc.r.URL.Query()), "/query")...)
	}
	if set.headers != nil {
		fields = append(fields, violations(set.headers, headerMap(rc.r.Header), "/headers")...)
	}
	if len(fields) == 0 {
		return nil
	}
	rej := reject(http.StatusBadRequest, hookd.EINVALID, fmt.Sprintf("the request breaks %d rule(s) of the source's schema", len(fields)))
	rej.fields = fields
	return rej
}

func (s *Source) validateBody(rc *reqCtx) []hookd.FieldError {
	if len(rc.body) > 0 && rc.parsed == nil {
		// An opaque body (a media type that is neither JSON nor a form)
		// cannot be checked: fail closed rather than let it through.
		return []hookd.FieldError{{Pointer: "/body", Message: "a body of type " + rc.mediaType + " cannot be validated against a schema"}}
	}
	return violations(s.schemas.body, rc.parsed, "/body")
}

// headerMap maps headers as schemas see them: lower-cased names, repeated
// values joined with ", ".
func headerMap(h http.Header) map[string]any {
	m := make(map[string]any, len(h))
	for k, vs := range h {
		m[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return m
}

// violations validates v and returns one field error per violation, its
// pointer under prefix (see catalog.Violations).
func violations(sch *jsonschema.Schema, v any, prefix string) []hookd.FieldError {
	if err := sch.Validate(v); err != nil {
		return catalog.Violations(err, prefix)
	}
	return nil
}
