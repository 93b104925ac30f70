package receive_test

// Signers that sign a request the way each provider documents it. The
// tests cross-check them with the provider's own Go SDK where one exists
// (see presets_test.go), so that the receiver is tested against the
// provider's scheme and not against itself.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/hookd/hookd/signature"
)

// signedReq is a request as a provider sends it.
type signedReq struct {
	target  string // path and query on hookd
	ctype   string
	body    []byte
	headers []string // name, value pairs
}

func (s signedReq) header(name string) string {
	for i := 0; i+1 < len(s.headers); i += 2 {
		if strings.EqualFold(s.headers[i], name) {
			return s.headers[i+1]
		}
	}
	return ""
}

func hmacBytes(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

var (
	sha256New = sha256.New
	sha1New   = sha1.New
	sha512New = sha512.New
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func hexMAC(key string, msg []byte) string {
	return hex.EncodeToString(hmacBytes(sha256New, []byte(key), msg))
}
func b64MAC(key string, msg []byte) string {
	return base64.StdEncoding.EncodeToString(hmacBytes(sha256New, []byte(key), msg))
}

func unix(ts time.Time) string { return strconv.FormatInt(ts.Unix(), 10) }

const jsonCT = "application/json"

func jsonReq(body []byte, headers ...string) signedReq {
	return signedReq{target: "/in/src", ctype: jsonCT, body: body, headers: headers}
}

// Stripe: stripe-go's own test helper signs.
func signStripe(body []byte, secret string, ts time.Time) signedReq {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: ts})
	return jsonReq(body, "Stripe-Signature", sp.Header)
}

func signGitHub(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "X-Hub-Signature-256", "sha256="+hexMAC(secret, body), "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "X-GitHub-Event", "push")
}

func signSlack(body []byte, secret string, ts time.Time) signedReq {
	t := unix(ts)
	return jsonReq(body, "X-Slack-Request-Timestamp", t, "X-Slack-Signature", "v0="+hexMAC(secret, []byte("v0:"+t+":"+string(body))))
}

func signShopify(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "X-Shopify-Hmac-Sha256", b64MAC(secret, body), "X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
}

// twilioURL is the public_url of the twilio tests.
const twilioURL = "https://hooks.example.com/in/src"

// signTwilio signs a form body: the URL then each sorted name and value.
func signTwilio(body []byte, secret string, _ time.Time) signedReq {
	f, _ := url.ParseQuery(string(body))
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := twilioURL
	for _, k := range keys {
		msg += k + f.Get(k)
	}
	sig := base64.StdEncoding.EncodeToString(hmacBytes(sha1New, []byte(secret), []byte(msg)))
	return signedReq{target: "/in/src", ctype: "application/x-www-form-urlencoded", body: body,
		headers: []string{"X-Twilio-Signature", sig, "I-Twilio-Idempotency-Token", "tok-1"}}
}

// signTwilioJSON signs a JSON body: the URL with bodySHA256 alone.
func signTwilioJSON(body []byte, secret string, _ time.Time) signedReq {
	sum := sha256.Sum256(body)
	q := "bodySHA256=" + hex.EncodeToString(sum[:])
	sig := base64.StdEncoding.EncodeToString(hmacBytes(sha1New, []byte(secret), []byte(twilioURL+"?"+q)))
	return signedReq{target: "/in/src?" + q, ctype: jsonCT, body: body, headers: []string{"X-Twilio-Signature", sig}}
}

func signStandard(body []byte, secret string, ts time.Time) signedReq {
	sig, err := signature.Sign(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body)
	if err != nil {
		panic(err)
	}
	return jsonReq(body, "webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "webhook-timestamp", unix(ts), "webhook-signature", sig)
}

func signSvix(body []byte, secret string, ts time.Time) signedReq {
	s := signStandard(body, secret, ts)
	return jsonReq(body, "svix-id", s.header("webhook-id"), "svix-timestamp", s.header("webhook-timestamp"), "svix-signature", s.header("webhook-signature"))
}

func signPaddle(body []byte, secret string, ts time.Time) signedReq {
	t := unix(ts)
	return jsonReq(body, "Paddle-Signature", "ts="+t+";h1="+hexMAC(secret, []byte(t+":"+string(body))))
}

func signPagerDuty(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "X-PagerDuty-Signature", "v1="+hexMAC(secret, body))
}

// signLinear signs a body that must carry webhookTimestamp (ms), set by
// linearBody.
func signLinear(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "Linear-Signature", hexMAC(secret, body), "Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72")
}

func linearBody(ts time.Time) []byte {
	return []byte(fmt.Sprintf(`{"action":"create","type":"Issue","data":{"id":"x"},"webhookTimestamp":%d}`, ts.UnixMilli()))
}

func signGitLab(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "X-Gitlab-Token", secret, "X-Gitlab-Event", "Push Hook", "Idempotency-Key", "f3b5c2d0-1e2f-4a5b-8c9d-0e1f2a3b4c5d")
}

// discordKey is the key pair of the discord tests.
var discordKey = ed25519.NewKeyFromSeed(bytes32("discord"))

func bytes32(s string) []byte {
	b := make([]byte, 32)
	copy(b, s)
	return b
}

func signDiscord(body []byte, _ string, ts time.Time) signedReq {
	t := unix(ts)
	sig := ed25519.Sign(discordKey, append([]byte(t), body...))
	return jsonReq(body, "X-Signature-Ed25519", hex.EncodeToString(sig), "X-Signature-Timestamp", t)
}

// sendgridKey is the key pair of the sendgrid tests.
var sendgridKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

func sendgridPublicKey() string {
	der, err := x509.MarshalPKIXPublicKey(&sendgridKey.PublicKey)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func signSendGrid(body []byte, _ string, ts time.Time) signedReq {
	t := unix(ts)
	sum := sha256.Sum256(append([]byte(t), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, sendgridKey, sum[:])
	if err != nil {
		panic(err)
	}
	return jsonReq(body, "X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig),
		"X-Twilio-Email-Event-Webhook-Timestamp", t)
}

// mailgunBody is a Mailgun webhook body whose signature is inside.
func mailgunBody(secret string, ts time.Time, token string) []byte {
	t := unix(ts)
	sig := hexMAC(secret, []byte(t+token))
	return []byte(fmt.Sprintf(`{"signature":{"timestamp":%q,"token":%q,"signature":%q},"event-data":{"id":"ev-1","event":"delivered"}}`, t, token, sig))
}

func signMailgun(body []byte, _ string, _ time.Time) signedReq { return jsonReq(body) }

func signTypeform(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "Typeform-Signature", "sha256="+b64MAC(secret, body))
}

func signCalendly(body []byte, secret string, ts time.Time) signedReq {
	t := unix(ts)
	return jsonReq(body, "Calendly-Webhook-Signature", "t="+t+",v1="+hexMAC(secret, []byte(t+"."+string(body))))
}

func signZoom(body []byte, secret string, ts time.Time) signedReq {
	t := unix(ts)
	return jsonReq(body, "x-zm-request-timestamp", t, "x-zm-signature", "v0="+hexMAC(secret, []byte("v0:"+t+":"+string(body))))
}

// hubspotURL is the public_url of the hubspot and square tests.
const hubspotURL = "https://hooks.example.com/in/src"

func signHubSpot(body []byte, secret string, ts time.Time) signedReq {
	t := strconv.FormatInt(ts.UnixMilli(), 10)
	msg := "POST" + hubspotURL + "?portal=62515&name=a:b" + string(body) + t
	return signedReq{target: "/in/src?portal=62515&name=a%3Ab", ctype: jsonCT, body: body,
		headers: []string{"X-HubSpot-Signature-v3", b64MAC(secret, []byte(msg)), "X-HubSpot-Request-Timestamp", t}}
}

func signIntercom(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "X-Hub-Signature", "sha1="+hex.EncodeToString(hmacBytes(sha1New, []byte(secret), body)))
}

func signSquare(body []byte, secret string, _ time.Time) signedReq {
	return jsonReq(body, "x-square-hmacsha256-signature", b64MAC(secret, append([]byte(hubspotURL), body...)))
}

func signTwitch(body []byte, secret string, ts time.Time) signedReq {
	id, t := "befa7b53-d79d-478f-86b9-120f112b044e", ts.UTC().Format(time.RFC3339Nano)
	return jsonReq(body, "Twitch-Eventsub-Message-Id", id, "Twitch-Eventsub-Message-Timestamp", t,
		"Twitch-Eventsub-Message-Type", "notification",
		"Twitch-Eventsub-Message-Signature", "sha256="+hexMAC(secret, []byte(id+t+string(body))))
}
