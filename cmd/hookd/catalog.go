package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/config"
)

// catalogPoll is how often a node looks for event types changed through
// another node.
const catalogPoll = time.Second

// configEventTypes reads the event types declared in the configuration
// file and checks each one (its schema compiled, its examples validated
// against it), naming the YAML line of every mistake. A schema given as a
// string is the path of a JSON file, relative to the configuration
// file's directory.
func configEventTypes(cfg *config.Config) ([]*hookd.EventType, error) {
	dir := filepath.Dir(cfg.File())
	var (
		types []*hookd.EventType
		errs  []error
		seen  = map[string]bool{}
	)
	for _, it := range cfg.EventTypes {
		t, err := eventTypeItem(it.JSON, dir)
		if err == nil {
			_, err = catalog.CheckEventType(t)
		}
		switch {
		case err != nil:
			errs = append(errs, it.Wrap(err))
		case seen[t.Name]:
			errs = append(errs, it.Errorf("/name", "event type %q is declared twice", t.Name))
		default:
			seen[t.Name] = true
			types = append(types, t)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("event_types: %w", err)
	}
	return types, nil
}

// eventTypeKeys are the members of a configured event type.
var eventTypeKeys = []string{"name", "description", "group", "schema", "examples", "deprecated", "method", "methods"}

// eventTypeItem decodes one configured event type. Unknown members and
// members of the wrong type are EINVALID, pointing at them.
func eventTypeItem(b json.RawMessage, dir string) (*hookd.EventType, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, hookd.Invalid("invalid event type", hookd.FieldError{Pointer: "", Message: "must be an object"})
	}
	t := &hookd.EventType{}
	var method string
	var methods []string
	fields := map[string]struct {
		dst any
		msg string
	}{
		"name": {&t.Name, "must be a string"}, "description": {&t.Description, "must be a string"},
		"group": {&t.Group, "must be a string"}, "method": {&method, "must be a string"},
		"methods":    {&methods, "must be a list of strings"},
		"deprecated": {&t.Deprecated, "must be true or false"}, "examples": {&t.Examples, "must be a list of data values"},
	}
	var fe []hookd.FieldError
	for key, v := range m {
		f, known := fields[key]
		switch {
		case key == "schema":
			var err error
			if t.Schema, err = schemaOf(v, dir); err != nil {
				fe = append(fe, hookd.FieldError{Pointer: "/schema", Message: err.Error()})
			}
		case !known:
			fe = append(fe, hookd.FieldError{Pointer: "/" + key, Message: fmt.Sprintf("unknown key; an event type has %v", eventTypeKeys)})
		case json.Unmarshal(v, f.dst) != nil:
			fe = append(fe, hookd.FieldError{Pointer: "/" + key, Message: f.msg})
		}
	}
	if _, ok := m["name"]; !ok {
		fe = append(fe, hookd.FieldError{Pointer: "/name", Message: "is required"})
	}
	var mfe []hookd.FieldError
	t.Methods, mfe = hookd.MethodFields(method, methods)
	fe = append(fe, mfe...)
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b hookd.FieldError) int { return cmp.Compare(a.Pointer, b.Pointer) })
		return nil, hookd.Invalid("invalid event type", fe...)
	}
	return t, nil
}

// schemaOf returns a configured schema: inline, or read from the JSON or
// YAML file a string names.
func schemaOf(v json.RawMessage, dir string) (json.RawMessage, error) {
	var path string
	if json.Unmarshal(v, &path) != nil {
		return v, nil // inline; the catalog checks it
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	b, err := catalog.ReadSchemaFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema file: %w", err)
	}
	return b, nil
}

// startCatalog stores the configured event types (replacing what the API
// changed in them; types only made through the API are kept) and opens
// the catalog the engine validates publishes with. The catalog follows
// changes made through another node within catalogPoll.
func startCatalog(ctx context.Context, n *node, logger *slog.Logger) (*catalog.Catalog, error) {
	types, err := configEventTypes(n.cfg)
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if err := n.store.PutEventType(ctx, t); err != nil {
			return nil, fmt.Errorf("store event type %s: %w", t.Name, err)
		}
	}
	cat, err := catalog.Open(ctx, n.store)
	if err != nil {
		return nil, err
	}
	cat.SetStrict(n.cfg.StrictEventTypes)
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = cat.Watch(wctx, catalogPoll) }()
	n.onClose(func(context.Context) error { stop(); <-done; return nil })
	all, err := cat.EventTypes(ctx)
	if err != nil {
		return nil, err
	}
	logger.Info("event catalog loaded", "types", len(all), "configured", len(types), "strict", n.cfg.StrictEventTypes)
	return cat, nil
}
