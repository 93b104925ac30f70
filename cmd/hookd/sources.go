package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/receive"
)

// configSources reads the sources declared in the configuration file and
// checks each one, naming the YAML line of every mistake. Schemas of
// these sources may be files, read relative to the file's directory, and
// their forwards may set allow_private: the operator wrote them. Forward
// URLs get the same checks as through the API, by guard.
func configSources(cfg *config.Config, guard *egress.Guard) ([]*hookd.Source, map[string]receive.Options, error) {
	opts := receive.Options{SchemaFiles: true, Dir: filepath.Dir(cfg.File()), AllowPrivate: true, Guard: guard}
	var (
		srcs  []*hookd.Source
		errs  []error
		seen  = map[string]bool{}
		paths = map[string]string{} // path → id of the source served there
		byID  = map[string]receive.Options{}
	)
	for _, it := range cfg.Sources {
		src, err := sourceItem(it.JSON)
		if err == nil {
			err = src.Validate()
		}
		var c *receive.Source
		if err == nil {
			c, err = receive.Compile(src, opts)
		}
		switch {
		case err == nil && seen[src.ID]:
			err = it.Errorf("/id", "source %q is declared twice", src.ID)
		case err == nil && paths[c.Path()] != "":
			err = it.Errorf("/path", "%s is already the path of source %q", c.Path(), paths[c.Path()])
		case err != nil:
			err = it.Wrap(err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[src.ID], paths[c.Path()] = true, src.ID
		byID[src.ID] = opts
		srcs = append(srcs, src)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("sources: %w", err)
	}
	return srcs, byID, nil
}

// sourceItem splits a configured source into its id, description and
// spec (every other member, in its order, with its bytes) exactly as the
// API splits a source it is sent (httpapi.Source). created_at and
// updated_at, which hookd sets, are refused.
func sourceItem(b json.RawMessage) (*hookd.Source, error) {
	var in httpapi.Source
	if err := in.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	var fe []hookd.FieldError
	if !in.CreatedAt.IsZero() {
		fe = append(fe, hookd.FieldError{Pointer: "/created_at", Message: "is set by hookd"})
	}
	if !in.UpdatedAt.IsZero() {
		fe = append(fe, hookd.FieldError{Pointer: "/updated_at", Message: "is set by hookd"})
	}
	if in.ID == "" {
		fe = append(fe, hookd.FieldError{Pointer: "/id", Message: "is required"})
	}
	if len(fe) > 0 {
		return nil, hookd.Invalid("invalid source", fe...)
	}
	return &hookd.Source{ID: in.ID, Description: in.Description, Spec: in.Spec}, nil
}

// startSources stores the configured sources (replacing what the API
// changed in them) and loads every source into a registry, which then
// follows changes made through the API or another node.
func startSources(ctx context.Context, n *node, logger *slog.Logger) (*receive.Registry, error) {
	srcs, configured, err := configSources(n.cfg, n.guard)
	if err != nil {
		return nil, err
	}
	for _, src := range srcs {
		if err := n.store.PutSource(ctx, src); err != nil {
			return nil, fmt.Errorf("store source %s: %w", src.ID, err)
		}
	}
	reg := receive.NewRegistry(receive.RegistryConfig{Store: n.store, Configured: configured, Logger: logger, Guard: n.guard})
	if err := reg.Load(ctx); err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); reg.Run(rctx) }()
	n.onClose(func(context.Context) error { stop(); <-done; return nil })
	return reg, nil
}

// startInbound builds the server of /in/{id} and starts its request log.
// It stops (logging what is queued) before the engine does.
func startInbound(ctx context.Context, n *node, reg *receive.Registry, metrics prometheus.Registerer, logger *slog.Logger) *receive.Server {
	srv := receive.NewServer(receive.Config{
		Registry:         reg,
		Engine:           n.engine,
		Store:            n.store,
		Logger:           logger,
		MaxInFlight:      n.cfg.Server.MaxInflight,
		DecompressBudget: int64(n.cfg.Receive.DecompressBudget),
		Registerer:       metrics,
		TracerProvider:   n.tracer,
	})
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(rctx) }()
	n.onClose(func(context.Context) error {
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		return nil
	})
	return srv
}

// sourceAPIHooks connect the REST API to the inbound side.
type sourceAPIHooks struct {
	checkFunc   func(src *hookd.Source) error
	changedFunc func()
	replayFunc  func(ctx context.Context, sourceID, requestID string) (string, []string, error)
}

func sourceHooks(reg *receive.Registry, srv *receive.Server, logger *slog.Logger) sourceAPIHooks {
	return sourceAPIHooks{
		checkFunc: reg.Check,
		changedFunc: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := reg.Reload(ctx); err != nil {
				reg.Invalidate() // the poller tries again
				logger.Warn("reload sources after a change", "err", err)
			}
		},
		replayFunc: func(ctx context.Context, sourceID, requestID string) (string, []string, error) {
			r, err := srv.Replay(ctx, sourceID, requestID)
			if err != nil {
				return "", nil, err
			}
			return r.RequestID, r.EventIDs, nil
		},
	}
}
