package hookd

import (
	"bytes"
	"encoding/json"
)

// PayloadTemplate is the payload form of an endpoint with a template.
const PayloadTemplate = "template"

// PayloadSpec is a payload setting as the API and the configuration write
// it: "envelope", "raw", or {"template": <JSON value>}. The zero value
// means unset: the operator's default (delivery.payload) applies.
type PayloadSpec struct {
	Kind     string          // "", PayloadEnvelope, PayloadRaw or PayloadTemplate
	Template json.RawMessage // the template, when Kind is PayloadTemplate
	bad      bool            // neither a form name nor a {"template"} object
}

// MarshalJSON writes the form's name, the template object, or null.
func (p PayloadSpec) MarshalJSON() ([]byte, error) {
	switch p.Kind {
	case "":
		return []byte("null"), nil
	case PayloadTemplate:
		var b bytes.Buffer
		b.WriteString(`{"template":`)
		b.Write(p.Template)
		b.WriteByte('}')
		return b.Bytes(), nil
	}
	return json.Marshal(p.Kind)
}

// UnmarshalJSON reads any JSON value; Validate says what is wrong with it,
// so that a bad setting is a field error (422) rather than a parse error.
func (p *PayloadSpec) UnmarshalJSON(b []byte) error {
	*p = PayloadSpec{}
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &p.Kind); err != nil {
			return err
		}
		p.bad = p.Kind == PayloadTemplate // the template form is an object
		return nil
	case len(b) > 0 && b[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		tpl, ok := m["template"]
		p.Kind, p.Template, p.bad = PayloadTemplate, tpl, !ok || len(m) != 1
		return nil
	}
	p.bad = true
	return nil
}

// UnmarshalText reads the configuration's text form: a form name, or the
// {"template": …} object as JSON.
func (p *PayloadSpec) UnmarshalText(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '{' {
		if !json.Valid(t) {
			*p = PayloadSpec{Kind: PayloadTemplate} // Validate: not valid JSON
			return nil
		}
		return p.UnmarshalJSON(t)
	}
	*p = PayloadSpec{Kind: string(t), bad: string(t) == PayloadTemplate}
	return nil
}

// Validate checks the setting; pointer locates it ("/payload"). A
// template is compiled, and each bad placeholder has its own pointer.
func (p PayloadSpec) Validate(pointer string) []FieldError {
	if p.bad {
		return []FieldError{{Pointer: pointer, Message: `must be "envelope", "raw" or {"template": <JSON value>}`}}
	}
	switch p.Kind {
	case "", PayloadEnvelope, PayloadRaw:
		return nil
	case PayloadTemplate:
		if len(p.Template) == 0 {
			return []FieldError{{Pointer: pointer + "/template", Message: "must be valid JSON"}}
		}
		_, err := ParseTemplate(p.Template, pointer+"/template")
		return ErrorFields(err)
	}
	return []FieldError{{Pointer: pointer, Message: `must be "envelope", "raw" or {"template": <JSON value>}`}}
}

// Compile returns the setting's template, nil for the other forms. The
// setting must be valid.
func (p PayloadSpec) Compile() (*Template, error) {
	if p.Kind != PayloadTemplate {
		return nil, nil
	}
	return ParseTemplate(p.Template, "/template")
}

// PayloadOf returns an endpoint's payload setting.
func PayloadOf(e *Endpoint) PayloadSpec {
	if e.Payload == PayloadTemplate {
		return PayloadSpec{Kind: PayloadTemplate, Template: e.Template}
	}
	return PayloadSpec{Kind: e.Payload}
}

// Set sets an endpoint's payload from the setting. A setting that is no
// form at all sets a payload Endpoint.Validate refuses at /payload.
func (p PayloadSpec) Set(e *Endpoint) {
	if p.bad {
		e.Payload, e.Template = "(not a payload form)", nil
		return
	}
	e.Payload, e.Template = p.Kind, nil
	if p.Kind == PayloadTemplate {
		e.Template = p.Template
	}
}

// JSONSchema describes the setting's JSON for the OpenAPI document.
func (PayloadSpec) JSONSchema() json.RawMessage {
	return json.RawMessage(`{"description":"What deliveries send: \"envelope\" ({type, timestamp, data}), \"raw\" (data alone), ` +
		`or {\"template\": <JSON value>} in which \"{{path}}\" strings are replaced. ` +
		`Unset: the server's delivery.payload.","oneOf":[{"type":"string","enum":["envelope","raw"]},` +
		`{"type":"object","required":["template"],"properties":{"template":{}},"additionalProperties":false},{"type":"null"}]}`)
}
