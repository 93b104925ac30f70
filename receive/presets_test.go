package receive_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/PagerDuty/go-pagerduty/webhookv3"
	"github.com/bwmarrin/discordgo"
	"github.com/google/go-github/v75/github"
	"github.com/mailgun/mailgun-go/v4"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/slack-go/slack"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/twilio/twilio-go/client"

	"github.com/hookd/hookd/receive"
)

// providerCase is a preset under test: how to configure it, how the
// provider signs, and how the provider's SDK checks what was signed.
type providerCase struct {
	name   string
	verify string // the verify entry, JSON, with %s for the secret
	secret string
	spec   string // extra members of the spec, e.g. public_url
	sign   func(body []byte, secret string, ts time.Time) signedReq
	// body makes the body signed at ts (default: a fixed JSON object).
	body func(secret string, ts time.Time) []byte
	// stale is false for schemes that sign no timestamp.
	stale bool
	// tamper changes what the signature covers (default: the body).
	tamper func(s signedReq) signedReq
	// sdk, when set, verifies with the provider's own SDK a request signed
	// now; "" names the SDK-less documentation used instead.
	sdk func(s signedReq, secret string) error
	doc string
}

const testBody = `{"id":"evt_1","event_id":"evt_1","type":"x.y","data":{"n":1}}`

func providerCases() []providerCase {
	return []providerCase{
		{name: "stripe", secret: "whsec_test_stripe", sign: signStripe, stale: true, sdk: sdkStripe},
		{name: "github", secret: "gh-secret", sign: signGitHub, sdk: sdkGitHub},
		{name: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5", sign: signSlack, stale: true, sdk: sdkSlack},
		{name: "shopify", secret: "shpss_secret", sign: signShopify, doc: "shopify.dev verify-deliveries: base64 HMAC-SHA256 of the raw body"},
		{name: "twilio", secret: "12345", sign: signTwilio, spec: `"public_url":"` + twilioURL + `","content_types":["application/x-www-form-urlencoded"],`,
			body: func(string, time.Time) []byte {
				return []byte("CallSid=CA123&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212")
			},
			sdk: sdkTwilio},
		{name: "twilio", secret: "12345", sign: signTwilioJSON, spec: `"public_url":"` + twilioURL + `",`, sdk: sdkTwilio},
		{name: "standard-webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sign: signStandard, stale: true, sdk: sdkStandard},
		{name: "standard-webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sign: signSvix, stale: true, sdk: sdkStandard},
		{name: "paddle", secret: "pdl_ntfset_secret", sign: signPaddle, stale: true, sdk: sdkPaddle},
		{name: "pagerduty", secret: "pd-secret", sign: signPagerDuty, sdk: sdkPagerDuty},
		{name: "linear", secret: "lin_wh_secret", sign: signLinear, stale: true,
			body: func(_ string, ts time.Time) []byte { return linearBody(ts) },
			doc:  "linear.app developers/webhooks: hex HMAC-SHA256 of the body, webhookTimestamp within a minute"},
		{name: "gitlab", secret: "gl-token", sign: signGitLab, tamper: func(s signedReq) signedReq {
			s.headers = append([]string(nil), s.headers...)
			s.headers[1] = "forged"
			return s
		}, doc: "docs.gitlab.com webhooks: X-Gitlab-Token carries the secret token (no signature over the body)"},
		{name: "discord", verify: `{"provider":"discord","public_key":"%s"}`, sign: signDiscord, stale: true, sdk: sdkDiscord},
		{name: "sendgrid", verify: `{"provider":"sendgrid","public_key":"%s"}`, sign: signSendGrid, stale: true, sdk: sdkSendGrid},
		{name: "mailgun", secret: "mg-signing-key", sign: signMailgun, stale: true,
			body: func(secret string, ts time.Time) []byte { return mailgunBody(secret, ts, "tok-abc") },
			tamper: func(s signedReq) signedReq {
				s.body = bytes.Replace(s.body, []byte(`"tok-abc"`), []byte(`"tok-abd"`), 1)
				return s
			}, sdk: sdkMailgun},
		{name: "typeform", secret: "tf-secret", sign: signTypeform, doc: "typeform.com webhooks security: sha256= base64 HMAC-SHA256 of the body"},
		{name: "calendly", secret: "cal-key", sign: signCalendly, stale: true, doc: "developer.calendly.com webhook-signatures: t=,v1= hex HMAC-SHA256 of \"t.body\", 3 min"},
		{name: "zoom", secret: "zoom-token", sign: signZoom, stale: true, doc: "developers.zoom.us webhooks: v0= hex HMAC-SHA256 of \"v0:ts:body\""},
		{name: "hubspot", secret: "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", sign: signHubSpot, stale: true, spec: `"public_url":"` + hubspotURL + `",`,
			doc: "developers.hubspot.com request-validation v3: base64 HMAC-SHA256 of method+URI (decoded)+body+ts"},
		{name: "intercom", secret: "ic-secret", sign: signIntercom, doc: "developers.intercom.com webhooks: X-Hub-Signature sha1= hex HMAC-SHA1 of the body"},
		{name: "square", secret: "sq-key", sign: signSquare, spec: `"public_url":"` + hubspotURL + `",`,
			doc: "developer.squareup.com webhooks step3validate: base64 HMAC-SHA256 of URL+body"},
		{name: "twitch", secret: "twitch-secret-0123", sign: signTwitch, stale: true, doc: "dev.twitch.tv eventsub handling-webhook-events: sha256= hex HMAC-SHA256 of id+ts+body, 10 min"},
	}
}

// verifyEntry is the verify entry of a case with the given secret (or
// public key).
func (pc providerCase) verifyEntry(secret string) string {
	switch pc.name {
	case "discord":
		return fmt.Sprintf(pc.verify, fmt.Sprintf("%x", discordKey.Public()))
	case "sendgrid":
		return fmt.Sprintf(pc.verify, sendgridPublicKey())
	}
	return fmt.Sprintf(`{"provider":%q,"secret":%q}`, pc.name, secret)
}

func (pc providerCase) source(t *testing.T, secret string) *receive.Source {
	return compile(t, `{`+pc.spec+`"verify":[`+pc.verifyEntry(secret)+`]}`)
}

func (pc providerCase) bodyAt(secret string, ts time.Time) []byte {
	if pc.body != nil {
		return pc.body(secret, ts)
	}
	return []byte(testBody)
}

func (s signedReq) request() *http.Request {
	return req(http.MethodPost, s.target, s.body, append([]string{"Content-Type", s.ctype}, s.headers...)...)
}

// TestPresets signs a request the way each provider documents it and
// shows it accepted, then a tampered body, a wrong secret and a stale
// timestamp rejected with 401 and the preset's WWW-Authenticate.
func TestPresets(t *testing.T) {
	t.Parallel()
	for _, pc := range providerCases() {
		t.Run(pc.name+"/"+funcName(pc), func(t *testing.T) {
			t.Parallel()
			src := pc.source(t, pc.secret)
			h := receive.Handler(src, (&accept{}).fn)
			good := pc.sign(pc.bodyAt(pc.secret, testNow), pc.secret, testNow)
			expectStatus(t, serve(h, good.request()), http.StatusOK)
			// Compressed, signed over the decoded bytes: the checks made
			// before decoding let it through, and it verifies once decoded.
			zr := good.request()
			zr.Body, zr.ContentLength = io.NopCloser(bytes.NewReader(compress(t, "gzip", good.body))), -1
			zr.Header.Set("Content-Encoding", "gzip")
			expectStatus(t, serve(h, zr), http.StatusOK)

			tamper := pc.tamper
			if tamper == nil {
				tamper = func(s signedReq) signedReq {
					s.body = bytes.Replace(s.body, []byte(`"n":1`), []byte(`"n":2`), 1)
					s.body = bytes.Replace(s.body, []byte("Digits=1234"), []byte("Digits=9999"), 1)
					s.body = bytes.Replace(s.body, []byte(`"create"`), []byte(`"remove"`), 1)
					return s
				}
			}
			bad := tamper(good)
			if bytes.Equal(bad.body, good.body) && fmt.Sprint(bad.headers) == fmt.Sprint(good.headers) {
				t.Fatal("tamper changed nothing")
			}
			expectUnauthorized(t, h, bad.request(), pc.name, "tampered")
			if pc.name != "discord" && pc.name != "sendgrid" {
				ws := "wrong-secret"
				if pc.name == "standard-webhooks" {
					ws = "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldA=="
				}
				wrong := pc.sign(pc.bodyAt(ws, testNow), ws, testNow)
				expectUnauthorized(t, h, wrong.request(), pc.name, "wrong secret")
			} else {
				other := compile(t, `{"verify":[`+otherKeyEntry(pc.name)+`]}`)
				expectUnauthorized(t, receive.Handler(other, (&accept{}).fn), good.request(), pc.name, "wrong key")
			}
			if pc.stale {
				old := testNow.Add(-time.Hour)
				stale := pc.sign(pc.bodyAt(pc.secret, old), pc.secret, old)
				w := expectUnauthorized(t, h, stale.request(), pc.name, "stale")
				if !strings.Contains(w, "stale timestamp") {
					t.Errorf("stale request answered %q", w)
				}
			}
		})
	}
}

func funcName(pc providerCase) string {
	if pc.spec != "" && strings.Contains(pc.spec, "form") {
		return "form"
	}
	if fmt.Sprintf("%p", pc.sign) == fmt.Sprintf("%p", signSvix) {
		return "svix"
	}
	return "json"
}

// otherKeyEntry is a verify entry with a key that did not sign.
func otherKeyEntry(name string) string {
	if name == "discord" {
		return `{"provider":"discord","public_key":"` + fmt.Sprintf("%x", make([]byte, 32)) + `"}`
	}
	return `{"provider":"sendgrid","public_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="}`
}

func expectUnauthorized(t *testing.T, h http.Handler, r *http.Request, challenge, what string) string {
	t.Helper()
	w := serve(h, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("%s: status %d, want 401; body %s", what, w.Code, w.Body)
	}
	if got := w.Header().Get("WWW-Authenticate"); got != challenge {
		t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, challenge)
	}
	return decodeProblem(t, w).Detail
}

// TestPresetsAgainstSDKs has each provider's own Go SDK verify a request
// signed by the signers above, at the current time, so that the receiver
// tests rest on the providers' schemes. Providers without a Go SDK that
// verifies are checked against their documentation (see doc).
func TestPresetsAgainstSDKs(t *testing.T) {
	t.Parallel()
	for _, pc := range providerCases() {
		t.Run(pc.name+"/"+funcName(pc), func(t *testing.T) {
			if pc.sdk == nil {
				t.Skipf("no Go SDK verifies %s webhooks; signed per %s", pc.name, pc.doc)
			}
			now := time.Now()
			s := pc.sign(pc.bodyAt(pc.secret, now), pc.secret, now)
			if err := pc.sdk(s, pc.secret); err != nil {
				t.Fatalf("%s SDK refuses the request: %v", pc.name, err)
			}
			// And the receiver accepts the same request at the same time.
			src, err := receive.Compile(sourceOf(`{`+pc.spec+`"verify":[`+pc.verifyEntry(pc.secret)+`]}`), receive.Options{})
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, serve(receive.Handler(src, (&accept{}).fn), s.request()), http.StatusOK)
		})
	}
}

func sdkStripe(s signedReq, secret string) error {
	return webhook.ValidatePayloadIgnoringTolerance(s.body, s.header("Stripe-Signature"), secret)
}

func sdkGitHub(s signedReq, secret string) error {
	_, err := github.ValidatePayload(s.request(), []byte(secret))
	return err
}

func sdkSlack(s signedReq, secret string) error {
	sv, err := slack.NewSecretsVerifier(s.request().Header, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(s.body); err != nil {
		return err
	}
	return sv.Ensure()
}

func sdkTwilio(s signedReq, secret string) error {
	u := twilioURL
	if _, q, ok := strings.Cut(s.target, "?"); ok {
		u += "?" + q
	}
	rv := client.NewRequestValidator(secret)
	if !rv.ValidateBody(u, s.body, s.header("X-Twilio-Signature")) {
		return fmt.Errorf("twilio-go RequestValidator says no")
	}
	return nil
}

func sdkStandard(s signedReq, secret string) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	h := s.request().Header
	if h.Get("webhook-id") == "" { // the reference library reads webhook-* only
		h.Set("webhook-id", h.Get("svix-id"))
		h.Set("webhook-timestamp", h.Get("svix-timestamp"))
		h.Set("webhook-signature", h.Get("svix-signature"))
	}
	return wh.Verify(s.body, h)
}

func sdkPaddle(s signedReq, secret string) error {
	ok, err := paddle.NewWebhookVerifier(secret, paddle.VerifierWithTimestampTolerance(5*time.Second)).Verify(s.request())
	if err == nil && !ok {
		err = fmt.Errorf("paddle-go-sdk WebhookVerifier says no")
	}
	return err
}

func sdkPagerDuty(s signedReq, secret string) error {
	return webhookv3.VerifySignature(s.request(), secret)
}

func sdkDiscord(s signedReq, _ string) error {
	if !discordgo.VerifyInteraction(s.request(), discordKey.Public().(ed25519.PublicKey)) {
		return fmt.Errorf("discordgo.VerifyInteraction says no")
	}
	return nil
}

func sdkSendGrid(s signedReq, _ string) error {
	key, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(sendgridPublicKey())
	if err != nil {
		return err
	}
	ok, err := eventwebhook.VerifySignature(key, s.body, s.header("X-Twilio-Email-Event-Webhook-Signature"), s.header("X-Twilio-Email-Event-Webhook-Timestamp"))
	if err == nil && !ok {
		err = fmt.Errorf("sendgrid eventwebhook.VerifySignature says no")
	}
	return err
}

func sdkMailgun(s signedReq, secret string) error {
	mg := mailgun.NewMailgun("example.com", "api-key")
	mg.SetWebhookSigningKey(secret)
	var body struct{ Signature mailgun.Signature }
	if err := jsonUnmarshal(s.body, &body); err != nil {
		return err
	}
	ok, err := mg.VerifyWebhookSignature(body.Signature)
	if err == nil && !ok {
		err = fmt.Errorf("mailgun-go VerifyWebhookSignature says no")
	}
	return err
}

// TestDocumentedVectors checks the known-answer vectors that providers
// publish in their documentation (testdata/vectors.json): each must be
// accepted, and refused once a byte of its body changes.
func TestDocumentedVectors(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Name    string
		Spec    json.RawMessage
		Now     int64
		Target  string
		Headers map[string]string
		Body    string
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			now := time.Unix(v.Now, 0)
			src, err := receive.Compile(sourceOf(string(v.Spec)), receive.Options{NowFunc: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			h := receive.Handler(src, (&accept{}).fn)
			var hs []string
			for k, val := range v.Headers {
				hs = append(hs, k, val)
			}
			expectStatus(t, serve(h, req(http.MethodPost, v.Target, []byte(v.Body), hs...)), http.StatusOK)
			tampered := []byte(v.Body)
			tampered[len(tampered)-1] ^= 1
			expectStatus(t, serve(h, req(http.MethodPost, v.Target, tampered, hs...)), http.StatusUnauthorized)
		})
	}
}
