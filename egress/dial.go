package egress

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// DialContext returns a dial function for http.Transport.DialContext: a
// copy of d whose Control hook checks the address of every socket before
// connect(2) and refuses a blocked one with an error wrapping ErrBlocked
// that names it. The check is on the address actually connected, after
// DNS, so a name that resolves (or is rebound) to a blocked address cannot
// reach it; net.Dialer then tries the host's next address, as it does for
// any failed one, and a dial whose every address is blocked returns the
// first refusal.
//
// d is copied, not retained; nil means a zero net.Dialer. All of its
// settings (Resolver, Timeout, Deadline, KeepAlive, FallbackDelay,
// LocalAddr) are honored, and its own Control or ControlContext runs after
// the check. Only the tcp, tcp4 and tcp6 networks are supported, and the
// host may not be empty (which would dial the local system): anything else
// is refused (fail closed).
func (g *Guard) DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := g.controlledDialer(d)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("network %q is not supported by the SSRF guard", network)}
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if host == "" {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("empty host is %w", ErrBlocked)}
		}
		return dialer.DialContext(ctx, network, addr)
	}
}

// controlledDialer returns a copy of d whose ControlContext refuses a
// socket whose destination the guard blocks, then runs d's own hook.
func (g *Guard) controlledDialer(d *net.Dialer) *net.Dialer {
	var c net.Dialer
	if d != nil {
		c = *d
	}
	inner, innerPlain := c.ControlContext, c.Control
	c.Control = nil
	c.ControlContext = func(ctx context.Context, network, address string, rc syscall.RawConn) error {
		if err := g.checkConnect(address); err != nil {
			return err
		}
		switch {
		case inner != nil:
			return inner(ctx, network, address, rc)
		case innerPlain != nil:
			return innerPlain(network, address, rc)
		}
		return nil
	}
	return &c
}

// checkConnect is the check of the Control hook: address is the "ip:port"
// about to be connected.
func (g *Guard) checkConnect(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: a destination we cannot read is not connected to.
		return fmt.Errorf("address %q is unreadable, so it is %w", address, ErrBlocked)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("address %s is %w", ap.Addr().WithZone("").Unmap(), ErrBlocked)
	}
	return nil
}
