package config

import (
	"encoding/json"
	"testing"

	"github.com/hookd/hookd"
)

// The DataChonk house format, declared once for every endpoint.
const dataChonkYAML = `delivery:
  payload:
    template:
      id: "{{event.id}}"
      event: "{{event.type}}"
      created_at: "{{event.created_at}}"
      project_id: "{{tenant.metadata.project_id}}"
      data: "{{event.data}}"
`

func TestDeliveryPayload(t *testing.T) {
	t.Parallel()
	c, err := Load(LoadOptions{Path: writeConfig(t, dataChonkYAML)})
	noErr(t, err)
	equal(t, hookd.PayloadTemplate, c.Delivery.Payload.Kind)
	equal(t, `{"id":"{{event.id}}","event":"{{event.type}}","created_at":"{{event.created_at}}",`+
		`"project_id":"{{tenant.metadata.project_id}}","data":"{{event.data}}"}`, string(c.Delivery.Payload.Template))

	c, err = Load(LoadOptions{Path: writeConfig(t, "delivery:\n  payload: raw\n")})
	noErr(t, err)
	equal(t, hookd.PayloadSpec{Kind: hookd.PayloadRaw}, c.Delivery.Payload)

	env := []string{`HOOKD_DELIVERY_PAYLOAD={"template":{"webhook_id":"{{endpoint.id}}"}}`}
	c, err = Load(LoadOptions{Env: env})
	noErr(t, err)
	equal(t, json.RawMessage(`{"webhook_id":"{{endpoint.id}}"}`), c.Delivery.Payload.Template)

	c, err = Load(LoadOptions{})
	noErr(t, err)
	equal(t, "", c.Delivery.Payload.Kind)
}

func TestDeliveryPayloadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"unknown form", "delivery:\n  payload: xml\n", nil,
			`delivery.payload: /: must be "envelope", "raw" or {"template": <JSON value>}`},
		{"unknown path", "delivery:\n  payload:\n    template:\n      id: \"{{event.uuid}}\"\n", nil,
			"delivery.payload: /template/id: {{event.uuid}} is not a known path"},
		{"other member", "delivery:\n  payload:\n    tmpl: {}\n", nil,
			`delivery.payload: /: must be "envelope", "raw" or {"template": <JSON value>}`},
		{"env not JSON", "", []string{`HOOKD_DELIVERY_PAYLOAD={"template":`}, "HOOKD_DELIVERY_PAYLOAD: /template: must be valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(LoadOptions{Path: writeConfig(t, tc.yaml), Env: tc.env})
			errContains(t, err, tc.want)
		})
	}
}
