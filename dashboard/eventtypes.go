package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hookd/hookd/httpapi"
)

func (u *UI) eventTypeRoutes() {
	m, base := u.mux, "/ui/t/{tenant}"
	m.Handle("GET "+base+"/event-types", u.page(u.listEventTypes))
	m.Handle("GET "+base+"/event-types/{name}", u.page(u.showEventType))
	m.Handle("GET "+base+"/new-event-type", u.page(u.eventTypeForm))
	m.Handle("POST "+base+"/event-types", u.action(capAdmin, u.saveEventType))
	m.Handle("GET "+base+"/event-types/{name}/edit", u.page(u.eventTypeForm))
	m.Handle("POST "+base+"/event-types/{name}/edit", u.action(capAdmin, u.saveEventType))
}

func (u *UI) listEventTypes(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Event types", "event-types")
	if err != nil {
		return err
	}
	ts, next, err := v.api.ListEventTypes(r.Context(), httpapi.ListOptions{Limit: 250, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	vw.Data = struct {
		Types []httpapi.EventType
		Next  string
	}{ts, next}
	u.render(w, http.StatusOK, "event_types", vw)
	return nil
}

func (u *UI) showEventType(w http.ResponseWriter, r *http.Request, v *viewer) error {
	vw, err := u.tenantView(r, v, "Event type", "event-types")
	if err != nil {
		return err
	}
	t, err := v.api.GetEventType(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	examples := make([]string, len(t.Examples))
	for i, e := range t.Examples {
		examples[i] = prettyJSON(e)
	}
	vw.Title = t.Name
	vw.Data = struct {
		T        *httpapi.EventType
		Schema   string
		Examples []string
	}{t, prettyJSON(t.Schema), examples}
	u.render(w, http.StatusOK, "event_type", vw)
	return nil
}

// eventTypeInput is the event type form as typed.
type eventTypeInput struct {
	Name, Group, Description, Schema, Examples string
	Deprecated, Editing                        bool
}

func (u *UI) eventTypeForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := v.need(capAdmin); err != nil {
		return err
	}
	f := eventTypeInput{Schema: "{}", Examples: "[]"}
	if name := r.PathValue("name"); name != "" {
		t, err := v.api.GetEventType(r.Context(), name)
		if err != nil {
			return err
		}
		ex, _ := json.MarshalIndent(t.Examples, "", "  ") // raw JSON values always marshal
		f = eventTypeInput{Name: t.Name, Group: t.Group, Description: t.Description, Schema: prettyJSON(t.Schema),
			Examples: string(ex), Deprecated: t.Deprecated, Editing: true}
		if len(t.Schema) == 0 || string(t.Schema) == "null" {
			f.Schema = ""
		}
	}
	return u.renderEventTypeForm(w, r, v, f, nil)
}

func (u *UI) renderEventTypeForm(w http.ResponseWriter, r *http.Request, v *viewer, f eventTypeInput, p *problem) error {
	title := "New event type"
	if f.Editing {
		title = "Edit event type"
	}
	vw, err := u.tenantView(r, v, title, "event-types")
	if err != nil {
		return err
	}
	vw.Data, vw.Problem = f, p
	status := http.StatusOK
	if p != nil {
		status = p.Status
	}
	u.render(w, status, "event_type_form", vw)
	return nil
}

func (u *UI) saveEventType(w http.ResponseWriter, r *http.Request, v *viewer) error {
	name := r.PathValue("name")
	f := eventTypeInput{Name: strings.TrimSpace(r.PostFormValue("name")), Group: strings.TrimSpace(r.PostFormValue("group")),
		Description: strings.TrimSpace(r.PostFormValue("description")), Schema: strings.TrimSpace(r.PostFormValue("schema")),
		Examples: strings.TrimSpace(r.PostFormValue("examples")), Deprecated: r.PostFormValue("deprecated") == "1",
		Editing: name != ""}
	err := u.writeEventType(r, v, name, f)
	if err == nil {
		if name == "" {
			name = f.Name
		}
		http.Redirect(w, r, tenantURL(r.PathValue("tenant"), "event-types", name)+"?done=saved", http.StatusSeeOther)
		return nil
	}
	if p := u.problemOf(r, err); p.Status < 500 {
		if f.Editing {
			f.Name = name
		}
		return u.renderEventTypeForm(w, r, v, f, p)
	}
	return err
}

// writeEventType creates the type (name "") or changes it.
func (u *UI) writeEventType(r *http.Request, v *viewer, name string, f eventTypeInput) error {
	var schema json.RawMessage
	if f.Schema != "" {
		if !json.Valid([]byte(f.Schema)) {
			return invalidField("Schema", "must be JSON (a JSON Schema object)")
		}
		schema = json.RawMessage(f.Schema)
	}
	var examples []json.RawMessage
	if f.Examples != "" {
		if err := json.Unmarshal([]byte(f.Examples), &examples); err != nil {
			return invalidField("Examples", "must be a JSON array of data values")
		}
	}
	if name == "" {
		_, err := v.api.CreateEventType(r.Context(), httpapi.EventTypeInput{Name: f.Name, Group: f.Group,
			Description: f.Description, Schema: schema, Examples: examples, Deprecated: f.Deprecated})
		return err
	}
	p := map[string]any{"group": f.Group, "description": f.Description, "examples": examples, "deprecated": f.Deprecated,
		"schema": schema}
	if examples == nil {
		p["examples"] = []json.RawMessage{}
	}
	_, err := v.api.PatchEventType(r.Context(), name, p)
	return err
}
