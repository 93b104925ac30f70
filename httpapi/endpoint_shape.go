package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// checkMethod checks an endpoint's method against the catalog: every
// catalog type the endpoint subscribes to must allow it. Types the
// catalog does not know take any method.
func (s *Server) checkMethod(ctx context.Context, e *hookd.Endpoint) []hookd.FieldError {
	if e.Method == "" || !hookd.ValidMethod(e.Method) {
		return nil
	}
	types, err := s.eventTypes(ctx)
	if err != nil {
		return []hookd.FieldError{{Pointer: "/method", Message: "the event catalog is unavailable: try again"}}
	}
	for _, t := range types {
		if e.Accepts(t.Name) && !t.AllowsMethod(e.Method) {
			return []hookd.FieldError{{Pointer: "/method",
				Message: "event type " + t.Name + " does not allow " + e.Method + ": it allows " + joinMethods(t)}}
		}
	}
	return nil
}

func joinMethods(t *hookd.EventType) string {
	ms := t.Methods
	if len(ms) == 0 {
		ms = []string{http.MethodPost}
	}
	out := ""
	for i, m := range ms {
		if i > 0 {
			out += ", "
		}
		out += m
	}
	return out
}

// testTransform runs a transform on a sample event for the endpoint.
func (s *Server) testTransform(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.TransformTestFunc == nil {
		return hookd.Errorf(hookd.ENOTFOUND, "transforms cannot be tested on this server")
	}
	ep, err := s.store.GetEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in TransformTestInput
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	sample, err := s.sampleEvent(r.Context(), ep, in.Event)
	if err != nil {
		return err
	}
	res, err := s.cfg.TransformTestFunc(r.Context(), ep, in.Code, sample)
	if err != nil {
		return err
	}
	out := TransformTestResult{Payload: res.Payload, Headers: res.Headers, Method: res.Method, Cancel: res.Cancel,
		Logs: res.Logs, DurationMS: float64(res.Duration.Microseconds()) / 1000}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if res.Error != "" {
		out.Error = &res.Error
	}
	return writeJSON(w, http.StatusOK, out)
}

// sampleEvent returns the event to try: the given one, or the first
// catalog type the endpoint subscribes to with its first example (or data
// made from its schema), or a webhook.test event.
func (s *Server) sampleEvent(ctx context.Context, ep *hookd.Endpoint, given *SampleEvent) (*hookd.Publish, error) {
	p := &hookd.Publish{TenantID: ep.TenantID}
	if given != nil {
		p.Type, p.Data = given.Type, given.Data
		if len(p.Data) == 0 {
			p.Data = json.RawMessage("{}")
		}
		return p, nil
	}
	types, err := s.eventTypes(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if ep.Accepts(t.Name) {
			p.Type, p.Data = t.Name, catalog.SampleData(t.Schema)
			if len(t.Examples) > 0 {
				p.Data = t.Examples[0]
			}
			return p, nil
		}
	}
	p.Type = hookd.TestEventType
	p.Data, _ = json.Marshal(map[string]string{"endpoint_id": ep.ID, "message": "hookd test event"})
	return p, nil
}
