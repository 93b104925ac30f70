package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name, peer string
		xff        []string
		want       string // RemoteAddr seen by the handler; "" for a 400
	}{
		{"untrusted peer: XFF ignored", "192.0.2.1:5000", []string{"203.0.113.7"}, "192.0.2.1:5000"},
		{"trusted peer without XFF", "10.1.1.1:5000", nil, "10.1.1.1:5000"},
		{"one proxy", "10.1.1.1:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"client-written entries are not believed", "10.1.1.1:5000", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7:0"},
		{"chain of trusted proxies", "127.0.0.1:5000", []string{"203.0.113.7, 10.2.2.2", "10.3.3.3"}, "203.0.113.7:0"},
		{"all trusted: the leftmost", "10.1.1.1:5000", []string{"10.9.9.9, 10.2.2.2"}, "10.9.9.9:0"},
		{"IPv6 client", "10.1.1.1:5000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"mapped IPv4 proxy", "[::ffff:10.1.1.1]:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"garbage where the client should be", "10.1.1.1:5000", []string{"203.0.113.7, unknown"}, ""},
		{"garbage left of the client is ignored", "10.1.1.1:5000", []string{"unknown, 203.0.113.7"}, "203.0.113.7:0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got string
			h := clientAddr(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			req := httptest.NewRequest("POST", "/in/x", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tc.want == "" {
				checkProblem(t, rec, http.StatusBadRequest, hookd.EMALFORMED)
				if got != "" {
					t.Error("the handler ran")
				}
				return
			}
			if got != tc.want {
				t.Errorf("RemoteAddr = %q, want %q", got, tc.want)
			}
			if req.RemoteAddr != tc.peer {
				t.Error("the caller's request was changed")
			}
		})
	}
	if h := clientAddr(nil, http.NotFoundHandler()); h == nil {
		t.Fatal("nil handler")
	}
}

// TestTrustedProxiesReachReceive checks server.trusted_proxies end to end:
// ip_allow of a source and its request log see the client behind a trusted
// proxy, and X-Forwarded-For is ignored without the setting.
func TestTrustedProxiesReachReceive(t *testing.T) {
	const sources = `sources:
  - id: hooks
    verify:
      - ip_allow: [203.0.113.0/24]
`
	post := func(n *testNode, xff string) int {
		req, _ := http.NewRequest("POST", n.base+"/in/hooks", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	behind := startTestNode(t, "server:\n  trusted_proxies: [127.0.0.1]\n"+sources)
	if got := post(behind, "198.51.100.9, 203.0.113.7"); got != http.StatusOK {
		t.Errorf("client 203.0.113.7 behind the proxy: %d, want 200", got)
	}
	if got := post(behind, "203.0.113.7, 198.51.100.9"); got != http.StatusForbidden {
		t.Errorf("client 198.51.100.9 claiming 203.0.113.7: %d, want 403", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, body := behind.do("GET", "/v1/sources/hooks/requests", "")
		var list struct {
			Data []struct {
				RemoteIP string `json:"remote_ip"`
				Status   int    `json:"status"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &list)
		ips := map[int]string{}
		for _, r := range list.Data {
			ips[r.Status] = r.RemoteIP
		}
		if ips[200] == "203.0.113.7" && ips[403] == "198.51.100.9" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request log: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	direct := startTestNode(t, sources)
	if got := post(direct, "203.0.113.7"); got != http.StatusForbidden {
		t.Errorf("without trusted proxies, X-Forwarded-For is believed: %d", got)
	}
}
