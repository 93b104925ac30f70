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

// listener is one address served with its handler.
type listener struct {
	name string // "addr" or "receive.addr", for the log
	addr string
	h    http.Handler
}

// listen opens the TCP listener of one address. Every listener of hookd
// is made here.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// runHTTP serves h on cfg.Addr, and inbound (when not nil) on
// cfg.Receive.Addr, through door (HTTPS, trusted proxies) until ctx is
// done, then stops accepting and waits up to server.shutdown_timeout for
// the requests in flight. It logs msg=listening with each bound address
// once it accepts connections, so that ":0" can be used. A drain that
// times out closes the remaining connections and is an error.
func runHTTP(ctx context.Context, cfg *config.Config, door *frontDoor, h, inbound http.Handler, logger *slog.Logger) error {
	ls := []listener{{"addr", cfg.Addr, h}}
	if inbound != nil {
		ls = append(ls, listener{"receive.addr", cfg.Receive.Addr, inbound})
	}
	var srvs []*http.Server
	served := make(chan error, len(ls))
	for _, l := range ls {
		ln, err := listen(ctx, l.addr)
		if err != nil {
			closeAll(srvs)
			return err
		}
		srv := door.httpServer(cfg.Server, l.h, logger)
		srvs = append(srvs, srv)
		go func() { served <- door.serve(srv, ln) }()
		logger.Info("listening", "addr", ln.Addr().String(), "listener", l.name, "scheme", door.scheme())
	}
	select {
	case err := <-served:
		closeAll(srvs)
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	return shutdown(ctx, cfg, srvs, served, logger)
}

// shutdown stops the servers, draining their requests within
// server.shutdown_timeout.
func shutdown(ctx context.Context, cfg *config.Config, srvs []*http.Server, served chan error, logger *slog.Logger) error {
	timeout := time.Duration(cfg.Server.ShutdownTimeout)
	logger.Info("shutting down", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var errs []error
	for _, srv := range srvs {
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
			errs = append(errs, fmt.Errorf("drain http requests: %w", err))
		}
	}
	for range srvs {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve http: %w", err))
		}
	}
	return errors.Join(errs...)
}

func closeAll(srvs []*http.Server) {
	for _, s := range srvs {
		_ = s.Close()
	}
}
