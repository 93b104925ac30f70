package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/bulkretry"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
)

// node is one running hookd: its store, delivery engine and HTTP handler.
// "hookd serve" runs one; "hookd bench" runs one or more in its process.
type node struct {
	cfg     *config.Config
	store   hookd.Store
	guard   *egress.Guard
	engine  *delivery.Engine
	catalog *catalog.Catalog
	retries *bulkretry.Runner
	handler http.Handler
	// receiveHandler serves the sources on receive.addr; nil when the
	// sources are served by handler.
	receiveHandler http.Handler
	closers        []func(context.Context) error // run in reverse order by close
	tracer         trace.TracerProvider          // from the OTEL_* environment; a no-op one when off
}

// startNode opens the store, starts the engine and builds the handler.
// stderr receives the API key hookd creates when none is configured.
func startNode(ctx context.Context, cfg *config.Config, logger *slog.Logger, stderr io.Writer) (n *node, err error) {
	n = &node{cfg: cfg}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.close(ctx))
		}
	}()
	if err = n.startTracing(ctx, logger); err != nil {
		return n, err
	}
	if n.guard, err = newGuard(cfg); err != nil {
		return n, err
	}
	if n.store, err = openStore(ctx, cfg, logger); err != nil {
		return n, err
	}
	n.onClose(func(context.Context) error { return wrapErr("close store", n.store.Close()) })
	registry := newRegistry()
	sources, err := startSources(ctx, n, logger)
	if err != nil {
		return n, err
	}
	if n.catalog, err = startCatalog(ctx, n, logger); err != nil {
		return n, err
	}
	if n.engine, err = newEngine(cfg, n.guard, n.store, registry, n.tracer, logger, sources.Forward, n.catalog.Check); err != nil {
		return n, err
	}
	if err := n.engine.Start(ctx); err != nil {
		return n, fmt.Errorf("start delivery engine: %w", err)
	}
	// The engine stops before the store closes: it commits the results of
	// attempts in flight and releases its leases.
	n.onClose(func(ctx context.Context) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(cfg.Server.ShutdownTimeout))
		defer cancel()
		return wrapErr("stop delivery engine", n.engine.Close(sctx))
	})
	n.startRetries(ctx, logger)
	purgeCtx, stopPurge := context.WithCancel(context.WithoutCancel(ctx))
	n.onClose(func(context.Context) error { stopPurge(); return nil })
	go purgeLoop(purgeCtx, n.store, cfg.Retention, logger)

	inbound := startInbound(ctx, n, sources, registry, logger)
	api, err := newAPI(ctx, cfg, n, registry, logger, stderr, sourceHooks(sources, inbound, logger))
	if err != nil {
		return n, err
	}
	opts := handlerOptions{Store: n.store, API: api.Handler(), Inbound: inbound, Registry: registry, Logger: logger,
		OpenAPI: api.OpenAPIHandler(), Docs: api.DocsHandler()}
	if cfg.Receive.Addr != "" {
		opts.Inbound, n.receiveHandler = nil, newReceiveHandler(inbound)
	}
	if cfg.Metrics.RequireKey {
		opts.MetricsAuthFunc = api.Authenticate
	}
	if opts.UI, err = newDashboard(cfg, api, n.store, logger); err != nil {
		return n, err
	}
	n.handler = newHandler(opts)
	return n, nil
}

// newAPI builds the REST API, creating an API key when none exists.
func newAPI(ctx context.Context, cfg *config.Config, n *node, reg *prometheus.Registry, logger *slog.Logger, stderr io.Writer, hooks sourceAPIHooks) (*httpapi.Server, error) {
	newKey, err := httpapi.EnsureAPIKey(ctx, n.store, cfg.APIKey)
	if err != nil {
		return nil, fmt.Errorf("api key: %w", err)
	}
	if newKey != "" {
		// Printed once, straight to stderr and never through the logger:
		// only its keyed hash is stored.
		fmt.Fprintf(stderr, "\nNo API key was configured, so hookd created one. It is shown only now:\n\n    %s\n\n", newKey)
		if k, err := n.store.APIKeyBySecret(ctx, newKey); err == nil {
			httpapi.LogKeyChange(ctx, logger, hookd.LogActorStartup, hookd.LogActionCreated, k)
		}
	}
	return httpapi.New(httpapi.Config{
		Store:        n.store,
		Engine:       n.engine,
		Logger:       logger,
		URLCheckFunc: n.guard.CheckURL,
		MaxBody:      int64(cfg.Delivery.MaxBody),
		MaxInFlight:  cfg.Server.MaxInflight,
		Registry:     reg,
		Catalog:      n.catalog,
		Version:      versionString(),

		BootstrapKey:      cfg.APIKey,
		DefaultPayload:    cfg.Delivery.Payload,
		EndpointCheckFunc: delivery.CheckEndpoint,
		TransformTestFunc: n.engine.TestTransform,

		SourceCheckFunc:    hooks.checkFunc,
		SourcesChangedFunc: hooks.changedFunc,
		ReplayFunc:         hooks.replayFunc,

		RetryJobsChangedFunc: n.retries.Wake,

		TracerProvider: n.tracer,
	}), nil
}

// startRetries runs the bulk retries of deliveries that any node accepted;
// it stops before the engine, whose Requeue it uses.
func (n *node) startRetries(ctx context.Context, logger *slog.Logger) {
	n.retries = bulkretry.New(bulkretry.Config{Store: n.store, Engine: n.engine, NodeID: n.engine.NodeID(),
		Lease: time.Duration(n.cfg.Delivery.Lease), Logger: logger})
	n.retries.Start(context.WithoutCancel(ctx))
	n.onClose(func(context.Context) error { n.retries.Close(); return nil })
}

func (n *node) onClose(f func(context.Context) error) { n.closers = append(n.closers, f) }

// close stops what startNode started, in reverse order.
func (n *node) close(ctx context.Context) error {
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		errs = append(errs, n.closers[i](ctx))
	}
	n.closers = nil
	return errors.Join(errs...)
}

func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
