package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
)

// certHolder holds the TLS certificate of tls.cert_file and tls.key_file
// and serves it to every listener through GetCertificate, so that a reload
// takes effect on new connections at once, on all listeners. It is safe
// for concurrent use.
type certHolder struct {
	certFile, keyFile string
	logger            *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
}

// newCertHolder loads the pair, failing with an error that names the file
// at fault.
func newCertHolder(certFile, keyFile string, logger *slog.Logger) (*certHolder, error) {
	h := &certHolder{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Reload reads the files again. On failure the certificate in use stays
// and the error says why; Reload does not log it (reloadOnSignal does).
func (h *certHolder) Reload() error {
	for _, f := range []struct{ key, path string }{{"tls.cert_file", h.certFile}, {"tls.key_file", h.keyFile}} {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	cert, err := tls.LoadX509KeyPair(h.certFile, h.keyFile)
	if err != nil {
		return fmt.Errorf("tls.cert_file %s and tls.key_file %s: %w", h.certFile, h.keyFile, err)
	}
	h.cert.Store(&cert)
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (h *certHolder) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := h.cert.Load()
	if c == nil {
		return nil, errors.New("no TLS certificate loaded")
	}
	return c, nil
}

// TLSConfig returns the server configuration of a listener: TLS 1.2 at
// least, the certificate from h, HTTP/2 and HTTP/1.1.
func (h *certHolder) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: h.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// reloadOnSignal reloads the certificate each time sig delivers (SIGHUP),
// until ctx ends. A failed reload is logged, and the old certificate
// keeps serving.
func (h *certHolder) reloadOnSignal(ctx context.Context, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			if err := h.Reload(); err != nil {
				h.logger.Error("TLS certificate not reloaded; the previous one stays in use", "err", err)
				continue
			}
			h.logger.Info("TLS certificate reloaded", "cert_file", h.certFile)
		}
	}
}
