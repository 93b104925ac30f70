package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// testEndpoint sends a test event to the endpoint, whatever its filter,
// and answers 202 with the event: webhook.test by default, or a catalog
// type with the body's data or the type's first example.
func (s *Server) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in TestEventInput
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	t := &hookd.TestEvent{TenantID: r.PathValue("tenant"), EndpointID: r.PathValue("id"),
		Type: in.EventType, Data: nullToNil(in.Data)}
	if err := s.testData(r.Context(), t); err != nil {
		return err
	}
	res, err := s.engine.SendTest(r.Context(), t)
	if err != nil {
		return testError(err)
	}
	return writeJSON(w, http.StatusAccepted, eventOut(res.Event))
}

// testData checks a test event's type, which is webhook.test or one of
// the catalog, and gives a catalog type without data its first example.
func (s *Server) testData(ctx context.Context, t *hookd.TestEvent) error {
	if t.Type == "" || t.Type == hookd.TestEventType {
		return nil
	}
	if !hookd.ValidEventTypeName(t.Type) {
		return invalid("/event_type", "must be an event type name such as invoice.paid")
	}
	types, err := s.eventTypes(ctx)
	if err != nil {
		return err
	}
	for _, et := range types {
		if et.Name != t.Type {
			continue
		}
		if t.Data == nil {
			t.Data = catalog.SampleData(et.Schema)
			if len(et.Examples) > 0 {
				t.Data = et.Examples[0]
			}
		}
		return nil
	}
	return invalid("/event_type", "must be "+hookd.TestEventType+" or a type of the event catalog")
}

// testError names the body's members in the engine's errors: its /type
// is the body's /event_type.
func testError(err error) error {
	var he *hookd.Error
	if !errors.As(err, &he) || len(he.Fields) == 0 {
		return err
	}
	out := *he
	out.Fields = make([]hookd.FieldError, len(he.Fields))
	for i, f := range he.Fields {
		if f.Pointer == "/type" || strings.HasPrefix(f.Pointer, "/type/") {
			f.Pointer = "/event_type" + strings.TrimPrefix(f.Pointer, "/type")
		}
		out.Fields[i] = f
	}
	return &out
}
