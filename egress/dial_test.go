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
)

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
