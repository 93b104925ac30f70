package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

func (s *Server) eventTypeRoutes() {
	s.handle("POST /v1/event-types", s.idempotent(s.createEventType))
	s.handle("GET /v1/event-types", s.listEventTypes)
	s.handle("GET /v1/event-types/{name}", s.getEventType)
	s.handle("PUT /v1/event-types/{name}", s.putEventType)
	s.handle("PATCH /v1/event-types/{name}", s.patchEventType)
	s.handle("DELETE /v1/event-types/{name}", s.deleteEventType)
}

func eventTypeOut(t *hookd.EventType) EventType {
	methods := t.Methods
	if len(methods) == 0 {
		methods = []string{http.MethodPost}
	}
	examples := t.Examples
	if examples == nil {
		examples = []json.RawMessage{}
	}
	return EventType{Name: t.Name, Description: t.Description, Group: t.Group, Schema: t.Schema,
		Examples: examples, Deprecated: t.Deprecated, Method: methods[0], Methods: methods, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func eventTypeIn(in *EventTypeInput) *hookd.EventType {
	return &hookd.EventType{Name: in.Name, Description: in.Description, Group: in.Group,
		Schema: nullToNil(in.Schema), Examples: in.Examples, Deprecated: in.Deprecated,
		Methods: hookd.JoinMethods(in.Method, in.Methods)}
}

// checkEventTypeIn checks the input's methods where they were given, then
// the event type it makes (name, schema, examples).
func checkEventTypeIn(in *EventTypeInput) (*hookd.EventType, error) {
	if _, fields := hookd.MethodFields(in.Method, in.Methods); len(fields) > 0 {
		return nil, hookd.Invalid("invalid event type", fields...)
	}
	t := eventTypeIn(in)
	if _, err := catalog.CheckEventType(t); err != nil {
		return nil, err
	}
	return t, nil
}

// eventTypeDoc is the patchable JSON of an event type.
func eventTypeDoc(t *hookd.EventType) EventTypeInput {
	in := EventTypeInput{Name: t.Name, Description: t.Description, Group: t.Group, Schema: t.Schema,
		Examples: t.Examples, Deprecated: t.Deprecated, Methods: t.Methods}
	if len(t.Methods) > 0 {
		in.Method = t.Methods[0]
	}
	return in
}

func eventTypePath(name string) string { return "/v1/event-types/" + url.PathEscape(name) }

func (s *Server) createEventType(w http.ResponseWriter, r *http.Request) error {
	var in EventTypeInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	t, cerr := checkEventTypeIn(&in)
	if cerr != nil {
		return cerr
	}
	if err := s.store.CreateEventType(r.Context(), t); err != nil {
		return err
	}
	s.eventTypesChanged()
	return created(w, eventTypePath(t.Name), eventTypeOut(t))
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	all, err := s.store.ListEventTypes(r.Context())
	if err != nil {
		return err
	}
	ts, next, err := pageByName(all, func(t *hookd.EventType) string { return t.Name }, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(ts, next, eventTypeOut))
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.GetEventType(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, eventTypeOut(t))
}

// patchEventType applies a merge patch; the name cannot change.
func (s *Server) patchEventType(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.store.GetEventType(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	var in EventTypeInput
	if err := applyPatch(r, eventTypeDoc(cur), &in); err != nil {
		return err
	}
	if in.Name != cur.Name {
		return invalid("/name", "cannot be changed")
	}
	t, cerr := checkEventTypeIn(&in)
	if cerr != nil {
		return cerr
	}
	if err := s.store.UpdateEventType(r.Context(), t); err != nil {
		return err
	}
	s.eventTypesChanged()
	return writeJSON(w, http.StatusOK, eventTypeOut(t))
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteEventType(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	s.eventTypesChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// applyPatch applies the request's JSON Merge Patch to current's JSON and
// decodes the result into dst, which is then validated like a creation.
func applyPatch(r *http.Request, current, dst any) error {
	patch, err := readPatch(r)
	if err != nil {
		return err
	}
	return mergeInto(patch, current, dst)
}

// readPatch reads the request's JSON Merge Patch, which must be an object.
func readPatch(r *http.Request) ([]byte, error) {
	patch, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if patch == nil {
		return nil, errorf(hookd.EMALFORMED, "a JSON merge patch body is required")
	}
	if _, err := parseJSON(patch); err != nil {
		return nil, err
	}
	if _, isObj, _ := objectMembers(patch); !isObj {
		return nil, invalid("", "must be a JSON object (a JSON Merge Patch)")
	}
	return patch, nil
}

// mergeInto applies patch to current's JSON and decodes the result into dst.
func mergeInto(patch []byte, current, dst any) error {
	doc, err := json.Marshal(current)
	if err != nil {
		return fmt.Errorf("encode resource to patch: %w", err)
	}
	merged, err := mergePatch(doc, patch)
	if err != nil {
		return fmt.Errorf("apply merge patch: %w", err)
	}
	return decodeJSON(merged, dst)
}
