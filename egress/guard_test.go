package egress

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

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
