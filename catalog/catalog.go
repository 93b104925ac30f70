package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// Store is where a store-backed catalog reads its event types;
// hookd.Store implements it.
type Store interface {
	ListEventTypes(ctx context.Context) ([]*hookd.EventType, error)
	// ChangeSeq grows whenever an event type (or anything else) changes.
	ChangeSeq(ctx context.Context) (int64, error)
}

// Catalog is a set of event types with their compiled schemas: it
// validates published data (Check, Validate) and describes the types
// (EventTypes, OpenAPI, the docs page).
//
// A catalog built by New holds the Go types given to it. One built by
// Open reads its types from a Store, reloads them at the next use after
// Invalidate, and, while Watch runs, when Store.ChangeSeq moves, which is
// how a change made through another node reaches this one. A schema is
// compiled once, and again only when it changes.
//
// A Catalog is safe for concurrent use. Its methods accept a nil
// *Catalog, which holds no types and accepts every publish.
type Catalog struct {
	store  Store // nil: the types given to New and Add
	strict atomic.Bool
	want   atomic.Int64 // the generation asked for; Invalidate bumps it
	snap   atomic.Pointer[snapshot]
	mu     sync.Mutex // serialises reloads and Add
	seq    int64      // the store's ChangeSeq at the last reload (under mu)
}

// snapshot is an immutable view of the catalog.
type snapshot struct {
	gen   int64
	types map[string]*entry
	names []string // sorted
}

// entry is one event type with its compiled schema.
type entry struct {
	t      *hookd.EventType
	schema *Schema // nil: any JSON
	err    error   // a stored schema that does not compile
	// declErr is what is wrong with a Go declaration (Type); New and Add
	// return it.
	declErr error
}

// brokenSchema is the error of a publish of a type whose stored schema
// does not compile: internal (the publisher cannot fix it), with the
// cause for the logs.
func (e *entry) brokenSchema() error {
	return &hookd.Error{Code: hookd.EINTERNAL, Message: "the schema of event type " + e.t.Name + " does not compile",
		Err: fmt.Errorf("catalog: event type %s: %w", e.t.Name, e.err)}
}

// builtinTypes are the operational events hookd publishes itself; strict
// mode never refuses them.
var builtinTypes = map[string]bool{hookd.TestEventType: true, hookd.EndpointDisabledEventType: true}

// New returns a catalog of the given Go event types (see Type and Group).
// It fails when two types share a name.
func New(defs ...Definer) (*Catalog, error) {
	c := &Catalog{}
	c.snap.Store(&snapshot{types: map[string]*entry{}})
	if err := c.Add(defs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Open returns a catalog of the event types in store, loading them now.
// Run Watch to follow changes made through other nodes.
func Open(ctx context.Context, store Store) (*Catalog, error) {
	c := &Catalog{store: store}
	c.want.Store(1)
	if _, err := c.current(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Add adds Go event types to a catalog built by New. It fails, adding
// none, when a name is taken, or when the catalog was built by Open (its
// types change through its store).
func (c *Catalog) Add(defs ...Definer) error {
	if c.store != nil {
		return errors.New("catalog: the types of a store-backed catalog change through its store")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	next := &snapshot{types: make(map[string]*entry, len(old.types)), names: slices.Clone(old.names)}
	for n, e := range old.types {
		next.types[n] = e
	}
	for _, d := range defs {
		for _, t := range d.definitions() {
			if t.declErr != nil {
				return t.declErr
			}
			if next.types[t.t.Name] != nil {
				return fmt.Errorf("catalog: event type %q is declared twice", t.t.Name)
			}
			next.types[t.t.Name] = t
			next.names = append(next.names, t.t.Name)
		}
	}
	slices.Sort(next.names)
	c.snap.Store(next)
	return nil
}

// SetStrict sets whether Check refuses event types that are not in the
// catalog (the strict_event_types setting). hookd's own operational
// types (webhook.test, endpoint.disabled) are always accepted. Default
// false.
func (c *Catalog) SetStrict(strict bool) { c.strict.Store(strict) }

// Invalidate marks the catalog stale: a store-backed catalog reloads
// before its next use. Call it after changing event types in the store.
func (c *Catalog) Invalidate() {
	if c != nil && c.store != nil {
		c.want.Add(1)
	}
}

// Watch polls the store's ChangeSeq every interval (1 s when 0) and
// reloads the catalog when it moves, until ctx is done; then it returns
// nil. A failed poll or reload marks the catalog stale, so the next
// Check reloads and reports the failure to its caller rather than
// validating against types that may be outdated. A catalog built by New
// has nothing to watch: Watch returns at once.
func (c *Catalog) Watch(ctx context.Context, interval time.Duration) error {
	if c == nil || c.store == nil {
		return nil
	}
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		seq, err := c.store.ChangeSeq(ctx)
		c.mu.Lock()
		moved := err != nil || seq != c.seq
		c.mu.Unlock()
		if moved {
			c.Invalidate()
			_, _ = c.current(ctx) // an error stays visible through the stale mark
		}
	}
}

// current returns an up-to-date snapshot, reloading a stale one.
func (c *Catalog) current(ctx context.Context) (*snapshot, error) {
	if c == nil {
		return &snapshot{}, nil
	}
	s := c.snap.Load()
	if c.store == nil || (s != nil && s.gen >= c.want.Load()) {
		return s, nil
	}
	return c.reload(ctx)
}

// reload reads the store's event types, compiling the schemas that
// changed since the last snapshot.
func (c *Catalog) reload(ctx context.Context) (*snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.want.Load()
	old := c.snap.Load()
	if old != nil && old.gen >= gen {
		return old, nil // another caller reloaded meanwhile
	}
	seq, err := c.store.ChangeSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: read change sequence: %w", err)
	}
	ts, err := c.store.ListEventTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: list event types: %w", err)
	}
	next := &snapshot{gen: gen, types: make(map[string]*entry, len(ts)), names: make([]string, 0, len(ts))}
	for _, t := range ts {
		next.types[t.Name] = storedEntry(t, old)
		next.names = append(next.names, t.Name)
	}
	slices.Sort(next.names)
	c.seq = seq
	c.snap.Store(next)
	return next, nil
}

// storedEntry compiles a stored type's schema, or reuses the previous
// snapshot's when the schema is unchanged.
func storedEntry(t *hookd.EventType, old *snapshot) *entry {
	e := &entry{t: t}
	if len(t.Schema) == 0 {
		return e
	}
	if old != nil {
		if prev := old.types[t.Name]; prev != nil && prev.schema != nil && string(prev.schema.raw) == string(t.Schema) {
			e.schema = prev.schema
			return e
		}
	}
	e.schema, e.err = CompileSchema(t.Schema)
	return e
}

// Check implements hookd.CheckFunc: it validates data against the schema
// of eventType and returns the type's delivery method ("" for POST). A
// type without a schema accepts any JSON. A type not in the catalog is
// accepted, unless the catalog is strict (EINVALID at /type). Violations
// are an EINVALID *hookd.Error with pointers under /data. A stored schema
// that no longer compiles fails closed, as an internal error.
func (c *Catalog) Check(ctx context.Context, eventType string, data []byte) (string, error) {
	s, err := c.current(ctx)
	if err != nil {
		return "", err
	}
	e := s.types[eventType]
	if e == nil {
		return "", c.unknown(eventType)
	}
	if e.err != nil {
		return "", e.brokenSchema()
	}
	if e.schema != nil {
		if err := e.schema.Validate(data, "/data"); err != nil {
			return "", err
		}
	}
	if len(e.t.Methods) == 0 {
		return "", nil
	}
	return e.t.Methods[0], nil
}

// unknown is the verdict on a type that is not in the catalog.
func (c *Catalog) unknown(eventType string) error {
	if c == nil || !c.strict.Load() || builtinTypes[eventType] {
		return nil
	}
	return hookd.Invalid("unknown event type", hookd.FieldError{Pointer: "/type",
		Message: fmt.Sprintf("%q is not in the event catalog (strict_event_types is on)", eventType)})
}

// Validate is Check without the method and without reloading: it
// validates data against the current schema of eventType.
func (c *Catalog) Validate(eventType string, data []byte) error {
	if c == nil {
		return nil
	}
	e := c.snap.Load().types[eventType]
	switch {
	case e == nil:
		return c.unknown(eventType)
	case e.err != nil:
		return e.brokenSchema()
	case e.schema == nil:
		return nil
	}
	return e.schema.Validate(data, "/data")
}

// EventTypes returns the catalog's event types by name, reloading a
// stale store-backed catalog first. The caller must not modify them.
func (c *Catalog) EventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	s, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*hookd.EventType, len(s.names))
	for i, n := range s.names {
		out[i] = s.types[n].t
	}
	return out, nil
}

// Lookup returns the event type named name, or nil.
func (c *Catalog) Lookup(name string) *hookd.EventType {
	if c == nil {
		return nil
	}
	if e := c.snap.Load().types[name]; e != nil {
		return e.t
	}
	return nil
}

var _ hookd.CheckFunc = (*Catalog)(nil).Check
