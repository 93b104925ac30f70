// SSRF guard: every outbound request hookd makes (endpoint deliveries,
// forwards, redirect hops) is dialed through a Guard, so that a tenant who
// controls a URL, or the DNS behind it, cannot make hookd reach loopback,
// private, link-local, metadata, multicast or other reserved addresses.

package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/hookd"
)

// ErrBlocked is wrapped by every error that refuses an address because the
// guard blocks it: dials (direct, after DNS, or on a redirect hop), the
// proxy check of NewTransport and CheckURL. Match it with errors.Is. The
// wrapping error names the address, e.g. "address 127.0.0.1 is blocked by
// the SSRF guard", so that an attempt's log says why it failed.
var ErrBlocked = errors.New("blocked by the SSRF guard")

// ssrfBlocked4 and ssrfBlocked6 are the blocklist of DESIGN.md ("SSRF
// blocklist"). ::ffff:0:0/96 is not listed: IPv4-mapped addresses are
// unmapped and checked as the IPv4 address they stand for.
var (
	ssrfBlocked4 = ssrfPrefixes(
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
	ssrfBlocked6 = ssrfPrefixes(
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

func ssrfPrefixes(s ...string) []netip.Prefix {
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
	_, blocked := ssrfBlockedRange(ip)
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

// ssrfBlockedRange returns the blocklist range that holds ip (unmapped, no
// zone), described for a user.
func ssrfBlockedRange(ip netip.Addr) (string, bool) {
	if ip.Is4() {
		for _, p := range ssrfBlocked4 {
			if p.Contains(ip) {
				return p.String(), true
			}
		}
		return "", false
	}
	for _, p := range ssrfBlocked6 {
		if p.Contains(ip) {
			return p.String(), true
		}
	}
	// IPv4-compatible (::a.b.c.d, deprecated by RFC 4291) may still be
	// routed to a.b.c.d by tunnelling stacks, so it is as blocked as a.b.c.d.
	b := ip.As16()
	if [12]byte(b[:12]) == ([12]byte{}) {
		if r, ok := ssrfBlockedRange(netip.AddrFrom4([4]byte(b[12:]))); ok {
			return r + " (IPv4-compatible form)", true
		}
	}
	return "", false
}

// CheckURL refuses, at configuration time, a URL whose host is a literal
// blocked address in any spelling the HTTP client or a system resolver
// would accept: IPv4 in inet_aton(3) forms (127.0.0.1, 127.1, 2130706433,
// 0x7f000001, 0177.0.0.1, 0x7f.1), IPv6 ([::1], [::ffff:127.0.0.1],
// [fe80::1%25eth0]), with fullwidth digits or trailing dots; and the name
// localhost and names under .localhost (RFC 6761), unless the guard allows
// loopback. Other host names are not resolved here: DNS can change, so the
// dial-time check of DialContext is the one that protects; CheckURL only
// gives an early, clear error.
//
// The error is a *hookd.Error with code hookd.EINVALID and one field error
// with pointer "/url"; when the host is refused it wraps ErrBlocked.
// CheckURL does not judge the scheme or anything else in the URL.
func (g *Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		// Fail closed: a URL we cannot read has no host we could vouch for.
		return ssrfURLError("is not an absolute URL with a host", nil)
	}
	if g != nil && g.all {
		return nil
	}
	if msg, err := g.checkHost(u.Hostname()); err != nil {
		return ssrfURLError(msg, err)
	}
	return nil
}

// checkHost applies CheckURL's rules to a URL's host (no brackets, no
// port). A refused host gives a message for the user and an error that
// wraps ErrBlocked; an accepted one gives "", nil.
func (g *Guard) checkHost(host string) (string, error) {
	h := strings.TrimRight(ssrfFoldHost(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		// The dialer still checks each address localhost resolves to.
		if g.Allowed(netip.IPv6Loopback()) || g.Allowed(netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return "", nil
		}
		return fmt.Sprintf("host %q is not allowed: it names the local machine", host),
			fmt.Errorf("host %s is %w", host, ErrBlocked)
	}
	ip, ok := ssrfParseLiteral(h)
	if !ok {
		if ssrfLooksNumeric(h) {
			// Fail closed: resolvers disagree on such hosts (127.0.0.08,
			// 1.2.3.4.5); the URL standard rejects them outright.
			return fmt.Sprintf("host %q is not a valid IP address", host),
				fmt.Errorf("invalid numeric host %q is %w", host, ErrBlocked)
		}
		return "", nil // a name: checked after DNS, at dial time
	}
	if g.Allowed(ip) {
		return "", nil
	}
	a := ip.WithZone("").Unmap()
	r, _ := ssrfBlockedRange(a)
	msg := fmt.Sprintf("address %s is not allowed: it is in the blocked range %s", a, r)
	if a.String() != host {
		msg += fmt.Sprintf(" (host %q is this address)", host)
	}
	return msg, fmt.Errorf("address %s is %w", a, ErrBlocked)
}

func ssrfURLError(msg string, cause error) error {
	e := hookd.Invalid("url is not allowed", hookd.FieldError{Pointer: "/url", Message: msg})
	e.Err = cause
	return e
}

// ssrfFoldHost lower-cases host and maps fullwidth ASCII forms and
// ideographic full stops to ASCII, as IDNA mapping (which the HTTP client
// applies before dialing) does, so that "１２７．０．０．１" is seen as 127.0.0.1.
func ssrfFoldHost(host string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3002 || r == 0xFF61:
			r = '.'
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}, host)
}

// ssrfParseLiteral parses host as an IP address literal: IPv6 (with an
// optional zone) when it holds a colon, otherwise IPv4 in inet_aton forms.
func ssrfParseLiteral(host string) (netip.Addr, bool) {
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		return ip, err == nil
	}
	return ssrfParseIPv4(host)
}

// ssrfParseIPv4 parses s as inet_aton(3) and the WHATWG URL standard do: 1
// to 4 dot-separated parts, each decimal, octal (leading 0) or hex (leading
// 0x); the last part fills the bytes that remain (127.1 is 127.0.0.1,
// 2130706433 is 127.0.0.1).
func ssrfParseIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := ssrfParseIPv4Part(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false
			}
			v |= n << (24 - 8*i)
			continue
		}
		if n >= 1<<(8*(5-len(parts))) {
			return netip.Addr{}, false
		}
		v |= n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func ssrfParseIPv4Part(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true // "0x" alone is 0 to inet_aton and the URL standard
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	for _, c := range p {
		if !ssrfIsDigit(c, base) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(p, base, 64)
	return n, err == nil
}

// ssrfLooksNumeric reports whether host's last label is a number (all
// digits, or 0x and hex digits): the URL standard's test for an IPv4 host.
func ssrfLooksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	base := 10
	if len(last) >= 2 && (last[:2] == "0x" || last[:2] == "0X") {
		base, last = 16, last[2:]
		if last == "" {
			return true
		}
	}
	for _, c := range last {
		if !ssrfIsDigit(c, base) {
			return false
		}
	}
	return last != ""
}

func ssrfIsDigit(c rune, base int) bool {
	switch base {
	case 8:
		return c >= '0' && c <= '7'
	case 16:
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	return c >= '0' && c <= '9'
}

// DialContext returns a dial function for http.Transport.DialContext that
// resolves the host itself, checks every address it resolves to, and
// connects only to the allowed ones (in the resolver's order, the other
// family after d.FallbackDelay as net.Dialer does). If none is allowed it
// returns an error wrapping ErrBlocked that names them. As a last line, d's
// Control hook checks the final IP of every socket before connect(2), so
// no connection is ever made to a blocked address, whatever path led there.
//
// d is copied, not retained; nil means a zero net.Dialer. Its Resolver,
// Timeout, Deadline, KeepAlive, LocalAddr and its own Control or
// ControlContext (run after the check) are honored. Only the tcp, tcp4 and
// tcp6 networks are supported: others are refused (fail closed).
func (g *Guard) DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := g.controlledDialer(d)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("network %q is not supported by the SSRF guard", network)}
		}
		host, portStr, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("invalid port %q", portStr)}
		}
		if dialer.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, dialer.Timeout)
			defer cancel()
		}
		ips, err := g.resolve(ctx, dialer.Resolver, network, host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		primaries, fallbacks := ssrfSplitFamilies(ips, uint16(port))
		if dialer.FallbackDelay < 0 || network != "tcp" {
			return ssrfDialSerial(ctx, dialer, network, append(primaries, fallbacks...))
		}
		return ssrfDialParallel(ctx, dialer, network, primaries, fallbacks)
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
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			// Fail closed: a destination we cannot read is not connected to.
			return fmt.Errorf("address %q is unreadable, so it is %w", address, ErrBlocked)
		}
		if !g.Allowed(ap.Addr()) {
			return fmt.Errorf("address %s is %w", ap.Addr().Unmap(), ErrBlocked)
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

// resolve returns the allowed addresses of host: itself if it is an IP
// literal (keeping its zone), else what the resolver returns for network.
// When none is allowed, the error wraps ErrBlocked and names them.
func (g *Guard) resolve(ctx context.Context, r *net.Resolver, network, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if host == "" {
		// Fail closed: an empty host would dial the local system.
		return nil, fmt.Errorf("empty host is %w", ErrBlocked)
	} else {
		if r == nil {
			r = net.DefaultResolver
		}
		ipNet := map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}[network]
		if ips, err = r.LookupNetIP(ctx, ipNet, host); err != nil {
			return nil, err
		}
	}
	var blocked []string
	out := ips[:0:0]
	for _, ip := range ips {
		if !g.Allowed(ip) {
			blocked = append(blocked, ip.Unmap().String())
			continue
		}
		out = append(out, ip.Unmap())
	}
	switch {
	case len(out) > 0:
		return out, nil
	case len(blocked) == 1 && blocked[0] == host:
		return nil, fmt.Errorf("address %s is %w", host, ErrBlocked)
	case len(blocked) == 1:
		return nil, fmt.Errorf("host %s: address %s is %w", host, blocked[0], ErrBlocked)
	case len(blocked) > 1:
		return nil, fmt.Errorf("host %s: addresses %s are %w", host, strings.Join(blocked, ", "), ErrBlocked)
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// ssrfSplitFamilies pairs ips with port and splits them as net.Dialer
// does: primaries share the first address's family, fallbacks are the rest.
func ssrfSplitFamilies(ips []netip.Addr, port uint16) (primaries, fallbacks []netip.AddrPort) {
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip, port)
		if ip.Is4() == ips[0].Is4() {
			primaries = append(primaries, ap)
		} else {
			fallbacks = append(fallbacks, ap)
		}
	}
	return primaries, fallbacks
}

// ssrfDialSerial dials addrs in order until one connects, giving each a
// share of the time left (at least 2s, as net.Dialer does). It returns the
// first error when all fail.
func ssrfDialSerial(ctx context.Context, d *net.Dialer, network string, addrs []netip.AddrPort) (net.Conn, error) {
	var firstErr error
	for i, ap := range addrs {
		if err := ctx.Err(); err != nil {
			if firstErr == nil {
				firstErr = &net.OpError{Op: "dial", Net: network, Err: err}
			}
			break
		}
		c, err := ssrfDialOne(ctx, d, network, ap, len(addrs)-i)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func ssrfDialOne(ctx context.Context, d *net.Dialer, network string, ap netip.AddrPort, remaining int) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok && remaining > 1 {
		left := time.Until(deadline)
		share := max(left/time.Duration(remaining), min(left, 2*time.Second))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, share)
		defer cancel()
	}
	return d.DialContext(ctx, network, ap.String())
}

// ssrfDialParallel races the primaries against the fallbacks, the latter
// started after d.FallbackDelay (default 300ms) or as soon as the
// primaries fail (RFC 8305, as net.Dialer does). The loser is closed.
func ssrfDialParallel(ctx context.Context, d *net.Dialer, network string, primaries, fallbacks []netip.AddrPort) (net.Conn, error) {
	if len(fallbacks) == 0 {
		return ssrfDialSerial(ctx, d, network, primaries)
	}
	type result struct {
		c       net.Conn
		err     error
		primary bool
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	returned := make(chan struct{})
	defer close(returned)
	results := make(chan result)
	race := func(addrs []netip.AddrPort, primary bool) {
		c, err := ssrfDialSerial(ctx, d, network, addrs)
		select {
		case results <- result{c, err, primary}:
		case <-returned:
			if c != nil {
				c.Close()
			}
		}
	}
	go race(primaries, true)
	delay := d.FallbackDelay
	if delay == 0 {
		delay = 300 * time.Millisecond
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var primaryErr, fallbackErr error
	for {
		select {
		case <-timer.C:
			go race(fallbacks, false)
		case r := <-results:
			if r.err == nil {
				return r.c, nil
			}
			if r.primary {
				primaryErr = r.err
			} else {
				fallbackErr = r.err
			}
			if primaryErr != nil && fallbackErr != nil {
				return nil, primaryErr
			}
			if timer.Stop() { // primaries failed first: start fallbacks now
				go race(fallbacks, false)
			}
		}
	}
}

// TransportOptions configures NewTransport. The zero value means the
// documented defaults.
type TransportOptions struct {
	// Proxy, when set, is the HTTP proxy every request goes through; it is
	// then the only address dialed, and it must pass the guard itself (put
	// it in the guard's allow list if it is internal). Default: no proxy.
	// The environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) is never read.
	Proxy *url.URL
	// MaxIdleConnsPerHost bounds the idle connections kept per host.
	// Default 64.
	MaxIdleConnsPerHost int
	// DialTimeout bounds resolving and connecting. Default 10s.
	DialTimeout time.Duration
}

// NewTransport returns an *http.Transport whose every connection is dialed
// through g (nil g: NewGuard(nil)). It uses no proxy unless opts.Proxy is
// set, never one from the environment. With a proxy, the proxy resolves
// the target, so only targets that are literal blocked addresses or
// localhost names can be refused here (with ErrBlocked); the proxy itself
// must enforce egress for names. Response time is bounded by each
// request's context, not by the transport (ResponseHeaderTimeout is 0).
func NewTransport(g *Guard, opts TransportOptions) *http.Transport {
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = 64
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	t := &http.Transport{
		DialContext:           g.DialContext(&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}),
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
	}
	if opts.Proxy != nil {
		proxy := *opts.Proxy
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if _, err := g.checkHost(req.URL.Hostname()); err != nil {
				return nil, fmt.Errorf("proxy request: %w", err)
			}
			return &proxy, nil
		}
	}
	return t
}

// CheckRedirect returns an http.Client CheckRedirect function. With follow
// false (the default policy) redirects are not followed: the client returns
// the 3xx response itself (http.ErrUseLastResponse). With follow true it
// follows up to max hops, then fails with an error; max < 1 follows none.
// Each hop is dialed through the client's transport, so a NewTransport
// client checks every hop against its guard.
func CheckRedirect(follow bool, max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !follow || max < 1 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects", max)
		}
		return nil
	}
}
