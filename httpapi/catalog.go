package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// eventTypesChanged makes a change of the event types take effect: the
// engine's routing and the catalog reload before their next use.
func (s *Server) eventTypesChanged() {
	s.engine.Invalidate()
	s.cfg.Catalog.Invalidate()
}

// putEventType creates (201) or replaces (200) an event type: the
// idempotent way to register a catalog. The body's name may be left out;
// when given it must be the path's.
func (s *Server) putEventType(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !hookd.ValidEventTypeName(name) {
		return invalid("/path/name", "must be a dotted name such as invoice.paid (letters, digits, _ and -)")
	}
	var in EventTypeInput
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	if in.Name != "" && in.Name != name {
		return invalid("/name", "must be the name in the path, or left out")
	}
	in.Name = name
	t, cerr := checkEventTypeIn(&in)
	if cerr != nil {
		return cerr
	}
	_, err := s.store.GetEventType(r.Context(), name)
	isNew := hookd.IsNotFound(err)
	if err != nil && !isNew {
		return err
	}
	if err := s.store.PutEventType(r.Context(), t); err != nil {
		return err
	}
	s.eventTypesChanged()
	if isNew {
		return created(w, eventTypePath(name), eventTypeOut(t))
	}
	return writeJSON(w, http.StatusOK, eventTypeOut(t))
}

// eventTypes returns the catalog's event types, or the store's when the
// server has no catalog.
func (s *Server) eventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	if s.cfg.Catalog != nil {
		return s.cfg.Catalog.EventTypes(ctx)
	}
	return s.store.ListEventTypes(ctx)
}

// OpenAPIHandler serves GET /openapi.json: the document of OpenAPI with
// the current event types. It needs no API key.
func (s *Server) OpenAPIHandler() http.Handler {
	return s.public("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) error {
		types, err := s.eventTypes(r.Context())
		if err != nil {
			return err
		}
		doc, err := OpenAPIShaped(s.cfg.Version, types, s.cfg.DefaultPayload)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
		return nil
	})
}

// DocsHandler serves GET /docs: the event catalog as a page for people
// (see catalog.WriteDocs). It needs no API key.
func (s *Server) DocsHandler() http.Handler {
	return s.public("GET /docs", func(w http.ResponseWriter, r *http.Request) error {
		types, err := s.eventTypes(r.Context())
		if err != nil {
			return err
		}
		var b bytes.Buffer
		err = catalog.WriteDocs(&b, catalog.DocsPage{Title: "Webhooks", UserAgent: "hookd/" + s.cfg.Version, Types: types,
			Payload: s.cfg.DefaultPayload})
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		// No script and no outside resource: descriptions come from users.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		_, _ = w.Write(b.Bytes())
		return nil
	})
}

// public serves a route outside /v1/ through the server's limits and
// metrics (labelled pattern), without authentication, answering errors as
// problems.
func (s *Server) public(pattern string, h handlerFunc) http.Handler {
	return s.observe(s.limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(r).pattern = pattern
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})))
}
