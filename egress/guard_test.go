package egress

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// designBlocklist is DESIGN.md's "SSRF blocklist", written out again so
// that the implementation is checked against the spec, not against itself.
// ::ffff:0:0/96 is tested apart: it is checked as the mapped IPv4.
var designBlocklist = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "64:ff9b::/96", "2001::/32", "2002::/16",
	"fc00::/7", "fe80::/10", "ff00::/8",
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestGuardAllowedBlocklist(t *testing.T) {
	t.Parallel()
	g := NewGuard(nil)
	for _, s := range designBlocklist {
		p := netip.MustParsePrefix(s)
		for _, ip := range []netip.Addr{p.Addr(), lastAddr(p)} {
			if g.Allowed(ip) {
				t.Errorf("Allowed(%s) = true; %s is on the blocklist", ip, s)
			}
			if ip.Is4() {
				mapped := netip.AddrFrom16(ip.As16())
				if g.Allowed(mapped) {
					t.Errorf("Allowed(%s) = true; mapped form of blocked %s", mapped, ip)
				}
			}
		}
		// Just outside each range is allowed unless another range or a
		// special case holds it.
		if before := p.Addr().Prev(); before.IsValid() && !inDesignBlocklist(before) && !ipv4Compatible(before) {
			if !g.Allowed(before) {
				t.Errorf("Allowed(%s) = false; it is just below %s and not blocked", before, s)
			}
		}
		if after := lastAddr(p).Next(); after.IsValid() && !inDesignBlocklist(after) && !ipv4Compatible(after) {
			if !g.Allowed(after) {
				t.Errorf("Allowed(%s) = false; it is just above %s and not blocked", after, s)
			}
		}
	}
}

func inDesignBlocklist(ip netip.Addr) bool {
	for _, s := range designBlocklist {
		if netip.MustParsePrefix(s).Contains(ip) {
			return true
		}
	}
	return false
}

func ipv4Compatible(ip netip.Addr) bool {
	return netip.MustParsePrefix("::/96").Contains(ip) || ip.Is4In6()
}

var loopback4 = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

var allowedCases = []struct {
	name  string
	guard *Guard
	ip    string
	want  bool
}{
	{"public v4", NewGuard(nil), "8.8.8.8", true},
	{"public v6", NewGuard(nil), "2606:4700::1", true},
	{"example.com", NewGuard(nil), "93.184.216.34", true},
	{"metadata", NewGuard(nil), "169.254.169.254", false},
	{"broadcast", NewGuard(nil), "255.255.255.255", false},
	{"unspecified v4", NewGuard(nil), "0.0.0.0", false},
	{"private 172.31", NewGuard(nil), "172.31.255.255", false},
	{"just past 172.16/12", NewGuard(nil), "172.32.0.0", true},
	{"mapped loopback", NewGuard(nil), "::ffff:127.0.0.1", false},
	{"mapped private", NewGuard(nil), "::ffff:10.1.2.3", false},
	{"mapped metadata hex", NewGuard(nil), "::ffff:a9fe:a9fe", false},
	{"mapped public", NewGuard(nil), "::ffff:8.8.8.8", true},
	{"compatible loopback", NewGuard(nil), "::127.0.0.1", false},
	{"compatible private", NewGuard(nil), "::10.0.0.1", false},
	{"nat64 of public", NewGuard(nil), "64:ff9b::8.8.8.8", false},
	{"teredo", NewGuard(nil), "2001:0:4136:e378::1", false},
	{"6to4", NewGuard(nil), "2002:7f00:1::1", false},
	{"unique local", NewGuard(nil), "fd00::2", false},
	{"link-local with zone", NewGuard(nil), "fe80::1%eth0", false},
	{"multicast v6", NewGuard(nil), "ff02::1", false},
	{"nil guard blocks", nil, "127.0.0.1", false},
	{"nil guard allows public", nil, "8.8.8.8", true},
	{"allow reopens 127/8", NewGuard(loopback4), "127.0.0.1", true},
	{"allow reopens 127/8 last", NewGuard(loopback4), "127.255.255.254", true},
	{"allow reopens mapped form", NewGuard(loopback4), "::ffff:127.0.0.1", true},
	{"allow keeps ::1 blocked", NewGuard(loopback4), "::1", false},
	{"allow keeps 10/8 blocked", NewGuard(loopback4), "10.0.0.1", false},
	{"allow /32 is exact", NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}), "127.0.0.2", false},
	{"allow mapped prefix", NewGuard([]netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}), "127.0.0.1", true},
	{"allow unmasked prefix", NewGuard([]netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}), "10.200.0.1", true},
	{"allow zoned link-local", NewGuard([]netip.Prefix{netip.MustParsePrefix("fe80::/10")}), "fe80::1%eth0", true},
	{"invalid allow entry opens nothing", NewGuard([]netip.Prefix{{}}), "127.0.0.1", false},
	{"allow all", AllowAll(), "169.254.169.254", true},
	{"allow all v6", AllowAll(), "::1", true},
}

func TestGuardAllowed(t *testing.T) {
	t.Parallel()
	tests := allowedCases
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.guard.Allowed(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Errorf("Allowed(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		for _, g := range []*Guard{NewGuard(nil), AllowAll()} {
			if g.Allowed(netip.Addr{}) {
				t.Error("Allowed(zero Addr) = true, want false (fail closed)")
			}
		}
	})
}

func TestGuardNewGuardDoesNotRetain(t *testing.T) {
	t.Parallel()
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	g := NewGuard(allow)
	allow[0] = netip.MustParsePrefix("10.0.0.0/8")
	if !g.Allowed(netip.MustParseAddr("127.0.0.1")) || g.Allowed(netip.MustParseAddr("10.0.0.1")) {
		t.Error("the guard changed when the caller's slice did")
	}
}

var checkURLCases = []struct {
	name  string
	guard *Guard
	url   string
	want  string // substring of the /url message; "" for no error
}{
	{"dotted loopback", NewGuard(nil), "http://127.0.0.1/hook", "address 127.0.0.1 is not allowed"},
	{"with port", NewGuard(nil), "http://127.0.0.1:8080/hook", "address 127.0.0.1 is not allowed"},
	{"private", NewGuard(nil), "https://10.0.0.1/", "address 10.0.0.1 is not allowed"},
	{"metadata", NewGuard(nil), "http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is not allowed"},
	{"v6 loopback", NewGuard(nil), "http://[::1]/", "address ::1 is not allowed"},
	{"v6 loopback with port", NewGuard(nil), "http://[::1]:9000/", "address ::1 is not allowed"},
	{"mapped loopback", NewGuard(nil), "http://[::ffff:127.0.0.1]/", "address 127.0.0.1 is not allowed"},
	{"mapped loopback hex", NewGuard(nil), "http://[::ffff:7f00:1]/", "address 127.0.0.1 is not allowed"},
	{"compatible loopback", NewGuard(nil), "http://[::127.0.0.1]/", "is not allowed"},
	{"two parts", NewGuard(nil), "http://127.1/", "address 127.0.0.1 is not allowed"},
	{"three parts", NewGuard(nil), "http://127.0.1/", "address 127.0.0.1 is not allowed"},
	{"decimal", NewGuard(nil), "http://2130706433/", "address 127.0.0.1 is not allowed"},
	{"hex", NewGuard(nil), "http://0x7f000001/", "address 127.0.0.1 is not allowed"},
	{"hex upper", NewGuard(nil), "http://0X7F000001/", "address 127.0.0.1 is not allowed"},
	{"octal", NewGuard(nil), "http://017700000001/", "address 127.0.0.1 is not allowed"},
	{"octal dotted", NewGuard(nil), "http://0177.0.0.1/", "address 127.0.0.1 is not allowed"},
	{"hex dotted short", NewGuard(nil), "http://0x7f.1/", "address 127.0.0.1 is not allowed"},
	{"mixed bases", NewGuard(nil), "http://0xa9.0376.43518/", "address 169.254.169.254 is not allowed"},
	{"zero padded", NewGuard(nil), "http://127.000.000.001/", "address 127.0.0.1 is not allowed"},
	{"trailing dot", NewGuard(nil), "http://127.0.0.1./", "address 127.0.0.1 is not allowed"},
	{"percent-encoded dots", NewGuard(nil), "http://127%2E0%2E0%2E1/", "must be an absolute http or https URL"}, // net/url refuses it too
	{"fullwidth digits", NewGuard(nil), "http://１２７．０．０．１/", "address 127.0.0.1 is not allowed"},
	{"unspecified", NewGuard(nil), "http://0/", "address 0.0.0.0 is not allowed"},
	{"broadcast", NewGuard(nil), "http://255.255.255.255/", "address 255.255.255.255 is not allowed"},
	{"zoned link-local", NewGuard(nil), "http://[fe80::1%25eth0]/", "address fe80::1 is not allowed"},
	{"localhost", NewGuard(nil), "http://localhost/", `host "localhost" is not allowed`},
	{"localhost upper with port", NewGuard(nil), "http://LOCALHOST:8080/", "is not allowed"},
	{"localhost trailing dot", NewGuard(nil), "http://localhost./", "is not allowed"},
	{"under .localhost", NewGuard(nil), "http://foo.localhost/", `host "foo.localhost" is not allowed`},
	{"numeric but invalid", NewGuard(nil), "http://127.0.0.08/", "not a valid IP address"},
	{"five parts", NewGuard(nil), "http://1.2.3.4.5/", "not a valid IP address"},
	{"part too big", NewGuard(nil), "http://256.0.0.1/", "not a valid IP address"},
	{"no host", NewGuard(nil), "http:///path", "must be an absolute http or https URL"},
	{"unparsable", NewGuard(nil), "http://[::1/", "must be an absolute http or https URL"},
	{"name", NewGuard(nil), "https://example.com/hook", ""},
	{"name that ends like a number word", NewGuard(nil), "https://hooks.example.com0x/", ""},
	{"name with localhost inside", NewGuard(nil), "https://localhost.example.com/", ""},
	{"public address", NewGuard(nil), "https://93.184.216.34/hook", ""},
	{"public v6", NewGuard(nil), "https://[2606:4700::1]/hook", ""},
	{"public decimal", NewGuard(nil), "http://134744072/", ""}, // 8.8.8.8
	{"allowed loopback", NewGuard(loopback4), "http://127.0.0.1:8080/", ""},
	{"allowed loopback hex", NewGuard(loopback4), "http://0x7f000001/", ""},
	{"allowed loopback name", NewGuard(loopback4), "http://localhost:8080/", ""},
	{"allow keeps others", NewGuard(loopback4), "http://10.0.0.1/", "address 10.0.0.1 is not allowed"},
	{"allow all", AllowAll(), "http://169.254.169.254/", ""},
	{"names the allow list", NewGuard(nil), "http://127.0.0.1:9000/", "to allow it in development, add its range to ssrf.allow (--ssrf-allow)"},
	{"port too big", NewGuard(nil), "https://example.com:99999/", "must have a port from 1 to 65535"},
	{"port zero", NewGuard(nil), "https://example.com:0/", "must have a port from 1 to 65535"},
	{"empty port", NewGuard(nil), "https://example.com:/", "must have a port from 1 to 65535"},
	{"space in path", NewGuard(nil), "https://example.com/a b", "must not contain spaces or control characters"},
	{"tab", NewGuard(nil), "https://example.com/a\tb", "must not contain spaces or control characters"},
	{"too long", NewGuard(nil), "https://example.com/" + strings.Repeat("a", 2049), "must be at most 2048 characters"},
	{"scheme", NewGuard(nil), "ftp://example.com/", "must be an absolute http or https URL"},
	{"credentials", NewGuard(nil), "https://u:p@example.com/", "must not carry credentials"},
	{"fragment", NewGuard(nil), "https://example.com/#x", "must not have a fragment"},
	{"allow all checks the rest", AllowAll(), "http://10.0.0.1:70000/", "must have a port from 1 to 65535"},
	{"longest", NewGuard(nil), "https://example.com/" + strings.Repeat("a", 2048-20), ""},
}

func TestGuardCheckURL(t *testing.T) {
	t.Parallel()
	tests := checkURLCases
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.guard.CheckURL(tc.url)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want nil", tc.url, err)
				}
				return
			}
			assertURLError(t, err, tc.want)
		})
	}
}

func assertURLError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil, want an error about %q", want)
	}
	var he *hookd.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *hookd.Error", err, err)
	}
	if he.Code != hookd.EINVALID {
		t.Errorf("code = %q, want %q", he.Code, hookd.EINVALID)
	}
	if len(he.Fields) != 1 || he.Fields[0].Pointer != "/url" {
		t.Fatalf("fields = %+v, want one with pointer /url", he.Fields)
	}
	if !strings.Contains(he.Fields[0].Message, want) {
		t.Errorf("message = %q, want it to contain %q", he.Fields[0].Message, want)
	}
	if strings.Contains(want, "is not allowed") && !errors.Is(err, ErrBlocked) {
		t.Errorf("errors.Is(%v, ErrBlocked) = false", err)
	}
}

func TestGuardParseIPv4(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" for not an IPv4 number
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0x7f.0x0.0.0x1", "127.0.0.1"},
		{"10.16777215", "10.255.255.255"},
		{"1.2.65535", "1.2.255.255"},
		{"4294967295", "255.255.255.255"},
		{"0x", "0.0.0.0"},
		{"0", "0.0.0.0"},
		{"4294967296", ""},
		{"1.16777216", ""},
		{"1.2.65536", ""},
		{"1.2.3.256", ""},
		{"256.1.1.1", ""},
		{"1.2.3.4.5", ""},
		{"08", ""},
		{"0x1g", ""},
		{"1..2", ""},
		{"", ""},
		{"+1", ""},
		{"1_0", ""},
		{"example", ""},
		{"99999999999999999999999", ""},
	}
	for _, tc := range tests {
		got, ok := parseIPv4(tc.in)
		switch {
		case tc.want == "" && ok:
			t.Errorf("parseIPv4(%q) = %s, want not a number", tc.in, got)
		case tc.want != "" && (!ok || got.String() != tc.want):
			t.Errorf("parseIPv4(%q) = %s, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
}

// countingListener records every connection it accepts, so that a test can
// show that a blocked request never reached the server.
type countingListener struct {
	net.Listener
	accepted chan string // remote address of each accepted connection
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		select {
		case l.accepted <- c.RemoteAddr().String():
		default: // more than a test makes; never block the server
		}
	}
	return c, err
}

// connections returns how many connections the listener accepted since the
// last call. It dials a probe and waits for it to be accepted: the accept
// queue is FIFO, so any connection made before the probe has been counted
// by then, and "zero" is not an artefact of timing.
func (l *countingListener) connections(t *testing.T) int {
	t.Helper()
	probe, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("probe %s: %v", l.Addr(), err)
	}
	defer probe.Close()
	id := probe.LocalAddr().String()
	timeout := time.After(5 * time.Second)
	for n := 0; ; {
		select {
		case a := <-l.accepted:
			if a == id {
				return n
			}
			n++
		case <-timeout:
			t.Fatalf("probe to %s not accepted within 5s", l.Addr())
		}
	}
}

// server starts an HTTP server on addr ("127.0.0.1:0"), skipping
// the test when the host cannot listen there.
func startServer(t *testing.T, addr string, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	cl := &countingListener{Listener: ln, accepted: make(chan string, 1024)}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = cl
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cl
}

func okHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
}

// client returns a client over NewTransport(g), bounded in time.
func guardedClient(t *testing.T, g *Guard, opts TransportOptions, follow bool) *http.Client {
	t.Helper()
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 2 * time.Second
	}
	tr := NewTransport(g, opts)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: CheckRedirect(follow, 5), Timeout: 5 * time.Second}
}

func getBody(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func portOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestGuardDialBlocksLoopback(t *testing.T) {
	t.Parallel()
	srv4, l4 := startServer(t, "127.0.0.1:0", okHandler("v4"))
	port4 := portOf(t, srv4)
	cases := []struct {
		name, listen, url string
		ln                *countingListener
	}{
		{"ipv4 literal", "", "http://127.0.0.1:" + port4 + "/", l4},
		{"name resolving to loopback", "", "http://localhost:" + port4 + "/", l4},
		{"ipv6 literal", "[::1]:0", "", nil},
	}
	allow := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.listen != "" {
				srv, ln := startServer(t, tc.listen, okHandler("v6"))
				tc.url, tc.ln = "http://[::1]:"+portOf(t, srv)+"/", ln
			}
			tc.ln.connections(t) // forget earlier cases' connections
			_, _, err := getBody(guardedClient(t, NewGuard(nil), TransportOptions{}, false), tc.url)
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("GET %s: err = %v, want ErrBlocked", tc.url, err)
			}
			if !strings.Contains(err.Error(), "is blocked by the SSRF guard") {
				t.Errorf("error %q does not say the address is blocked by the SSRF guard", err)
			}
			if n := tc.ln.connections(t); n != 0 {
				t.Fatalf("server accepted %d connections from a blocked request", n)
			}
			status, _, err := getBody(guardedClient(t, allow, TransportOptions{}, false), tc.url)
			if err != nil || status != http.StatusOK {
				t.Fatalf("GET %s with loopback allowed: %d, %v; want 200", tc.url, status, err)
			}
			if n := tc.ln.connections(t); n == 0 {
				t.Fatal("server saw no connection from the allowed request")
			}
		})
	}
}

// fakeResolver returns a resolver that asks only a DNS server on loopback
// UDP, which answers every A and AAAA query with the addrs of that family.
func fakeResolver(t *testing.T, addrs ...string) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen on UDP loopback: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(dnsAnswer(buf[:n], addrs), from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsAnswer builds the response to query q: its header and question, then
// one record per address of the queried family (RFC 1035 §4.1).
func dnsAnswer(q []byte, addrs []string) []byte {
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	out := append([]byte{}, q[:i+5]...)
	out[2], out[3] = 0x81, 0x80 // response, recursion available, no error
	var n uint16
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		if (qtype == 1) != ip.Is4() || (qtype != 1 && qtype != 28) {
			continue
		}
		out = append(out, 0xc0, 12, byte(qtype>>8), byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(ip.BitLen()/8))
		out = append(out, ip.AsSlice()...)
		n++
	}
	binary.BigEndian.PutUint16(out[6:], n)
	binary.BigEndian.PutUint32(out[8:], 0) // no authority or additional records
	return out
}

// checkDial checks a dial's outcome: an ErrBlocked error containing
// every wantErr substring, another error (wantOther), or a connection to want.
func checkDial(t *testing.T, c net.Conn, err error, wantErr []string, wantOther bool, want string) {
	t.Helper()
	switch {
	case wantOther:
		if err == nil || errors.Is(err, ErrBlocked) {
			t.Fatalf("err = %v, want a lookup error", err)
		}
	case wantErr != nil:
		if !errors.Is(err, ErrBlocked) {
			t.Fatalf("err = %v, want ErrBlocked", err)
		}
		for _, w := range wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	default:
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if got := c.RemoteAddr().String(); got != want {
			t.Errorf("connected to %s, want %s", got, want)
		}
	}
}

// TestGuardDialResolves checks that a name is connected only at allowed
// addresses among those it resolves to: the Control hook judges the address
// being connected, so DNS that answers (or is rebound to) a blocked address
// reaches nothing.
func TestGuardDialResolves(t *testing.T) {
	t.Parallel()
	allowed, _ := startServer(t, "127.0.0.1:0", okHandler("allowed"))
	port := portOf(t, allowed)
	_, blockedLn := startServer(t, "127.0.0.2:"+port, okHandler("blocked"))
	only1 := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	both := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")})
	tests := []struct {
		name      string
		guard     *Guard // nil: only 127.0.0.1 allowed
		answers   []string
		wantErr   []string // substrings of an ErrBlocked error; nil: connect to 127.0.0.1
		wantOther bool     // an error that is not ErrBlocked
	}{
		{"blocked address skipped", nil, []string{"127.0.0.2", "127.0.0.1"}, nil, false},
		{"blocked v6 skipped", nil, []string{"::1", "127.0.0.1"}, nil, false},
		{"allowed v6 refused, v4 fallback", both, []string{"::1", "127.0.0.1"}, nil, false},
		{"all blocked", nil, []string{"127.0.0.2", "10.0.0.1"}, []string{"address 127.0.0.2 is blocked by the SSRF guard"}, false},
		{"one blocked", nil, []string{"169.254.169.254"}, []string{"dial tcp 169.254.169.254:", "address 169.254.169.254 is blocked by the SSRF guard"}, false},
		{"no addresses", nil, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the cases share the servers' counters.
			blockedLn.connections(t)
			g := tc.guard
			if g == nil {
				g = only1
			}
			dial := g.DialContext(&net.Dialer{Timeout: 2 * time.Second, Resolver: fakeResolver(t, tc.answers...)})
			c, err := dial(context.Background(), "tcp", "hooks.test.:"+port)
			checkDial(t, c, err, tc.wantErr, tc.wantOther, "127.0.0.1:"+port)
			if n := blockedLn.connections(t); n != 0 {
				t.Errorf("blocked address accepted %d connections", n)
			}
		})
	}
}

// TestGuardControlBlocks checks the last line of defense on its own: the
// Control hook refuses a blocked destination even when the pre-dial check
// is bypassed.
func TestGuardControlBlocks(t *testing.T) {
	t.Parallel()
	_, ln := startServer(t, "127.0.0.1:0", okHandler("x"))
	var innerCalled bool
	d := NewGuard(nil).controlledDialer(&net.Dialer{Timeout: 2 * time.Second})
	_, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "address 127.0.0.1 is blocked") {
		t.Fatalf("dial: err = %v, want ErrBlocked naming 127.0.0.1", err)
	}
	if n := ln.connections(t); n != 0 {
		t.Fatalf("server accepted %d connections", n)
	}
	allow := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	d = allow.controlledDialer(&net.Dialer{Timeout: 2 * time.Second, Control: func(string, string, syscall.RawConn) error {
		innerCalled = true
		return nil
	}})
	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("allowed dial: %v", err)
	}
	c.Close()
	if !innerCalled {
		t.Error("the dialer's own Control hook was not run after the check")
	}
}

func TestGuardDialContextRefuses(t *testing.T) {
	t.Parallel()
	dial := NewGuard(nil).DialContext(nil)
	tests := []struct{ name, network, addr string }{
		{"udp", "udp", "8.8.8.8:53"},
		{"unix", "unix", "/run/docker.sock"},
		{"empty host", "tcp", ":80"},
		{"metadata", "tcp", "169.254.169.254:80"},
		{"zoned link-local", "tcp", "[fe80::1%lo]:80"},
		{"mapped loopback", "tcp", "[::ffff:127.0.0.1]:80"},
		{"unspecified", "tcp", "0.0.0.0:80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := dial(context.Background(), tc.network, tc.addr)
			if err == nil {
				c.Close()
				t.Fatalf("dial %s %s succeeded, want refusal", tc.network, tc.addr)
			}
			if tc.network == "tcp" && !errors.Is(err, ErrBlocked) {
				t.Errorf("err = %v, want ErrBlocked", err)
			}
		})
	}
}

func TestGuardRedirects(t *testing.T) {
	t.Parallel()
	second, secondLn := startServer(t, "127.0.0.2:0", okHandler("second")) // Linux routes all of 127/8
	first, firstLn := startServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/next", http.StatusFound)
	}))
	only1 := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	loopback := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	tests := []struct {
		name       string
		guard      *Guard
		follow     bool
		wantStatus int  // 0: want ErrBlocked
		wantSecond bool // the second server is reached
	}{
		{"not followed by default", loopback, false, http.StatusFound, false},
		{"followed to a blocked hop", only1, true, 0, false},
		{"followed to an allowed hop", loopback, true, http.StatusOK, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the cases share the servers' counters.
			firstLn.connections(t)
			secondLn.connections(t)
			status, _, err := getBody(guardedClient(t, tc.guard, TransportOptions{}, tc.follow), first.URL)
			switch {
			case tc.wantStatus == 0 && !errors.Is(err, ErrBlocked):
				t.Fatalf("err = %v, want ErrBlocked", err)
			case tc.wantStatus != 0 && (err != nil || status != tc.wantStatus):
				t.Fatalf("got %d, %v; want %d", status, err, tc.wantStatus)
			}
			if n := firstLn.connections(t); n == 0 {
				t.Error("the first server saw no connection")
			}
			if n := secondLn.connections(t); (n > 0) != tc.wantSecond {
				t.Errorf("second server accepted %d connections, want reached = %v", n, tc.wantSecond)
			}
		})
	}
}

func TestGuardCheckRedirect(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "http://example.com/", nil)
	via := func(n int) []*http.Request { return make([]*http.Request, n) }
	tests := []struct {
		name    string
		follow  bool
		max     int
		via     int
		wantErr error // nil: follow; ErrUseLastResponse: stop, keep the 3xx
		wantAny bool  // some other error
	}{
		{"default does not follow", false, 0, 1, http.ErrUseLastResponse, false},
		{"not following ignores max", false, 10, 1, http.ErrUseLastResponse, false},
		{"follow first hop", true, 3, 1, nil, false},
		{"follow last hop", true, 3, 3, nil, false},
		{"past max", true, 3, 4, nil, true},
		{"follow with max 0 follows none", true, 0, 1, http.ErrUseLastResponse, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRedirect(tc.follow, tc.max)(req, via(tc.via))
			switch {
			case tc.wantAny:
				if err == nil || errors.Is(err, http.ErrUseLastResponse) {
					t.Errorf("err = %v, want a too-many-redirects error", err)
				}
			case !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestGuardTransportIgnoresEnvProxy shows that HTTP_PROXY is not read: the
// guard allows the proxy's address, so a transport that used it would
// reach it; the target is blocked, so a direct dial fails at once.
func TestGuardTransportIgnoresEnvProxy(t *testing.T) {
	_, proxyLn := startServer(t, "127.0.0.1:0", okHandler("proxied"))
	proxyURL := "http://" + proxyLn.Addr().String()
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"} {
		t.Setenv(k, proxyURL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	g := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	tr := NewTransport(g, TransportOptions{})
	if tr.Proxy != nil {
		t.Fatal("Transport.Proxy is set without opts.Proxy")
	}
	for _, target := range []string{"http://10.255.255.1/", "https://10.255.255.1/"} {
		_, _, err := getBody(guardedClient(t, g, TransportOptions{}, false), target)
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("GET %s: err = %v, want ErrBlocked from a direct dial", target, err)
		}
	}
	if n := proxyLn.connections(t); n != 0 {
		t.Fatalf("the environment's proxy accepted %d connections", n)
	}
}

func TestGuardTransportProxy(t *testing.T) {
	t.Parallel()
	proxy, proxyLn := startServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "proxied "+r.URL.String())
	}))
	proxyURL, err := url.Parse(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	only1 := NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	tests := []struct {
		name      string
		guard     *Guard
		target    string
		wantProxy bool // the proxy is reached; otherwise want ErrBlocked
	}{
		{"allowed proxy carries the request", only1, "http://webhooks.example/in", true},
		{"blocked proxy is not dialed", NewGuard(nil), "http://webhooks.example/in", false},
		{"blocked literal target is not sent", only1, "http://10.0.0.1/in", false},
		{"blocked v6 target is not sent", only1, "http://[::1]:8080/in", false},
		{"blocked hex target is not sent", only1, "http://0xa9fea9fe/latest", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the cases share the proxy's counter.
			proxyLn.connections(t)
			c := guardedClient(t, tc.guard, TransportOptions{Proxy: proxyURL}, false)
			status, body, err := getBody(c, tc.target)
			n := proxyLn.connections(t)
			if !tc.wantProxy {
				if !errors.Is(err, ErrBlocked) {
					t.Errorf("err = %v, want ErrBlocked", err)
				}
				if n != 0 {
					t.Errorf("proxy accepted %d connections", n)
				}
				return
			}
			if err != nil || status != http.StatusOK || body != "proxied "+tc.target {
				t.Fatalf("got %d %q, %v; want 200 %q", status, body, err, "proxied "+tc.target)
			}
			if n == 0 {
				t.Error("proxy saw no connection")
			}
		})
	}
}

func TestGuardTransportSettings(t *testing.T) {
	t.Parallel()
	tr := NewTransport(nil, TransportOptions{})
	switch {
	case tr.Proxy != nil:
		t.Error("Proxy is set")
	case tr.DialContext == nil:
		t.Error("DialContext is not the guarded dialer")
	case tr.MaxIdleConnsPerHost != 64:
		t.Errorf("MaxIdleConnsPerHost = %d, want 64", tr.MaxIdleConnsPerHost)
	case tr.IdleConnTimeout != 90*time.Second:
		t.Errorf("IdleConnTimeout = %v", tr.IdleConnTimeout)
	case tr.TLSHandshakeTimeout != 10*time.Second:
		t.Errorf("TLSHandshakeTimeout = %v", tr.TLSHandshakeTimeout)
	case tr.ResponseHeaderTimeout != 0:
		t.Errorf("ResponseHeaderTimeout = %v, want 0", tr.ResponseHeaderTimeout)
	case !tr.ForceAttemptHTTP2 || !tr.DisableCompression:
		t.Error("want ForceAttemptHTTP2 and DisableCompression")
	}
	if got := NewTransport(nil, TransportOptions{MaxIdleConnsPerHost: 8}).MaxIdleConnsPerHost; got != 8 {
		t.Errorf("MaxIdleConnsPerHost = %d, want 8", got)
	}
	// A nil guard is the default policy, not "allow everything".
	_, err := tr.DialContext(context.Background(), "tcp", "127.0.0.1:9")
	if !errors.Is(err, ErrBlocked) {
		t.Errorf("nil guard dial to loopback: err = %v, want ErrBlocked", err)
	}
}
