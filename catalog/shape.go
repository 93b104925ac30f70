package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

// The example values of the template paths that are not the event's.
const (
	ExampleTenantID   = "tenant_1"
	ExampleEndpointID = "ep_2zJ8YCc5tV1pW0qXn7sKm4bLoR"
)

// bodySchema is the schema of what a delivery of typ sends under payload:
// the envelope, the data alone (raw), or a template's shape. data is the
// schema of the type's data.
func bodySchema(typ string, data json.RawMessage, payload hookd.PayloadSpec) (json.RawMessage, error) {
	switch payload.Kind {
	case hookd.PayloadRaw:
		return data, nil
	case hookd.PayloadTemplate:
		dec := json.NewDecoder(bytes.NewReader(payload.Template))
		dec.UseNumber()
		var b bytes.Buffer
		if err := templateSchema(dec, &b, typ, data); err != nil {
			return nil, fmt.Errorf("payload template: %w", err)
		}
		return b.Bytes(), nil
	}
	return envelopeSchema(typ, data)
}

// templateSchema writes the schema of the template value dec reads next:
// a whole placeholder has its path's schema; text with placeholders is a
// string; every other value is itself (const).
func templateSchema(dec *json.Decoder, b *bytes.Buffer, typ string, data json.RawMessage) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return objectSchema(dec, b, typ, data)
		}
		return arraySchema(dec, b, typ, data)
	case string:
		if path, ok := hookd.PlaceholderPath(v); ok {
			b.Write(pathSchema(path, typ, data))
		} else if strings.Contains(v, "{{") {
			b.WriteString(`{"type":"string"}`)
		} else {
			c, _ := json.Marshal(v)
			b.WriteString(`{"const":` + string(c) + `}`)
		}
	default:
		c, _ := json.Marshal(v)
		b.WriteString(`{"const":` + string(c) + `}`)
	}
	return nil
}

func objectSchema(dec *json.Decoder, b *bytes.Buffer, typ string, data json.RawMessage) error {
	var keys []string
	b.WriteString(`{"type":"object","properties":{`)
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		keys = append(keys, strconv.Quote(k))
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := templateSchema(dec, b, typ, data); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	b.WriteString(`},"required":[` + strings.Join(keys, ",") + `]}`)
	return nil
}

func arraySchema(dec *json.Decoder, b *bytes.Buffer, typ string, data json.RawMessage) error {
	b.WriteString(`{"type":"array","prefixItems":[`)
	n := 0
	for ; dec.More(); n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		if err := templateSchema(dec, b, typ, data); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	fmt.Fprintf(b, `],"items":false,"minItems":%d}`, n)
	return nil
}

// pathSchema is what a placeholder renders: the data's schema for
// event.data, strings for ids, the type and the time, anything else for
// members (a missing one renders as null).
func pathSchema(path, typ string, data json.RawMessage) []byte {
	name, _ := json.Marshal(typ)
	switch path {
	case "event.data":
		return data
	case "event.id":
		return []byte(`{"type":"string","pattern":"^evt_","description":"The event's id, the same on every attempt."}`)
	case "event.type":
		return []byte(`{"type":"string","const":` + string(name) + `}`)
	case "event.created_at":
		return []byte(`{"type":"string","format":"date-time","description":"When the event was published: RFC 3339, UTC, milliseconds."}`)
	case "tenant.id":
		return []byte(`{"type":"string","description":"The tenant's id."}`)
	case "endpoint.id":
		return []byte(`{"type":"string","pattern":"^ep_","description":"The endpoint's id."}`)
	}
	d, _ := json.Marshal("The value of " + path + "; null when it is missing.")
	return []byte(`{"description":` + string(d) + `}`)
}

// ExampleBody renders the body of a delivery of typ with data under
// payload, as hookd sends it, at ExampleTime() for ExampleTenantID and
// ExampleEndpointID (no metadata).
func ExampleBody(typ string, data json.RawMessage, payload hookd.PayloadSpec) (json.RawMessage, error) {
	compact, err := hookd.CompactData(data)
	if err != nil {
		return nil, fmt.Errorf("example data: %w", err)
	}
	switch payload.Kind {
	case hookd.PayloadRaw:
		return compact, nil
	case hookd.PayloadTemplate:
		tpl, err := payload.Compile()
		if err != nil {
			return nil, fmt.Errorf("payload template: %w", err)
		}
		body, _ := tpl.Render(nil, &hookd.TemplateInput{EventID: ExampleEventID, EventType: typ, CreatedAt: ExampleTime(),
			Data: compact, TenantID: ExampleTenantID, EndpointID: ExampleEndpointID})
		return body, nil
	}
	body, _ := hookd.RenderPayload(typ, ExampleTime(), compact)
	return body, nil
}
