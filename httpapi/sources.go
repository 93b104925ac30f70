package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookd/hookd"
)

// Source is an inbound source as the API shows it: "id", "description",
// the members of its spec inlined, then "created_at" and "updated_at"
// (read-only: ignored on input). The spec is stored as sent; package
// receive interprets it.
type Source struct {
	ID          string
	Description string
	Spec        json.RawMessage // a JSON object of the other members, or nil
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// sourceFields are the members that are not part of the spec.
var sourceFields = map[string]bool{"id": true, "description": true, "created_at": true, "updated_at": true}

// MarshalJSON implements json.Marshaler. Zero times are left out.
func (s Source) MarshalJSON() ([]byte, error) {
	id, _ := json.Marshal(s.ID)
	desc, _ := json.Marshal(s.Description)
	ms := []member{{"id", id}, {"description", desc}}
	if len(s.Spec) > 0 {
		spec, isObj, err := objectMembers(s.Spec)
		if err != nil || !isObj {
			return nil, fmt.Errorf("source %s: spec is not a JSON object", s.ID)
		}
		for _, m := range spec {
			if !sourceFields[m.key] {
				ms = append(ms, m)
			}
		}
	}
	for _, t := range []struct {
		key string
		at  time.Time
	}{{"created_at", s.CreatedAt}, {"updated_at", s.UpdatedAt}} {
		if !t.at.IsZero() {
			b, _ := t.at.MarshalJSON()
			ms = append(ms, member{t.key, b})
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, encodeMembers(ms)); err != nil {
		return nil, fmt.Errorf("source %s: %w", s.ID, err)
	}
	return out.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler. A member of the wrong type is
// an EINVALID *hookd.Error pointing at it.
func (s *Source) UnmarshalJSON(b []byte) error {
	ms, isObj, err := objectMembers(b)
	if err != nil {
		return fmt.Errorf("decode source: %w", err)
	}
	if !isObj {
		return hookd.Invalid("invalid source", hookd.FieldError{Pointer: "", Message: "must be an object"})
	}
	*s = Source{}
	var (
		spec []member
		fe   []hookd.FieldError
	)
	for _, m := range ms {
		var dst any
		switch m.key {
		case "id":
			dst = &s.ID
		case "description":
			dst = &s.Description
		case "created_at":
			dst = &s.CreatedAt
		case "updated_at":
			dst = &s.UpdatedAt
		default:
			spec = append(spec, m)
			continue
		}
		if err := json.Unmarshal(m.val, dst); err != nil {
			fe = append(fe, hookd.FieldError{Pointer: "/" + hookd.EscapePointer(m.key), Message: "has the wrong type"})
		}
	}
	if len(fe) > 0 {
		return hookd.Invalid("invalid source", fe...)
	}
	if len(spec) > 0 {
		s.Spec = encodeMembers(spec)
	}
	return nil
}

// sourceOut is the source as reads show it: its secrets redacted.
func (s *Server) sourceOut(src *hookd.Source) Source {
	return Source{ID: src.ID, Description: src.Description, Spec: s.redactedSpec(src.ID, src.Spec),
		CreatedAt: src.CreatedAt, UpdatedAt: src.UpdatedAt}
}

// withSecrets returns spec, sent by a client, with the secrets it left
// out taken from stored (nil for a new source).
func (s *Server) withSecrets(spec, stored []byte) ([]byte, error) {
	if len(spec) == 0 {
		return spec, nil
	}
	out, err := restoreSpec(spec, stored, s.access.secretPaths)
	if err != nil {
		return nil, &hookd.Error{Code: hookd.EMALFORMED, Message: "the source is not valid JSON", Err: err}
	}
	return out, nil
}

func sourcePath(id string) string { return "/v1/sources/" + url.PathEscape(id) }

func (s *Server) sourceRoutes() {
	s.handle("POST /v1/sources", s.idempotent(s.createSource))
	s.handle("GET /v1/sources", s.listSources)
	s.handle("GET /v1/sources/{id}", s.getSource)
	s.handle("PATCH /v1/sources/{id}", s.patchSource)
	s.handle("DELETE /v1/sources/{id}", s.deleteSource)
	s.handle("GET /v1/sources/{id}/requests", s.listRequests)
	s.handle("POST /v1/sources/{id}/requests/{rid}/replay", s.replayRequest)
}

// checkSource vets a source before it is stored: its own fields, then its
// spec through Config.SourceCheckFunc.
func (s *Server) checkSource(src *hookd.Source) error {
	if err := src.Validate(); err != nil {
		return err
	}
	if s.cfg.SourceCheckFunc != nil {
		return s.cfg.SourceCheckFunc(src)
	}
	return nil
}

func (s *Server) sourcesChanged() {
	if s.cfg.SourcesChangedFunc != nil {
		s.cfg.SourcesChangedFunc()
	}
}

// Replayed is the answer to a replay: the new request's id and the events
// it made.
type Replayed struct {
	ID       string   `json:"id"`
	EventIDs []string `json:"event_ids"`
}

// replayRequest routes a stored request again (202).
func (s *Server) replayRequest(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.ReplayFunc == nil {
		return hookd.Errorf(hookd.ENOTFOUND, "replay is not available")
	}
	id, events, err := s.cfg.ReplayFunc(r.Context(), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		return err
	}
	if events == nil {
		events = []string{}
	}
	return writeJSON(w, http.StatusAccepted, Replayed{ID: id, EventIDs: events})
}

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) error {
	var in Source
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	spec, err := s.withSecrets(in.Spec, nil)
	if err != nil {
		return err
	}
	src := &hookd.Source{ID: in.ID, Description: in.Description, Spec: spec}
	if err := s.checkSource(src); err != nil {
		return err
	}
	if err := s.store.CreateSource(r.Context(), src); err != nil {
		return err
	}
	s.sourcesChanged()
	if s.secretsChanged(src.Spec, nil) {
		s.logSourceSecrets(r, hookd.LogActionCreated, src.ID)
	}
	return created(w, sourcePath(src.ID), s.sourceOut(src))
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	all, err := s.store.ListSources(r.Context())
	if err != nil {
		return err
	}
	srcs, next, err := pageByName(all, func(src *hookd.Source) string { return src.ID }, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(srcs, next, s.sourceOut))
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.store.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.sourceOut(src))
}

// patchSource applies a merge patch; the id cannot change.
func (s *Server) patchSource(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.store.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in Source
	if err := applyPatch(r, s.sourceOut(cur), &in); err != nil {
		return err
	}
	if in.ID != cur.ID {
		return invalid("/id", "cannot be changed")
	}
	spec, err := s.withSecrets(in.Spec, cur.Spec)
	if err != nil {
		return err
	}
	src := &hookd.Source{ID: cur.ID, Description: in.Description, Spec: spec}
	if err := s.checkSource(src); err != nil {
		return err
	}
	if err := s.store.UpdateSource(r.Context(), src); err != nil {
		return err
	}
	s.sourcesChanged()
	if s.secretsChanged(src.Spec, cur.Spec) {
		s.logSourceSecrets(r, hookd.LogActionRotated, src.ID)
	}
	return writeJSON(w, http.StatusOK, s.sourceOut(src))
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.store.GetSource(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.store.DeleteSource(r.Context(), cur.ID); err != nil {
		return err
	}
	s.sourcesChanged()
	if s.secretsChanged(nil, cur.Spec) {
		s.logSourceSecrets(r, hookd.LogActionRevoked, cur.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listRequests lists a source's request log, newest first, filtered by
// ?accepted=true|false and ?status=NNN.
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	f := hookd.RequestFilter{SourceID: id, Page: p}
	q := r.URL.Query()
	if v := q.Get("accepted"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("/query/accepted", "must be true or false")
		}
		f.Accepted = &b
	}
	if v := q.Get("status"); v != "" {
		if f.Status, err = strconv.Atoi(v); err != nil || f.Status < 100 || f.Status > 599 {
			return invalid("/query/status", "must be an HTTP status code from 100 to 599")
		}
	}
	if _, err := s.store.GetSource(r.Context(), id); err != nil {
		return err
	}
	reqs, next, err := s.store.ListRequests(r.Context(), f)
	if err != nil {
		return listError(err)
	}
	return writeJSON(w, http.StatusOK, mapList(reqs, next, requestOut))
}

func requestOut(q *hookd.Request) Request {
	h := q.Headers
	if h == nil {
		h = map[string]string{}
	}
	return Request{
		ID: q.ID, SourceID: q.SourceID, ReceivedAt: q.ReceivedAt, Method: q.Method, Path: q.Path, Query: q.Query,
		Headers: h, Body: string(q.Body), RemoteIP: q.RemoteIP, Status: q.Status, Accepted: q.Accepted,
		Code: q.Code, Reason: q.Reason, Verified: q.Verified, DedupeKey: q.DedupeKey, DuplicateOf: q.DuplicateOf,
		User: q.User,
	}
}
