package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
)

// newGuard builds the SSRF guard of ssrf.allow: it checks outbound URLs
// when they are created and every connection the engine makes.
func newGuard(cfg *config.Config) (*egress.Guard, error) {
	allow, err := cfg.SSRF.AllowPrefixes()
	if err != nil {
		return nil, fmt.Errorf("ssrf.allow: %w", err)
	}
	return egress.NewGuard(allow), nil
}

// newEngine builds the delivery engine from the configuration; forwards
// resolves the forward destinations of inbound sources, and check
// validates published events against the catalog.
func newEngine(cfg *config.Config, guard *egress.Guard, store hookd.Store, reg prometheus.Registerer, tp trace.TracerProvider, logger *slog.Logger, forwards func(id string) *hookd.Endpoint, check hookd.CheckFunc) (*delivery.Engine, error) {
	proxy, err := cfg.SSRF.ProxyURL()
	if err != nil {
		return nil, fmt.Errorf("ssrf.proxy: %w", err)
	}
	d := cfg.Delivery
	client := &http.Client{
		// Idle connections per host up to the workers: an endpoint with high
		// concurrency must not dial a new connection for every attempt.
		Transport:     egress.NewTransport(guard, egress.TransportOptions{Proxy: proxy, MaxIdleConnsPerHost: d.Workers}),
		CheckRedirect: egress.CheckRedirect(false, 0),
	}
	schedule := make([]time.Duration, len(d.RetrySchedule))
	for i, s := range d.RetrySchedule {
		schedule[i] = time.Duration(s)
	}
	perEndpoint := 0
	if cfg.Metrics.PerEndpoint {
		perEndpoint = cfg.Metrics.PerEndpointTop
	}
	return delivery.New(store, delivery.Config{
		PerEndpointTop: perEndpoint,
		NodeID:         cfg.NodeID,
		Logger:         logger,
		Registry:       reg,
		TracerProvider: tp,
		Client:         client,
		Guard:          guard,
		ForwardsFunc:   forwards,
		CheckFunc:      check,
		Schedule:       schedule,
		Timeout:        time.Duration(d.Timeout),
		Lease:          time.Duration(d.Lease),
		Workers:        d.Workers,
		MaxConcurrency: d.MaxConcurrency,
		DisableAfter:   time.Duration(d.DisableAfter),
		UserAgent:      "hookd/" + versionString(),
		Payload:        d.Payload,
		MaxBody:        int(d.MaxBody),
	}), nil
}

// purgeLoop deletes what outlived its retention, hourly, until ctx ends.
func purgeLoop(ctx context.Context, store hookd.Store, r config.Retention, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		n, err := store.Purge(ctx, hookd.Purge{
			EventsBefore:   now.Add(-time.Duration(r.Events)),
			RequestsBefore: now.Add(-time.Duration(r.Requests)),
			KeysBefore:     now.Add(-24 * time.Hour),
		})
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("purge old records", "err", err)
		case n > 0:
			logger.Info("purged old records", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
