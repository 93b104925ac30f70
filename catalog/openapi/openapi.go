// Package openapi is the subset of the OpenAPI 3.1 document model that
// hookd writes: the REST API's paths and the webhooks of an event
// catalog. Its types marshal to JSON in a stable order (struct fields in
// the specification's order, map keys sorted), so a document can be
// compared with a golden file. Schemas are JSON Schema 2020-12 documents
// kept as raw JSON.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Version is the OpenAPI version of the documents written here.
const Version = "3.1.0"

// Dialect is the JSON Schema dialect of every schema in the documents.
const Dialect = "https://spec.openapis.org/oas/3.1/dialect/base"

// Document is an OpenAPI document.
type Document struct {
	OpenAPI           string                `json:"openapi"`
	Info              Info                  `json:"info"`
	JSONSchemaDialect string                `json:"jsonSchemaDialect,omitempty"`
	Servers           []Server              `json:"servers,omitempty"`
	Paths             map[string]*PathItem  `json:"paths,omitempty"`
	Webhooks          map[string]*PathItem  `json:"webhooks,omitempty"`
	Components        *Components           `json:"components,omitempty"`
	Security          []SecurityRequirement `json:"security,omitempty"`
	Tags              []Tag                 `json:"tags,omitempty"`
}

// New returns an empty document with info.
func New(info Info) *Document {
	return &Document{OpenAPI: Version, Info: info, JSONSchemaDialect: Dialect}
}

// Info describes the API.
type Info struct {
	Title       string `json:"title"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

// Server is a base URL of the API.
type Server struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

// Tag groups operations.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// PathItem holds the operations of one path (or one webhook), by method.
type PathItem struct {
	Summary     string     `json:"summary,omitempty"`
	Description string     `json:"description,omitempty"`
	Get         *Operation `json:"get,omitempty"`
	Put         *Operation `json:"put,omitempty"`
	Post        *Operation `json:"post,omitempty"`
	Delete      *Operation `json:"delete,omitempty"`
	Patch       *Operation `json:"patch,omitempty"`
	Head        *Operation `json:"head,omitempty"`
	Options     *Operation `json:"options,omitempty"`
	Trace       *Operation `json:"trace,omitempty"`
}

// Set puts op under method (GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS
// or TRACE) and reports whether the method is one of those.
func (p *PathItem) Set(method string, op *Operation) bool {
	switch method {
	case "GET":
		p.Get = op
	case "PUT":
		p.Put = op
	case "POST":
		p.Post = op
	case "DELETE":
		p.Delete = op
	case "PATCH":
		p.Patch = op
	case "HEAD":
		p.Head = op
	case "OPTIONS":
		p.Options = op
	case "TRACE":
		p.Trace = op
	default:
		return false
	}
	return true
}

// Operations returns the item's operations by method.
func (p *PathItem) Operations() map[string]*Operation {
	out := map[string]*Operation{}
	for m, op := range map[string]*Operation{"GET": p.Get, "PUT": p.Put, "POST": p.Post, "DELETE": p.Delete, "PATCH": p.Patch,
		"HEAD": p.Head, "OPTIONS": p.Options, "TRACE": p.Trace} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

// Operation is one API operation or one webhook request.
type Operation struct {
	Tags        []string               `json:"tags,omitempty"`
	Summary     string                 `json:"summary,omitempty"`
	Description string                 `json:"description,omitempty"`
	OperationID string                 `json:"operationId,omitempty"`
	Parameters  []*Parameter           `json:"parameters,omitempty"`
	RequestBody *RequestBody           `json:"requestBody,omitempty"`
	Responses   map[string]*Response   `json:"responses,omitempty"`
	Deprecated  bool                   `json:"deprecated,omitempty"`
	Security    *[]SecurityRequirement `json:"security,omitempty"` // &[]…{} for none
}

// Parameter is a path, query or header parameter, or a reference to one.
type Parameter struct {
	Ref         string          `json:"$ref,omitempty"`
	Name        string          `json:"name,omitempty"`
	In          string          `json:"in,omitempty"`
	Description string          `json:"description,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Deprecated  bool            `json:"deprecated,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
}

// RequestBody is an operation's body.
type RequestBody struct {
	Description string                `json:"description,omitempty"`
	Content     map[string]*MediaType `json:"content"`
	Required    bool                  `json:"required,omitempty"`
}

// Response is one answer of an operation, or a reference to one.
type Response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]*Header    `json:"headers,omitempty"`
	Content     map[string]*MediaType `json:"content,omitempty"`
}

// Header is a response header.
type Header struct {
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
}

// MediaType is the schema and examples of one content type.
type MediaType struct {
	Schema   json.RawMessage     `json:"schema,omitempty"`
	Examples map[string]*Example `json:"examples,omitempty"`
}

// Example is one example value.
type Example struct {
	Summary string          `json:"summary,omitempty"`
	Value   json.RawMessage `json:"value,omitempty"`
}

// Components holds what the document refers to by name.
type Components struct {
	Schemas         map[string]json.RawMessage `json:"schemas,omitempty"`
	Responses       map[string]*Response       `json:"responses,omitempty"`
	Parameters      map[string]*Parameter      `json:"parameters,omitempty"`
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes,omitempty"`
}

// SecurityScheme is how clients authenticate.
type SecurityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	Description  string `json:"description,omitempty"`
}

// SecurityRequirement names the schemes an operation needs.
type SecurityRequirement map[string][]string

// Schema adds a component schema and returns a reference to it.
func (d *Document) Schema(name string, schema json.RawMessage) json.RawMessage {
	if d.Components == nil {
		d.Components = &Components{}
	}
	if d.Components.Schemas == nil {
		d.Components.Schemas = map[string]json.RawMessage{}
	}
	d.Components.Schemas[name] = schema
	return Ref("#/components/schemas/" + name)
}

// Ref returns {"$ref": target}.
func Ref(target string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"$ref": target}) // a string always marshals
	return b
}

// JSON returns the document as indented JSON with a final newline,
// without escaping <, > and & (descriptions are Markdown).
func (d *Document) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode OpenAPI document: %w", err)
	}
	return b.Bytes(), nil
}
