package receive_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookd/hookd/receive"
)

func TestGenericVerifiers(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(testNow.Unix(), 10)
	body := []byte(`{"a":1}`)
	sig := hexMAC("k1", []byte(ts+".POST."+string(body)))
	hmacSpec := `{"verify":[{"hmac":{"header":"X-Sig","prefix":"v1=","signed":"{timestamp}.{method}.{body}","timestamp_header":"X-Ts","secret":"k1"}}]}`
	cases := []struct {
		name    string
		spec    string
		headers []string
		remote  string
		status  int
		auth    string
	}{
		{"hmac ok", hmacSpec, []string{"X-Ts", ts, "X-Sig", "v1=" + sig}, "", 200, ""},
		{"hmac rotation: one of several", hmacSpec, []string{"X-Ts", ts, "X-Sig", "v1=00ff, v1=" + sig}, "", 200, ""},
		{"hmac bad", hmacSpec, []string{"X-Ts", ts, "X-Sig", "v1=" + hexMAC("k2", body)}, "", 401, `HMAC header="X-Sig"`},
		{"hmac stale", hmacSpec, []string{"X-Ts", "1600000000", "X-Sig", "v1=" + sig}, "", 401, `HMAC header="X-Sig"`},
		{"hmac base64 sha512", `{"verify":[{"hmac":{"header":"X-Sig","algorithm":"sha512","encoding":"base64","secret":"k"}}]}`,
			[]string{"X-Sig", b64sha512("k", body)}, "", 200, ""},
		{"basic ok", `{"verify":[{"basic":{"username":"u","password":"p"}}]}`, []string{"Authorization", "Basic dTpw"}, "", 200, ""},
		{"basic bad", `{"verify":[{"basic":{"username":"u","password":"p"}}]}`, []string{"Authorization", "Basic dTpx"}, "", 401, `Basic realm="hookd", charset="UTF-8"`},
		{"token ok", `{"verify":[{"token":{"header":"X-Token","value":"t0k"}}]}`, []string{"X-Token", "t0k"}, "", 200, ""},
		{"token bad", `{"verify":[{"token":{"value":"Bearer t0k"}}]}`, []string{"Authorization", "Bearer nope"}, "", 401, "Bearer"},
		{"ip allowed", `{"verify":[{"ip_allow":["10.0.0.0/8"]}]}`, nil, "10.1.2.3:5000", 200, ""},
		{"ip denied", `{"verify":[{"ip_allow":["10.0.0.0/8"]}]}`, nil, "192.0.2.1:5000", 403, ""},
		{"ip through trusted proxy", `{"verify":[{"ip_allow":["10.0.0.0/8"],"trusted_proxies":["127.0.0.1"]}]}`,
			[]string{"X-Forwarded-For", "192.0.2.9, 10.9.9.9"}, "127.0.0.1:4000", 200, ""},
		{"ip forged behind untrusted peer", `{"verify":[{"ip_allow":["10.0.0.0/8"]}]}`,
			[]string{"X-Forwarded-For", "10.9.9.9"}, "192.0.2.1:4000", 403, ""},
		{"cel true", `{"verify":[{"cel":"request.headers['x-key'] == 'abc' && request.body.a == 1.0"}]}`, []string{"X-Key", "abc"}, "", 200, ""},
		{"cel false", `{"verify":[{"cel":"request.headers['x-key'] == 'abc'"}]}`, []string{"X-Key", "xyz"}, "", 403, ""},
		{"cel run-time error is 500", `{"verify":[{"cel":"request.headers['missing'] == 'abc'"}]}`, nil, "", 500, ""},
		{"cel cost bound", `{"verify":[{"cel":"[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, a+b+c+d+e+f > 0))))))"}]}`, nil, "", 500, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := receive.Handler(compile(t, tc.spec), (&accept{}).fn)
			r := req(http.MethodPost, "/in/src", body, append([]string{"Content-Type", "application/json"}, tc.headers...)...)
			if tc.remote != "" {
				r.RemoteAddr = tc.remote
			}
			w := serve(h, r)
			expectStatus(t, w, tc.status)
			if strings.Contains(w.Body.String(), "request.") || strings.Contains(w.Body.String(), "abc") {
				t.Errorf("the answer shows the expression: %s", w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.auth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.auth)
			}
		})
	}
}

func b64sha512(key string, body []byte) string {
	return b64(hmacBytes(sha512New, []byte(key), body))
}

// TestHandshakes answers each provider's challenge once it verified.
func TestHandshakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, spec string
		signed     signedReq
		want       string
	}{
		{"slack", `{"verify":[{"provider":"slack","secret":"s"}]}`,
			signSlack([]byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`), "s", testNow),
			`{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`},
		{"zoom", `{"verify":[{"provider":"zoom","secret":"zs"}]}`,
			signZoom([]byte(`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`), "zs", testNow),
			`{"encryptedToken":"` + hexMAC("zs", []byte("qgg8vlvZRS6UYooatFL8Aw")) + `","plainToken":"qgg8vlvZRS6UYooatFL8Aw"}`},
		{"twitch", `{"verify":[{"provider":"twitch","secret":"twitch-secret"}]}`,
			twitchVerification(), "pogchamp-kappa-360noscope-vohiyo"},
		{"discord", `{"verify":[{"provider":"discord","public_key":"` + hexKey() + `"}]}`,
			signDiscord([]byte(`{"type":1,"id":"1","application_id":"2"}`), "", testNow), `{"type":1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			called := &accept{}
			w := serve(receive.Handler(compile(t, tc.spec), called.fn), tc.signed.request())
			expectStatus(t, w, http.StatusOK)
			if got := strings.TrimSpace(w.Body.String()); got != tc.want {
				t.Errorf("answered %s, want %s", got, tc.want)
			}
			if called.last != nil {
				t.Error("a handshake reached the handler")
			}
			// An unsigned handshake is refused like any request.
			unsigned := tc.signed
			unsigned.headers = nil
			expectStatus(t, serve(receive.Handler(compile(t, tc.spec), called.fn), unsigned.request()), http.StatusUnauthorized)
		})
	}
}

func twitchVerification() signedReq {
	s := signTwitch([]byte(`{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387","type":"channel.follow"}}`), "twitch-secret", testNow)
	for i := 0; i+1 < len(s.headers); i += 2 {
		if s.headers[i] == "Twitch-Eventsub-Message-Type" {
			s.headers[i+1] = "webhook_callback_verification"
		}
	}
	return s
}

func hexKey() string { return fmt.Sprintf("%x", discordKey.Public()) }

// TestSpecErrors shows that bad specs are refused with a pointer at the
// mistake.
func TestSpecErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ spec, pointer string }{
		{`{"methds":["POST"]}`, "/methds"},
		{`{"max_body":"lots"}`, "/max_body"},
		{`{"verify":[{"provider":"acme","secret":"x"}]}`, "/verify/0/provider"},
		{`{"verify":[{"provider":"github"}]}`, "/verify/0/secret"},
		{`{"verify":[{"provider":"twilio","secret":"x"}]}`, "/public_url"},
		{`{"verify":[{"hmac":{"header":"X","secret":"k","algorithm":"md5"}}]}`, "/verify/0/hmac/algorithm"},
		{`{"verify":[{"hmac":{"header":"X","secret":"k","signed":"{timestamp}.{body}"}}]}`, "/verify/0/hmac/timestamp_header"},
		{`{"verify":[{"cel":"request.method +"}]}`, "/verify/0/cel"},
		{`{"verify":[{"cel":"'a' + 'b'"}]}`, "/verify/0/cel"},
		{`{"verify":[{"ip_allow":["10.0.0.0/33"]}]}`, "/verify/0/ip_allow/0"},
		{`{"verify":[{"token":{"value":"x"},"basic":{"username":"u","password":"p"}}]}`, "/verify/0"},
		{`{"schema":{"body":{"type":"nope"}}}`, "/schema/body"},
		{`{"schema":{"body":"/etc/passwd"}}`, "/schema/body"},
		{`{"schema":{"body":{"$ref":"https://example.com/s.json"}}}`, "/schema/body"},
		{`{"dedupe":{"window":"48h","header":"X-Id"}}`, "/dedupe/window"},
		{`{"response":{"status":500}}`, "/response/status"},
		{`{"destinations":[{"forward":{"url":"ftp://x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}]}`, "/destinations/0/forward/url"},
		{`{"destinations":[{"forward":{"url":"http://x"}}]}`, "/destinations/0/forward/secret"},
		{`{"destinations":[{"forward":{"name":"1st","url":"http://x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}]}`,
			"/destinations/0/forward/name"},
		{`{"destinations":[{"forward":{"name":"a b","url":"http://x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}]}`,
			"/destinations/0/forward/name"},
		{`{"destinations":[{"forward":{"url":"http://x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},` +
			`{"forward":{"url":"http://x","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","headers":["X-A"]}}]}`,
			"/destinations/1/forward/name"},
		{`{"destinations":[{"publish":{"type":{"cel":"1 + 1"}}}]}`, "/destinations/0/publish/type/cel"},
		{`{"destinations":[{"publish":{"type":{"cell":"x"}}}]}`, "/destinations/0/publish/type"},
	}
	for _, tc := range cases {
		fields := compileErr(t, tc.spec)
		found := false
		for _, f := range fields {
			found = found || f.Pointer == tc.pointer
		}
		if !found {
			t.Errorf("%s: errors %+v, want one at %q", tc.spec, fields, tc.pointer)
		}
	}
}

// TestSchemaFiles reads a configured source's schema from a file, and
// never follows a $ref out of it.
func TestSchemaFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(`{"type":"object","required":["id"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "defs.json"), []byte(`{"type":"object"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ref.json"), []byte(`{"$ref":"defs.json"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := receive.Options{SchemaFiles: true, Dir: dir, NowFunc: nowFunc}
	src, err := receive.Compile(sourceOf(`{"schema":{"body":"body.json"}}`), o)
	if err != nil {
		t.Fatal(err)
	}
	h := receive.Handler(src, (&accept{}).fn)
	expectStatus(t, serve(h, req("POST", "/", []byte(`{}`), "Content-Type", "application/json")), http.StatusBadRequest)
	expectStatus(t, serve(h, req("POST", "/", []byte(`{"id":1}`), "Content-Type", "application/json")), http.StatusOK)
	if _, err := receive.Compile(sourceOf(`{"schema":{"body":"ref.json"}}`), o); err == nil {
		t.Error("a schema loaded a $ref from a file")
	}

	// A YAML file works the same.
	query := "type: object\nproperties:\n  page: {type: string, pattern: '^[0-9]+$'}\n"
	if err := os.WriteFile(filepath.Join(dir, "query.yaml"), []byte(query), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err = receive.Compile(sourceOf(`{"schema":{"query":"query.yaml"}}`), o)
	if err != nil {
		t.Fatal(err)
	}
	h = receive.Handler(src, (&accept{}).fn)
	expectStatus(t, serve(h, req("POST", "/?page=x", []byte(`{}`), "Content-Type", "application/json")), http.StatusBadRequest)
	expectStatus(t, serve(h, req("POST", "/?page=2", []byte(`{}`), "Content-Type", "application/json")), http.StatusOK)
}
