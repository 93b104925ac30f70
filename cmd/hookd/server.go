package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hookd/hookd/config"
)

// newHTTPServer returns a server for h with every timeout set from c.
func newHTTPServer(c config.Server, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: time.Duration(c.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(c.ReadTimeout),
		WriteTimeout:      time.Duration(c.WriteTimeout),
		IdleTimeout:       time.Duration(c.IdleTimeout),
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// runHTTP serves h on cfg.Addr through door (HTTPS, trusted proxies)
// until ctx is done, then stops accepting and waits up to
// server.shutdown_timeout for the requests in flight. It logs
// msg=listening with the bound address once it accepts connections, so
// that ":0" can be used. A drain that times out closes the remaining
// connections and is an error.
func runHTTP(ctx context.Context, cfg *config.Config, door *frontDoor, h http.Handler, logger *slog.Logger) error {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := door.httpServer(cfg.Server, h, logger)
	served := make(chan error, 1)
	go func() { served <- door.serve(srv, ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "scheme", door.scheme())

	select {
	case err := <-served:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	timeout := time.Duration(cfg.Server.ShutdownTimeout)
	logger.Info("shutting down", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain http requests: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}
