package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

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
// Before the host, CheckURL applies hookd.CheckURL (scheme, length, port,
// spaces and control characters, credentials, fragment), so that every
// outbound URL, an endpoint's or a forward's, passes the same checks; a
// guard that allows every address (AllowAll) skips only the host check.
//
// The error is a *hookd.Error with code hookd.EINVALID and one field error
// with pointer "/url"; when the host is refused it wraps ErrBlocked, and
// its message names ssrf.allow (--ssrf-allow), the way to reopen a range in
// development.
func (g *Guard) CheckURL(raw string) error {
	if msg := hookd.CheckURL(raw); msg != "" {
		return urlError(msg, nil)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		// Fail closed: a URL we cannot read has no host we could vouch for.
		return urlError("is not an absolute URL with a host", nil)
	}
	if g != nil && g.all {
		return nil
	}
	if msg, err := g.checkHost(u.Hostname()); err != nil {
		if errors.Is(err, ErrBlocked) {
			msg += allowHint
		}
		return urlError(msg, err)
	}
	return nil
}

// allowHint ends the message of a refused host: outside development the
// answer is another URL, but a developer aiming at a local receiver needs
// to know where the switch is.
const allowHint = "; to allow it in development, add its range to ssrf.allow (--ssrf-allow)"

// checkHost applies CheckURL's rules to a URL's host (no brackets, no
// port). A refused host gives a message for the user and an error that
// wraps ErrBlocked; an accepted one gives "", nil.
func (g *Guard) checkHost(host string) (string, error) {
	h := strings.TrimRight(foldHost(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		// The dialer still checks each address localhost resolves to.
		if g.Allowed(netip.IPv6Loopback()) || g.Allowed(netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return "", nil
		}
		return fmt.Sprintf("host %q is not allowed: it names the local machine", host),
			fmt.Errorf("host %s is %w", host, ErrBlocked)
	}
	ip, ok := parseLiteral(h)
	if !ok {
		if looksNumeric(h) {
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
	r, _ := blockedRange(a)
	msg := fmt.Sprintf("address %s is not allowed: it is in the blocked range %s", a, r)
	if a.String() != host {
		msg += fmt.Sprintf(" (host %q is this address)", host)
	}
	return msg, fmt.Errorf("address %s is %w", a, ErrBlocked)
}

func urlError(msg string, cause error) error {
	e := hookd.Invalid("url is not allowed", hookd.FieldError{Pointer: "/url", Message: msg})
	e.Err = cause
	return e
}

// foldHost lower-cases host and maps fullwidth ASCII forms and
// ideographic full stops to ASCII, as IDNA mapping (which the HTTP client
// applies before dialing) does, so that "１２７．０．０．１" is seen as 127.0.0.1.
func foldHost(host string) string {
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

// parseLiteral parses host as an IP address literal: IPv6 (with an
// optional zone) when it holds a colon, otherwise IPv4 in inet_aton forms.
func parseLiteral(host string) (netip.Addr, bool) {
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		return ip, err == nil
	}
	return parseIPv4(host)
}

// parseIPv4 parses s as inet_aton(3) and the WHATWG URL standard do: 1
// to 4 dot-separated parts, each decimal, octal (leading 0) or hex (leading
// 0x); the last part fills the bytes that remain (127.1 is 127.0.0.1,
// 2130706433 is 127.0.0.1).
func parseIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := parseIPv4Part(p)
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

func parseIPv4Part(p string) (uint64, bool) {
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
		if !isDigit(c, base) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(p, base, 64)
	return n, err == nil
}

// looksNumeric reports whether host's last label is a number (all
// digits, or 0x and hex digits): the URL standard's test for an IPv4 host.
func looksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	base := 10
	if len(last) >= 2 && (last[:2] == "0x" || last[:2] == "0X") {
		base, last = 16, last[2:]
		if last == "" {
			return true
		}
	}
	for _, c := range last {
		if !isDigit(c, base) {
			return false
		}
	}
	return last != ""
}

func isDigit(c rune, base int) bool {
	switch base {
	case 8:
		return c >= '0' && c <= '7'
	case 16:
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	return c >= '0' && c <= '9'
}
