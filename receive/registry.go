package receive

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
)

// SourceLister is what a Registry reads: the sources, and a number that
// grows whenever one changes (hookd.Store has both).
type SourceLister interface {
	ListSources(ctx context.Context) ([]*hookd.Source, error)
	ChangeSeq(ctx context.Context) (int64, error)
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// Store holds the sources. Required.
	Store SourceLister
	// Configured maps the ids of sources declared in the configuration
	// file to the options they compile with (they may read schema files).
	// Other sources compile with the zero Options (plus NowFunc).
	Configured map[string]Options
	// PollInterval is how often the store's change sequence is checked,
	// so that a change made through another node takes effect. Default 1s.
	PollInterval time.Duration
	// NowFunc is the clock of the compiled sources. Default time.Now.
	NowFunc func() time.Time
	// Logger receives sources that fail to compile. Default slog.Default().
	Logger *slog.Logger
	// Guard vets the forward URLs of the sources Check is given (those the
	// API stores). Default egress.NewGuard(nil).
	Guard *egress.Guard
}

// Registry keeps the compiled sources of a store, reloading them when the
// store's change sequence moves. It is safe for concurrent use.
type Registry struct {
	cfg   RegistryConfig
	cur   atomic.Pointer[snapshot]
	dirty atomic.Bool
	kick  chan struct{}
	mu    sync.Mutex // serializes reloads
}

// snapshot is one generation of compiled sources.
type snapshot struct {
	seq      int64
	byID     map[string]*entry
	byPath   map[string]*entry
	forwards map[string]*hookd.Endpoint
}

// entry is a stored source and what compiling it gave.
type entry struct {
	stored *hookd.Source
	src    *Source
	err    error
	path   string // where it is served ("" when it has none it can hold)
}

// NewRegistry returns a registry; it holds no source until Load.
func NewRegistry(cfg RegistryConfig) *Registry {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Guard == nil {
		cfg.Guard = egress.NewGuard(nil)
	}
	r := &Registry{cfg: cfg, kick: make(chan struct{}, 1)}
	r.cur.Store(&snapshot{seq: -1, byID: map[string]*entry{}, byPath: map[string]*entry{}, forwards: map[string]*hookd.Endpoint{}})
	return r
}

// Load compiles the store's sources now, unless nothing changed since the
// last load.
func (r *Registry) Load(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	dirty := r.dirty.Swap(false)
	seq, err := r.cfg.Store.ChangeSeq(ctx)
	if err != nil {
		r.dirty.Store(true)
		return fmt.Errorf("load sources: %w", err)
	}
	cur := r.cur.Load()
	if seq == cur.seq && !dirty {
		return nil
	}
	stored, err := r.cfg.Store.ListSources(ctx)
	if err != nil {
		r.dirty.Store(true)
		return fmt.Errorf("load sources: %w", err)
	}
	next := &snapshot{seq: seq, byID: make(map[string]*entry, len(stored)),
		byPath: make(map[string]*entry, len(stored)), forwards: map[string]*hookd.Endpoint{}}
	for _, st := range stored {
		e := cur.byID[st.ID]
		if e == nil || !e.stored.UpdatedAt.Equal(st.UpdatedAt) || string(e.stored.Spec) != string(st.Spec) {
			e = r.compile(st)
		}
		next.byID[st.ID] = e
		if e.src != nil {
			for _, f := range e.src.forwards {
				next.forwards[f.ep.ID] = f.ep
			}
		}
	}
	r.mapPaths(next, stored)
	r.cur.Store(next)
	return nil
}

// mapPaths serves each source at its path. Two sources that claim one
// path (created at once through two nodes, past the API's check) are
// resolved the same way on every node: the one created first keeps it.
func (r *Registry) mapPaths(next *snapshot, stored []*hookd.Source) {
	order := slices.Clone(stored)
	slices.SortStableFunc(order, func(a, b *hookd.Source) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, st := range order {
		e := next.byID[st.ID]
		if e.path == "" {
			continue
		}
		if held := next.byPath[e.path]; held != nil {
			r.cfg.Logger.Error("two sources claim one path; the older one keeps it", "path", e.path, "source", st.ID, "kept_by", held.stored.ID)
			continue
		}
		next.byPath[e.path] = e
	}
}

func (r *Registry) compile(st *hookd.Source) *entry {
	o, ok := r.cfg.Configured[st.ID]
	if !ok {
		o = Options{}
	}
	if o.NowFunc == nil {
		o.NowFunc = r.cfg.NowFunc
	}
	src, err := Compile(st, o)
	if err != nil {
		r.cfg.Logger.Error("source does not compile; its requests are answered 500", "source", st.ID, "err", err)
		return &entry{stored: st, err: err, path: specPath(st)}
	}
	return &entry{stored: st, src: src, path: src.path}
}

// specPath is the path of a source that does not compile, so that its
// requests are answered 500 rather than 404; "" when the path itself is
// what is wrong.
func specPath(st *hookd.Source) string {
	spec, _ := parseSpec(st.Spec)
	if spec == nil || spec.Path == "" {
		return DefaultPath(st.ID)
	}
	if checkPath(spec.Path, st.ID) != "" {
		return ""
	}
	return spec.Path
}

// Run reloads the sources every PollInterval, or at once after
// Invalidate, until ctx ends. Errors are logged and retried.
func (r *Registry) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
		if err := r.Load(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("reload sources", "err", err)
		}
	}
}

// Reload compiles the sources now, even if the change sequence did not
// move: a change made through this node takes effect before the caller
// answers.
func (r *Registry) Reload(ctx context.Context) error {
	r.dirty.Store(true)
	return r.Load(ctx)
}

// Invalidate makes Run reload the sources at once, even if the change
// sequence did not move.
func (r *Registry) Invalidate() {
	r.dirty.Store(true)
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Get returns the compiled source. It fails with ENOTFOUND for an unknown
// id, and with EINTERNAL for a stored source that does not compile.
func (r *Registry) Get(id string) (*Source, error) {
	e := r.cur.Load().byID[id]
	if e == nil {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "no source %q", id)
	}
	if e.err != nil {
		return nil, &hookd.Error{Code: hookd.EINTERNAL, Message: "the source is misconfigured", Err: e.err}
	}
	return e.src, nil
}

// Lookup returns the compiled source served at path. It fails with
// ENOTFOUND when no source is, and with EINTERNAL for a stored source
// that does not compile. A trailing "/" is ignored ("/github/" finds
// "/github").
func (r *Registry) Lookup(path string) (*Source, error) {
	snap := r.cur.Load()
	e := snap.byPath[path]
	if e == nil && len(path) > 1 && strings.HasSuffix(path, "/") {
		e = snap.byPath[strings.TrimSuffix(path, "/")]
	}
	if e == nil {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "no source at %s", path)
	}
	if e.err != nil {
		return nil, &hookd.Error{Code: hookd.EINTERNAL, Message: "the source is misconfigured", Err: e.err}
	}
	return e.src, nil
}

// Forward returns the endpoint of a forward destination by its target id
// (see ForwardTargetID), or nil. It is the delivery engine's resolver of
// forward destinations (delivery.Config.ForwardsFunc); the same pointer comes
// back while the source is unchanged.
func (r *Registry) Forward(id string) *hookd.Endpoint {
	return r.cur.Load().forwards[id]
}

// Check compiles a source as the API would store it, so that a bad spec
// is refused before it is stored: an EINVALID *hookd.Error whose fields
// point into the source.
//
// A path another source is served at is refused too (EINVALID at
// /path): the sources are reloaded from the store first, so that one
// created through another node counts.
func (r *Registry) Check(src *hookd.Source) error {
	c, err := Compile(src, Options{NowFunc: r.cfg.NowFunc, Guard: r.cfg.Guard})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Load(ctx); err != nil {
		r.cfg.Logger.Warn("check source path: reload sources", "err", err)
	}
	if held := r.cur.Load().byPath[c.path]; held != nil && held.stored.ID != src.ID {
		return hookd.Invalid("invalid source", hookd.FieldError{Pointer: "/path",
			Message: fmt.Sprintf("%s is already the path of source %q; choose another", c.path, held.stored.ID)})
	}
	return nil
}
