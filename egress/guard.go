// Package egress is hookd's SSRF guard: every outbound request hookd makes
// (endpoint deliveries, forwards, redirect hops) is dialed through a Guard,
// so that a tenant who controls a URL, or the DNS behind it, cannot make
// hookd reach loopback, private, link-local, metadata, multicast or other
// reserved addresses.
//
// The guard has two halves. At configuration time, CheckURL refuses a URL
// that is malformed or whose host is a literal blocked address, so that the
// user gets a clear 422. At dial time, the Control hook of a net.Dialer
// (DialContext, NewTransport) checks the address of every socket before it
// connects: that check is the one that protects, since DNS can change
// between the two (rebinding).
//
// The blocklist is DESIGN.md's; NewGuard reopens ranges (ssrf.allow, for
// development and tests) and AllowAll is for forwards the operator marked
// allow_private in the configuration file.
package egress

import (
	"errors"
	"net/netip"
)

// ErrBlocked is wrapped by every error that refuses an address because the
// guard blocks it: dials (direct, after DNS, or on a redirect hop), the
// proxy check of NewTransport and CheckURL. Match it with errors.Is. The
// wrapping error names the address, e.g. "address 127.0.0.1 is blocked by
// the SSRF guard", so that an attempt's log says why it failed.
var ErrBlocked = errors.New("blocked by the SSRF guard")

// blocked4 and blocked6 are the blocklist of DESIGN.md ("SSRF
// blocklist"). ::ffff:0:0/96 is not listed: IPv4-mapped addresses are
// unmapped and checked as the IPv4 address they stand for.
var (
	blocked4 = prefixes(
		"0.0.0.0/8",      // "this network"; 0.0.0.0 reaches the local host on Linux
		"10.0.0.0/8",     // private
		"100.64.0.0/10",  // carrier-grade NAT
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, and 255.255.255.255 broadcast
	)
	blocked6 = prefixes(
		"::/128",       // unspecified
		"::1/128",      // loopback
		"64:ff9b::/96", // NAT64: reaches any IPv4 address through a translator
		"2001::/32",    // Teredo: embeds an IPv4 address
		"2002::/16",    // 6to4: embeds an IPv4 address
		"fc00::/7",     // unique local
		"fe80::/10",    // link-local
		"ff00::/8",     // multicast
	)
)

func prefixes(s ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(s))
	for i, p := range s {
		ps[i] = netip.MustParsePrefix(p)
	}
	return ps
}

// Guard decides which addresses outbound requests may reach. A Guard is
// immutable and safe for concurrent use. A nil *Guard is the default
// policy, the same as NewGuard(nil): a guard that was forgotten blocks
// rather than permits.
type Guard struct {
	allow []netip.Prefix // reopened ranges; IPv4 ranges in IPv4 form
	all   bool           // permit every address
}

// NewGuard returns a guard that blocks the SSRF blocklist except the
// prefixes in allow (ssrf.allow in the config; e.g. 127.0.0.0/8 in tests).
// An IPv4 prefix also allows its ::ffff:-mapped form, and a mapped prefix
// such as ::ffff:127.0.0.0/104 is read as the IPv4 prefix it stands for.
// Invalid prefixes reopen nothing. NewGuard does not retain allow.
func NewGuard(allow []netip.Prefix) *Guard {
	g := &Guard{}
	for _, p := range allow {
		if !p.IsValid() {
			continue // fail closed: an unusable entry opens nothing
		}
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		g.allow = append(g.allow, p)
	}
	return g
}

// AllowAll returns a guard that permits every address. It is meant for
// operator-configured forwards with allow_private: true, never for URLs a
// tenant controls.
func AllowAll() *Guard { return &Guard{all: true} }

// Allowed reports whether outbound requests may reach ip. An IPv4-mapped
// address (::ffff:a.b.c.d) is checked as a.b.c.d, and an IPv4-compatible
// one (::a.b.c.d) is blocked when a.b.c.d is. An IPv6 zone is ignored. The
// invalid (zero) Addr is never allowed.
func (g *Guard) Allowed(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false // fail closed: not an address
	}
	if g != nil && g.all {
		return true
	}
	ip = ip.WithZone("").Unmap() // Prefix.Contains is false for zoned addresses: strip, don't skip
	if g.allowListed(ip) {
		return true
	}
	_, blocked := blockedRange(ip)
	return !blocked
}

func (g *Guard) allowListed(ip netip.Addr) bool {
	if g == nil {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// blockedRange returns the blocklist range that holds ip (unmapped, no
// zone), described for a user.
func blockedRange(ip netip.Addr) (string, bool) {
	if ip.Is4() {
		for _, p := range blocked4 {
			if p.Contains(ip) {
				return p.String(), true
			}
		}
		return "", false
	}
	for _, p := range blocked6 {
		if p.Contains(ip) {
			return p.String(), true
		}
	}
	// IPv4-compatible (::a.b.c.d, deprecated by RFC 4291) may still be
	// routed to a.b.c.d by tunnelling stacks, so it is as blocked as a.b.c.d.
	b := ip.As16()
	if [12]byte(b[:12]) == ([12]byte{}) {
		if r, ok := blockedRange(netip.AddrFrom4([4]byte(b[12:]))); ok {
			return r + " (IPv4-compatible form)", true
		}
	}
	return "", false
}
