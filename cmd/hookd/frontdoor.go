package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
)

// frontDoor is what every listener of hookd shares: HTTPS when tls.* is
// set, and the reverse proxies whose X-Forwarded-For is believed. A second
// listener serves with it in one line: door.serve(door.httpServer(…), ln).
type frontDoor struct {
	certs   *certHolder    // nil: plain HTTP
	trusted []netip.Prefix // server.trusted_proxies
}

// newFrontDoor loads the certificate, if any, and starts reloading it on
// SIGHUP until ctx ends.
func newFrontDoor(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*frontDoor, error) {
	trusted, err := cfg.Server.TrustedProxyPrefixes()
	if err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	d := &frontDoor{trusted: trusted}
	if !cfg.TLS.Enabled() {
		return d, nil
	}
	if d.certs, err = newCertHolder(cfg.TLS.CertFile, cfg.TLS.KeyFile, logger); err != nil {
		return nil, err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		d.certs.reloadOnSignal(ctx, hup)
	}()
	return d, nil
}

// httpServer returns the server of one listener for h: every timeout set
// from c, the client address resolved through the trusted proxies, and
// the TLS configuration when HTTPS is on.
func (d *frontDoor) httpServer(c config.Server, h http.Handler, logger *slog.Logger) *http.Server {
	srv := newHTTPServer(c, clientAddr(d.trusted, h), logger)
	if d.certs != nil {
		srv.TLSConfig = d.certs.TLSConfig()
	}
	return srv
}

// serve serves srv on ln, with TLS when HTTPS is on, until srv is shut
// down (then it returns http.ErrServerClosed).
func (d *frontDoor) serve(srv *http.Server, ln net.Listener) error {
	if d.certs != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// scheme is "https" with TLS, else "http".
func (d *frontDoor) scheme() string {
	if d.certs != nil {
		return "https"
	}
	return "http"
}

// clientAddr sets r.RemoteAddr to the client's address when the request
// comes from a trusted proxy: the rightmost X-Forwarded-For entry that is
// not itself a trusted proxy (or the leftmost, when all are), with port 0.
// Entries further left were written by the client and are never believed.
// An entry that should be the client but is not an IP address is refused
// with 400: a proxy appends the address of its peer, so the proxy is
// misconfigured, and no address could be vouched for (fail closed, so that
// ip_allow never sees the proxy's own address instead). With no trusted
// proxies h is returned as it is: X-Forwarded-For is ignored.
func clientAddr(trusted []netip.Prefix, h http.Handler) http.Handler {
	if len(trusted) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !inPrefixes(peer.Addr(), trusted) {
			h.ServeHTTP(w, r)
			return
		}
		client, bad := forwardedClient(r.Header.Values("X-Forwarded-For"), trusted)
		if bad != "" {
			writeProblem(w, http.StatusBadRequest, hookd.EMALFORMED,
				fmt.Sprintf("X-Forwarded-For entry %q from a trusted proxy is not an IP address", bad))
			return
		}
		if client.IsValid() {
			r2 := *r // shallow copy: the caller's request stays as it was
			r2.RemoteAddr = netip.AddrPortFrom(client, 0).String()
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}

// forwardedClient walks the X-Forwarded-For entries from the right and
// returns the first that is not a trusted proxy, the leftmost when all
// are, and the invalid Addr when there are none. bad is an entry that is
// not an address where the client should be.
func forwardedClient(values []string, trusted []netip.Prefix) (client netip.Addr, bad string) {
	var hops []string
	for _, v := range values {
		for hop := range strings.SplitSeq(v, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				hops = append(hops, hop)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil || ip.Zone() != "" {
			return netip.Addr{}, hops[i]
		}
		client = ip.Unmap()
		if !inPrefixes(client, trusted) {
			return client, ""
		}
	}
	return client, ""
}

func inPrefixes(ip netip.Addr, ps []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
