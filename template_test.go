package hookd_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func templateInput() *hookd.TemplateInput {
	return &hookd.TemplateInput{
		EventID: "evt_1", EventType: "alert.created", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600)),
		Data:     json.RawMessage(`{"id":7,"tags":["a","b"],"who":{"name":"Ann \"A\""},"n":null}`),
		TenantID: "acme", TenantMetadata: json.RawMessage(`{"project_id":"prj_9"}`),
		EndpointID: "ep_1", EndpointMetadata: json.RawMessage(`{"team":{"id":42}}`),
	}
}

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, tpl, want string }{
		{"chalk",
			`{"environment_id":"{{tenant.id}}","webhook_id":"{{endpoint.id}}","subscription":"{{event.type}}","payload":"{{event.data}}","event_timestamp":"{{event.created_at}}","idempotency_key":"{{event.id}}"}`,
			`{"environment_id":"acme","webhook_id":"ep_1","subscription":"alert.created","payload":{"id":7,"tags":["a","b"],"who":{"name":"Ann \"A\""},"n":null},"event_timestamp":"2026-01-02T02:04:05.006Z","idempotency_key":"evt_1"}`},
		{"datachonk",
			`{"id":"{{event.id}}","event":"{{event.type}}","created_at":"{{event.created_at}}","project_id":"{{tenant.metadata.project_id}}","data":"{{event.data}}"}`,
			`{"id":"evt_1","event":"alert.created","created_at":"2026-01-02T02:04:05.006Z","project_id":"prj_9","data":{"id":7,"tags":["a","b"],"who":{"name":"Ann \"A\""},"n":null}}`},
		{"typed members", `["{{event.data.id}}","{{event.data.tags}}","{{endpoint.metadata.team}}","{{event.data.tags.1}}"]`,
			`[7,["a","b"],{"id":42},"b"]`},
		{"missing is null", `{"a":"{{event.data.nope}}","b":"{{tenant.metadata.x.y}}","c":"{{event.data.n}}"}`, `{"a":null,"b":null,"c":null}`},
		{"interpolated text", `{"s":"{{event.type}} #{{event.data.id}} by {{event.data.who.name}}{{event.data.nope}}"}`,
			`{"s":"alert.created #7 by Ann \"A\""}`},
		{"interpolated object", `"x={{endpoint.metadata.team}}"`, `"x={\"id\":42}"`},
		{"literals kept", ` { "n" : 1.50e3, "t": true, "z": null, "s": "<a&b>", "u": "\u00e9" } `,
			`{"n":1.50e3,"t":true,"z":null,"s":"<a&b>","u":"é"}`},
		{"spaces in braces", `"{{ event.id }}"`, `"evt_1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := hookd.ParseTemplate(json.RawMessage(tc.tpl), "/payload/template")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := tpl.Render(nil, templateInput())
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("not JSON: %s", got)
			}
		})
	}
}

func TestTemplateDataOffset(t *testing.T) {
	t.Parallel()
	tpl, _ := hookd.ParseTemplate(json.RawMessage(`{"x":"{{event.id}}","d":"{{event.data}}"}`), "")
	in := templateInput()
	out, at := tpl.Render(nil, in)
	if at < 0 || string(out[at:at+len(in.Data)]) != string(in.Data) {
		t.Fatalf("data at %d in %s", at, out)
	}
	if tpl.UsesEndpoint() {
		t.Error("UsesEndpoint without endpoint paths")
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, tpl, pointer string }{
		{"unknown root", `{"a":"{{evnt.id}}"}`, "/payload/template/a"},
		{"unknown event member", `{"a":["{{event.uuid}}"]}`, "/payload/template/a/0"},
		{"tenant path", `{"a~b/c":"{{tenant.name}}"}`, "/payload/template/a~0b~1c"},
		{"empty segment", `"{{event.data..x}}"`, "/payload/template"},
		{"one segment", `{"e":"{{event}}"}`, "/payload/template/e"},
		{"empty", `{"e":"x{{}}"}`, "/payload/template/e"},
		{"unclosed", `{"a":"x {{event.id"}`, "/payload/template/a"},
		{"not JSON", `{"a":}`, "/payload/template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hookd.ParseTemplate(json.RawMessage(tc.tpl), "/payload/template")
			fs := hookd.ErrorFields(err)
			if hookd.ErrorCode(err) != hookd.EINVALID || len(fs) != 1 || fs[0].Pointer != tc.pointer {
				t.Fatalf("err = %v %+v, want one error at %s", err, fs, tc.pointer)
			}
		})
	}
}

func TestPayloadSpecJSON(t *testing.T) {
	t.Parallel()
	for _, text := range []string{`"envelope"`, `"raw"`, `{"template":{"a":"{{event.id}}"}}`} {
		var p hookd.PayloadSpec
		if err := json.Unmarshal([]byte(text), &p); err != nil || len(p.Validate("/payload")) != 0 {
			t.Fatalf("%s: %v %+v", text, err, p.Validate("/payload"))
		}
		b, _ := json.Marshal(p)
		if string(b) != text {
			t.Errorf("round trip %s → %s", text, b)
		}
	}
	for _, text := range []string{`"xml"`, `"template"`, `42`, `{"template":1,"x":2}`, `{}`} {
		var p hookd.PayloadSpec
		if err := json.Unmarshal([]byte(text), &p); err != nil {
			t.Fatal(err)
		}
		if fs := p.Validate("/payload"); len(fs) != 1 || fs[0].Pointer != "/payload" {
			t.Errorf("%s: %+v", text, fs)
		}
	}
}

// BenchmarkRender compares the Chalk template with the envelope, for a
// 250-byte data value: the fast path costs about what the envelope does.
func BenchmarkRender(b *testing.B) {
	data := json.RawMessage(`{"t":1733400000000000000,"pad":"` + string(make([]byte, 0)) +
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + `"}`)
	in := templateInput()
	in.Data = data
	b.Run("envelope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hookd.RenderPayload(in.EventType, in.CreatedAt, data)
		}
	})
	tpl, err := hookd.ParseTemplate(json.RawMessage(`{"environment_id":"{{tenant.id}}","webhook_id":"{{endpoint.id}}",`+
		`"subscription":"{{event.type}}","payload":"{{event.data}}","event_timestamp":"{{event.created_at}}","idempotency_key":"{{event.id}}"}`), "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("chalk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tpl.Render(make([]byte, 0, len(data)+256), in)
		}
	})
}

// FuzzTemplate: any template either is refused with field errors or
// renders valid JSON, whatever the data.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{`{"a":"{{event.data}}"}`, `"x {{event.data.a.0}} y"`, `["{{tenant.metadata.x}}",1,null]`,
		`"{{event}}"`, `"{{}}"`, `"{{event.id"`} {
		f.Add(s, `{"a":[1,"two"]}`)
	}
	f.Fuzz(func(t *testing.T, tpl, data string) {
		p, err := hookd.ParseTemplate(json.RawMessage(tpl), "/t")
		if err != nil {
			if hookd.ErrorCode(err) != hookd.EINVALID || len(hookd.ErrorFields(err)) == 0 {
				t.Fatalf("error without fields: %v", err)
			}
			return
		}
		in := templateInput()
		if json.Valid([]byte(data)) {
			in.Data = json.RawMessage(data)
		}
		out, _ := p.Render(nil, in)
		if !json.Valid(out) {
			t.Fatalf("%s rendered %s", tpl, out)
		}
	})
}
