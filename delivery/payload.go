package delivery

import (
	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
	"github.com/hookd/hookd/transform"
)

// filtered keeps the targets whose filter admits the event. An
// evaluation error counts as no match (fail closed) and in the
// hookd_filter_errors_total metric. targets is not modified.
func (e *Engine) filtered(targets []*target, ev *hookd.Event, tenant *hookd.Tenant) []*target {
	var out []*target // nil until a target is left out
	var in *filter.Input
	for i, tg := range targets {
		if e.admits(tg, ev, tenant, &in) {
			if out != nil {
				out = append(out, tg)
			}
			continue
		}
		if out == nil {
			out = append(make([]*target, 0, len(targets)), targets[:i]...)
		}
	}
	if out == nil {
		return targets
	}
	return out
}

// admits runs tg's filter, building the filter input on first use.
func (e *Engine) admits(tg *target, ev *hookd.Event, tenant *hookd.Tenant, in **filter.Input) bool {
	if tg.filterErr != nil {
		e.metrics.filterErrors.Inc()
		return false
	}
	if tg.filter == nil {
		return true
	}
	if *in == nil {
		*in = filter.NewInput(ev, tenant)
	}
	ok, err := tg.filter.Match(*in, tg.ep)
	if err != nil {
		e.metrics.filterErrors.Inc()
		e.cfg.Logger.Debug("filter evaluation failed", "endpoint", tg.ep.ID, "event", ev.ID, "err", err)
		return false
	}
	return ok
}

// payloadOf returns the payload form that applies to ep, with its
// compiled template: the endpoint's own, else the engine's default. A
// stored template that no longer compiles (it was checked when stored)
// falls back to the envelope rather than sending something unforeseen.
func payloadOf(ep *hookd.Endpoint, cfg *Config) (string, *hookd.Template) {
	if ep.AllowPrivate {
		return hookd.PayloadEnvelope, nil // a forward destination sends the request's body as it came
	}
	switch ep.Payload {
	case hookd.PayloadRaw, hookd.PayloadEnvelope:
		return ep.Payload, nil
	case hookd.PayloadTemplate:
		if t, err := hookd.ParseTemplate(ep.Template, "/payload/template"); err == nil {
			return hookd.PayloadTemplate, t
		}
		return hookd.PayloadEnvelope, nil
	}
	if cfg.defaultTpl != nil {
		return hookd.PayloadTemplate, cfg.defaultTpl
	}
	if cfg.Payload.Kind == hookd.PayloadRaw {
		return hookd.PayloadRaw, nil
	}
	return hookd.PayloadEnvelope, nil
}

// payloads renders what the deliveries of one event send. The event's own
// Payload is what its first target sends (the envelope when that target
// takes the data alone); a delivery whose bytes differ from it gets its
// own (a Shape), stored with it, so that retries send the same. The
// common case, every endpoint on one format, stores nothing more.
type payloads struct {
	ev     *hookd.Event
	tenant *hookd.Tenant
	// evTpl is the template ev.Payload is a rendering of, for evEndpoint
	// when the template depends on the endpoint; nil: the envelope.
	evTpl      *hookd.Template
	evEndpoint string
	envelope   []byte // the envelope, once rendered when ev.Payload is not it
}

// render sets the event's Payload, and its Data within it where it can.
func (p *payloads) render(data []byte, targets []*target) {
	ev := p.ev
	if len(targets) > 0 && targets[0].payload == hookd.PayloadTemplate {
		tg := targets[0]
		out, at := tg.tpl.Render(make([]byte, 0, len(data)+256), p.input(data, tg.ep))
		ev.Payload, p.evTpl = out, tg.tpl
		if tg.tpl.UsesEndpoint() {
			p.evEndpoint = tg.ep.ID
		}
		if at >= 0 {
			ev.Data = out[at : at+len(data) : at+len(data)]
		} else {
			ev.Data = data
		}
		return
	}
	payload, start := hookd.RenderPayload(ev.Type, ev.CreatedAt, data)
	ev.Payload, ev.Data = payload, payload[start:start+len(data)]
}

// shape returns what the delivery to tg sends, nil for the event's Payload.
func (p *payloads) shape(tg *target) *hookd.Shape {
	switch tg.payload {
	case hookd.PayloadRaw:
		return &hookd.Shape{DataOnly: true}
	case hookd.PayloadTemplate:
		if tg.tpl == p.evTpl && (p.evEndpoint == "" || p.evEndpoint == tg.ep.ID) {
			return nil
		}
		body, _ := tg.tpl.Render(make([]byte, 0, len(p.ev.Data)+256), p.input(p.ev.Data, tg.ep))
		return &hookd.Shape{Body: body}
	}
	if p.evTpl == nil {
		return nil
	}
	if p.envelope == nil {
		p.envelope, _ = hookd.RenderPayload(p.ev.Type, p.ev.CreatedAt, p.ev.Data)
	}
	return &hookd.Shape{Body: p.envelope}
}

func (p *payloads) input(data []byte, ep *hookd.Endpoint) *hookd.TemplateInput {
	in := &hookd.TemplateInput{EventID: p.ev.ID, EventType: p.ev.Type, CreatedAt: p.ev.CreatedAt, Data: data,
		TenantID: p.ev.TenantID}
	if p.tenant != nil {
		in.TenantMetadata = p.tenant.Metadata
	}
	if ep != nil {
		in.EndpointID, in.EndpointMetadata = ep.ID, ep.Metadata
	}
	return in
}

// CheckEndpoint compiles the endpoint's filter and transform, as the API
// does before it stores an endpoint: an EINVALID *hookd.Error with fields
// at /filter and /transform, nil when both are sound or absent.
func CheckEndpoint(e *hookd.Endpoint) error {
	fields := append(filter.Check(e), transform.Check(e)...)
	if len(fields) == 0 {
		return nil
	}
	return hookd.Invalid("invalid endpoint", fields...)
}
