package dashboard

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// endpointForm is the new-endpoint and edit form, as typed.
type endpointForm struct {
	ID             string // "" for a new endpoint
	URL            string
	Description    string
	EventTypes     []string // chosen from the catalog
	OtherTypes     string   // other names and wildcards, space or comma separated
	Headers        string   // "Name: value" lines
	Scheme         string
	SigHeader      string
	SigPrefix      string
	Payload        string // "" (the server's delivery.payload), envelope, raw or template
	Template       string // the template's JSON, when Payload is template
	Transform      string // JavaScript defining function handler(w)
	Filter         string // a CEL expression
	Timeout        string
	RateLimit      string
	MaxConcurrency string
	Catalog        []httpapi.EventType
}

// formOf fills the form from an endpoint, splitting its event types into
// catalog names and the rest.
func formOf(e *httpapi.Endpoint, cat []httpapi.EventType) endpointForm {
	f := endpointForm{ID: e.ID, URL: e.URL, Description: e.Description, Scheme: e.Signature.Scheme,
		SigHeader: e.Signature.Header, SigPrefix: e.Signature.Prefix, Payload: e.Payload.Kind,
		Transform: e.Transform, Filter: e.Filter, Catalog: cat}
	if e.Payload.Kind == hookd.PayloadTemplate {
		f.Template = string(e.Payload.Template)
	}
	var other []string
	for _, t := range e.EventTypes {
		if slices.ContainsFunc(cat, func(c httpapi.EventType) bool { return c.Name == t }) {
			f.EventTypes = append(f.EventTypes, t)
		} else if t != "*" {
			other = append(other, t)
		}
	}
	f.OtherTypes = strings.Join(other, " ")
	names := make([]string, 0, len(e.Headers))
	for k := range e.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		f.Headers += k + ": " + e.Headers[k] + "\n"
	}
	if e.Timeout != nil {
		f.Timeout = time.Duration(*e.Timeout).String()
	}
	if e.RateLimit > 0 {
		f.RateLimit = strconv.FormatFloat(e.RateLimit, 'f', -1, 64)
	}
	if e.MaxConcurrency > 0 {
		f.MaxConcurrency = strconv.Itoa(e.MaxConcurrency)
	}
	return f
}

// readEndpointForm reads the posted form.
func readEndpointForm(r *http.Request) endpointForm {
	return endpointForm{
		URL:            strings.TrimSpace(r.PostFormValue("url")),
		Description:    strings.TrimSpace(r.PostFormValue("description")),
		EventTypes:     r.PostForm["event_types"],
		OtherTypes:     r.PostFormValue("other_event_types"),
		Headers:        r.PostFormValue("headers"),
		Scheme:         r.PostFormValue("signature_scheme"),
		SigHeader:      strings.TrimSpace(r.PostFormValue("signature_header")),
		SigPrefix:      r.PostFormValue("signature_prefix"),
		Payload:        r.PostFormValue("payload"),
		Template:       strings.TrimSpace(r.PostFormValue("template")),
		Transform:      strings.TrimSpace(r.PostFormValue("transform")),
		Filter:         strings.TrimSpace(r.PostFormValue("filter")),
		Timeout:        strings.TrimSpace(r.PostFormValue("timeout")),
		RateLimit:      strings.TrimSpace(r.PostFormValue("rate_limit")),
		MaxConcurrency: strings.TrimSpace(r.PostFormValue("max_concurrency")),
	}
}

// input turns the form into the API's input. Malformed numbers, durations
// and header lines are EINVALID with the field named; the API checks the
// rest.
func (f endpointForm) input() (httpapi.EndpointInput, error) {
	in := httpapi.EndpointInput{URL: f.URL, Description: f.Description, Transform: f.Transform, Filter: f.Filter}
	payload, err := f.payload()
	if err != nil {
		return in, err
	}
	in.Payload = payload
	in.EventTypes = append(append([]string(nil), f.EventTypes...), strings.Fields(strings.ReplaceAll(f.OtherTypes, ",", " "))...)
	if in.Headers, err = parseHeaders(f.Headers); err != nil {
		return in, err
	}
	if f.Scheme != "" {
		in.Signature = &httpapi.Signature{Scheme: f.Scheme, Header: f.SigHeader, Prefix: f.SigPrefix}
	}
	if f.Timeout != "" {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil {
			return in, invalidField("Timeout", `must be a duration such as "30s"`)
		}
		td := hookd.Duration(d)
		in.Timeout = &td
	}
	if f.RateLimit != "" {
		if in.RateLimit, err = strconv.ParseFloat(f.RateLimit, 64); err != nil {
			return in, invalidField("Rate limit", "must be a number of requests per second")
		}
	}
	if f.MaxConcurrency != "" {
		if in.MaxConcurrency, err = strconv.Atoi(f.MaxConcurrency); err != nil {
			return in, invalidField("Max concurrency", "must be a whole number")
		}
	}
	return in, nil
}

// payload is the form's payload setting; the API checks the template's
// placeholders.
func (f endpointForm) payload() (hookd.PayloadSpec, error) {
	switch f.Payload {
	case "":
		return hookd.PayloadSpec{}, nil
	case hookd.PayloadTemplate:
		if f.Template == "" || !json.Valid([]byte(f.Template)) {
			return hookd.PayloadSpec{}, invalidField("Template", "must be a JSON value, such as {\"id\": \"{{event.id}}\"}")
		}
		return hookd.PayloadSpec{Kind: hookd.PayloadTemplate, Template: json.RawMessage(f.Template)}, nil
	}
	return hookd.PayloadSpec{Kind: f.Payload}, nil
}

// patch is the JSON Merge Patch that turns old into in: every field set,
// headers that are gone set to null.
func patchOf(old *httpapi.Endpoint, in httpapi.EndpointInput) map[string]any {
	headers := map[string]any{}
	for k := range old.Headers {
		headers[k] = nil
	}
	for k, v := range in.Headers {
		headers[k] = v
	}
	p := map[string]any{"url": in.URL, "description": in.Description, "event_types": in.EventTypes,
		"headers": headers, "payload": in.Payload, "timeout": in.Timeout,
		"rate_limit": in.RateLimit, "max_concurrency": in.MaxConcurrency,
		"transform": emptyNull(in.Transform), "filter": emptyNull(in.Filter)}
	if in.EventTypes == nil {
		p["event_types"] = []string{}
	}
	if in.Signature != nil {
		p["signature"] = in.Signature
	}
	return p
}

// emptyNull is nil (null in a merge patch: remove) for "".
func emptyNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func parseHeaders(text string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, invalidField("Custom headers", "each line must be Name: value")
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func invalidField(label, msg string) error {
	return &hookd.Error{Code: hookd.EINVALID, Message: label + " " + msg}
}
