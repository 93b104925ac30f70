package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/hookd/hookd"
)

// batchRoute publishes several events in one request; its body may be
// larger than other requests' (Config.MaxBatchBody).
const batchRoute = "POST /v1/tenants/{tenant}/events/batch"

// publishBatch stores 1 to hookd.MaxPublishBatch events, all or none, in
// one durable write and answers 202 with their ids in order, each
// created or duplicate. Every event is checked before anything is
// stored; failures are one 422 listing them all under /events/{i}. The
// Idempotency-Key header, if any, names the request (see idempotent);
// each event's own key is its id.
func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r) // beyond MaxBatchBody: 413 naming the limit, with or without an Idempotency-Key
	if err != nil {
		return err
	}
	if b == nil {
		return errorf(hookd.EMALFORMED, `a JSON request body is required: {"events": [{"type": …, "data": …}, …]}`)
	}
	ins, err := decodePublishBatch(b, s.cfg.MaxBody)
	if err != nil {
		return err
	}
	tenant := r.PathValue("tenant")
	ps := make([]*hookd.Publish, len(ins))
	for i, in := range ins {
		ps[i] = &hookd.Publish{TenantID: tenant, Type: in.Type, Data: in.Data, IdempotencyKey: in.ID}
	}
	res, err := s.engine.PublishBatch(r.Context(), ps)
	if err != nil {
		return underEvents(err)
	}
	out := PublishBatchResult{Events: make([]PublishedEvent, len(res))}
	for i, pr := range res {
		out.Events[i] = PublishedEvent{ID: pr.Event.ID, Status: PublishCreated}
		if pr.Duplicate {
			out.Events[i].Status = PublishDuplicate
		}
	}
	return writeJSON(w, http.StatusAccepted, out)
}

// underEvents moves the field errors of the engine's EINVALID, whose
// pointers start with an event's index, under /events.
func underEvents(err error) error {
	fields := hookd.ErrorFields(err)
	if hookd.ErrorCode(err) != hookd.EINVALID || len(fields) == 0 {
		return err
	}
	out := make([]hookd.FieldError, len(fields))
	for i, f := range fields {
		out[i] = hookd.FieldError{Pointer: "/events" + f.Pointer, Message: f.Message}
	}
	return hookd.Invalid(hookd.ErrorMessage(err), out...)
}

// decodePublishBatch decodes a batch body into its events, checking the
// shape of each as a single publish's (members and their JSON types, the
// UTF-8 of data) and its size, at most maxEvent bytes. Every failure is
// reported, under /events/{i}; bytes that are not UTF-8 outside data are
// EMALFORMED, as for a single publish. What the events say (a type, its
// data, an id) is the engine's to check.
func decodePublishBatch(b []byte, maxEvent int64) ([]PublishInput, error) {
	if ins, ok := fastEvents(b, maxEvent); ok {
		return ins, nil
	}
	return decodeEachEvent(b, maxEvent)
}

// decodeEachEvent is decodePublishBatch's precise path: it splits the
// body into events, then decodes each as a single publish, collecting
// every failure.
func decodeEachEvent(b []byte, maxEvent int64) ([]PublishInput, error) {
	raws, err := batchEvents(b)
	if err != nil {
		return nil, err
	}
	switch {
	case len(raws) == 0:
		return nil, invalid("/events", "must hold at least one event")
	case len(raws) > hookd.MaxPublishBatch:
		return nil, invalid("/events", fmt.Sprintf("holds %d events: at most %d per request, send the rest in another",
			len(raws), hookd.MaxPublishBatch))
	}
	ins := make([]PublishInput, len(raws))
	var fe []hookd.FieldError
	for i, raw := range raws {
		at := "/events/" + strconv.Itoa(i)
		if int64(len(raw)) > maxEvent {
			fe = append(fe, hookd.FieldError{Pointer: at,
				Message: fmt.Sprintf("is %d bytes: one event may be at most %d", len(raw), maxEvent)})
			continue
		}
		err := decodePublish(raw, &ins[i])
		if hookd.ErrorCode(err) == hookd.EMALFORMED {
			if e := checkUTF8(b); e != nil {
				return nil, e // with the offset in the body
			}
			return nil, err
		}
		fe = append(fe, prefixed(at, err)...)
		ins[i].Data = nullToNil(ins[i].Data) // null data is missing data: the engine says so
	}
	if len(fe) > 0 {
		return nil, hookd.Invalid("invalid events", fe...)
	}
	return ins, nil
}

// fastEvents decodes, in one pass, a batch that decodePublishBatch would
// accept as it is: valid UTF-8, an object with "events" alone, 1 to
// hookd.MaxPublishBatch events of the single publish's members, none over
// maxEvent bytes. It reports false for anything else, which the precise
// path then explains.
func fastEvents(b []byte, maxEvent int64) ([]PublishInput, bool) {
	if !utf8.Valid(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if !expectTokens(dec, json.Delim('{'), "events", json.Delim('[')) {
		return nil, false
	}
	var ins []PublishInput
	for dec.More() {
		start := dec.InputOffset()
		var in PublishInput
		if len(ins) == hookd.MaxPublishBatch || !fastEvent(dec, &in) || dec.InputOffset()-start > maxEvent {
			return nil, false
		}
		in.Data = nullToNil(in.Data) // null data is missing data: the engine says so
		ins = append(ins, in)
	}
	if !expectTokens(dec, json.Delim(']'), json.Delim('}')) {
		return nil, false
	}
	_, err := dec.Token()
	return ins, err == io.EOF && len(ins) > 0
}

// fastEvent decodes one event object with no member but type, data and id.
func fastEvent(dec *json.Decoder, in *PublishInput) bool {
	if !expectTokens(dec, json.Delim('{')) {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		switch key {
		case "data":
			err = dec.Decode(&in.Data)
		case "type":
			err = dec.Decode(&in.Type)
		case "id":
			err = dec.Decode(&in.ID)
		default:
			return false
		}
		if err != nil {
			return false
		}
	}
	return expectTokens(dec, json.Delim('}'))
}

// expectTokens reads the tokens want from dec, and reports whether they
// were there.
func expectTokens(dec *json.Decoder, want ...json.Token) bool {
	for _, w := range want {
		if t, err := dec.Token(); err != nil || t != w {
			return false
		}
	}
	return true
}

// prefixed returns the field errors of err (nil: none) under at.
func prefixed(at string, err error) []hookd.FieldError {
	if err == nil {
		return nil
	}
	fields := hookd.ErrorFields(err)
	if len(fields) == 0 {
		return []hookd.FieldError{{Pointer: at, Message: hookd.ErrorMessage(err)}}
	}
	out := make([]hookd.FieldError, len(fields))
	for i, f := range fields {
		out[i] = hookd.FieldError{Pointer: at + f.Pointer, Message: f.Message}
	}
	return out
}

// batchEvents returns the raw events of a batch body. It walks the body
// once; anything but an object with exactly an "events" array goes
// through decodeJSON for the precise error.
func batchEvents(b []byte) ([]json.RawMessage, error) {
	if raws, ok := fastBatch(b); ok {
		return raws, nil
	}
	var in PublishBatchInput
	if err := decodeJSON(b, &in); err != nil {
		return nil, err
	}
	if in.Events == nil {
		return nil, invalid("/events", "is required: a list of 1 to "+strconv.Itoa(hookd.MaxPublishBatch)+" events")
	}
	// A shape fastBatch leaves to decodeJSON, such as a repeated member:
	// each event as decoded, data byte for byte.
	raws := make([]json.RawMessage, len(in.Events))
	for i, e := range in.Events {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		raws[i] = buf.Bytes()
	}
	return raws, nil
}

func fastBatch(b []byte) ([]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if !expectTokens(dec, json.Delim('{'), "events", json.Delim('[')) {
		return nil, false
	}
	var raws []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		raws = append(raws, raw)
	}
	if !expectTokens(dec, json.Delim(']'), json.Delim('}')) {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return raws, len(raws) > 0
}
