package receive

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// providerList returns every preset: each with its provider's documented
// headers, signed content, encoding, timestamp tolerance (5 minutes where
// the provider documents none) and delivery id.
func providerList() []*preset {
	return []*preset{
		{name: "stripe", tolerance: 5 * time.Minute, dedupe: dedupeRule{pointer: "/id"}, checkFunc: checkStripe,
			doc: "Stripe-Signature t=…,v1=<hex HMAC-SHA256 of \"t.body\">; 5 min"},
		{name: "github", dedupe: dedupeRule{headers: []string{"X-GitHub-Delivery"}}, checkFunc: checkGitHub,
			doc: "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body>"},
		{name: "slack", tolerance: 5 * time.Minute, dedupe: dedupeRule{pointer: "/event_id"}, checkFunc: checkSlack,
			handshakeFunc: slackHandshake,
			doc:           "X-Slack-Signature: v0=<hex HMAC-SHA256 of \"v0:ts:body\">, X-Slack-Request-Timestamp; 5 min"},
		{name: "shopify", dedupe: dedupeRule{headers: []string{"X-Shopify-Webhook-Id"}}, checkFunc: checkShopify,
			doc: "X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of body>"},
		{name: "twilio", needsURL: true, bodyBound: true, dedupe: dedupeRule{headers: []string{"I-Twilio-Idempotency-Token"}},
			checkFunc: checkTwilio,
			doc:       "X-Twilio-Signature: <base64 HMAC-SHA1 of URL + sorted form params>, or of a URL with bodySHA256 for JSON"},
		{name: "standard-webhooks", tolerance: 5 * time.Minute, key: whsecSecret,
			dedupe: dedupeRule{headers: []string{"Webhook-Id", "Svix-Id"}}, checkFunc: checkStandard,
			doc: "webhook-id/-timestamp/-signature (or svix-*): v1,<base64 HMAC-SHA256 of \"id.ts.body\">; 5 min"},
		{name: "paddle", tolerance: 5 * time.Second, dedupe: dedupeRule{pointer: "/event_id"}, checkFunc: checkPaddle,
			doc: "Paddle-Signature: ts=…;h1=<hex HMAC-SHA256 of \"ts:body\">; 5 s"},
		{name: "pagerduty", dedupe: dedupeRule{pointer: "/event/id"}, checkFunc: checkPagerDuty,
			doc: "X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of body>[,v1=…]"},
		{name: "linear", tolerance: time.Minute, bodyBound: true, dedupe: dedupeRule{headers: []string{"Linear-Delivery"}},
			checkFunc: checkLinear,
			doc:       "Linear-Signature: <hex HMAC-SHA256 of body>; webhookTimestamp (ms) in the body; 1 min"},
		{name: "gitlab", headerOnly: true, dedupe: dedupeRule{headers: []string{"Idempotency-Key", "X-Gitlab-Event-UUID"}},
			checkFunc: checkGitLab, doc: "X-Gitlab-Token: <secret token>"},
		{name: "discord", tolerance: 5 * time.Minute, key: ed25519Key, dedupe: dedupeRule{pointer: "/id"},
			checkFunc: checkDiscord, handshakeFunc: discordHandshake,
			doc: "X-Signature-Ed25519: <hex Ed25519 of ts+body>, X-Signature-Timestamp; 5 min"},
		{name: "sendgrid", tolerance: 5 * time.Minute, key: ecdsaKey, checkFunc: checkSendGrid,
			doc: "X-Twilio-Email-Event-Webhook-Signature: <base64 ECDSA P-256 SHA-256 of ts+body>; 5 min"},
		{name: "mailgun", tolerance: 5 * time.Minute, bodyBound: true, dedupe: dedupeRule{pointer: "/event-data/id"},
			checkFunc: checkMailgun,
			doc:       "signature {timestamp, token, signature: hex HMAC-SHA256 of timestamp+token} in the body; 5 min"},
		{name: "typeform", dedupe: dedupeRule{pointer: "/event_id"}, checkFunc: checkTypeform,
			doc: "Typeform-Signature: sha256=<base64 HMAC-SHA256 of body>"},
		{name: "calendly", tolerance: 3 * time.Minute, checkFunc: checkCalendly,
			doc: "Calendly-Webhook-Signature: t=…,v1=<hex HMAC-SHA256 of \"t.body\">; 3 min"},
		{name: "zoom", tolerance: 5 * time.Minute, checkFunc: checkZoom, handshakeFunc: zoomHandshake,
			doc: "x-zm-signature: v0=<hex HMAC-SHA256 of \"v0:ts:body\">, x-zm-request-timestamp; 5 min"},
		{name: "hubspot", tolerance: 5 * time.Minute, needsURL: true, checkFunc: checkHubSpot,
			doc: "X-HubSpot-Signature-v3: <base64 HMAC-SHA256 of method+URI+body+ts>, X-HubSpot-Request-Timestamp (ms); 5 min"},
		{name: "intercom", dedupe: dedupeRule{pointer: "/id"}, checkFunc: checkIntercom,
			doc: "X-Hub-Signature: sha1=<hex HMAC-SHA1 of body>"},
		{name: "square", needsURL: true, dedupe: dedupeRule{pointer: "/event_id"}, checkFunc: checkSquare,
			doc: "x-square-hmacsha256-signature: <base64 HMAC-SHA256 of notification URL + body>"},
		{name: "twitch", tolerance: 10 * time.Minute, dedupe: dedupeRule{headers: []string{"Twitch-Eventsub-Message-Id"}},
			checkFunc: checkTwitch, handshakeFunc: twitchHandshake,
			doc: "Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of id+ts+body>; 10 min"},
	}
}

func checkStripe(v *presetVerifier, rc *reqCtx) error {
	h, err := header(rc.r, "Stripe-Signature")
	if err != nil {
		return err
	}
	ts, sigs, err := kvSignature(h, ",", "t", "v1", "hex")
	if err != nil {
		return err
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	return v.match("sha256", concat([]byte(ts), []byte("."), rc.body), sigs)
}

func checkGitHub(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("X-Hub-Signature-256"), "sha256=", "hex")
	if err != nil {
		return err
	}
	return v.match("sha256", rc.body, cands)
}

func checkSlack(v *presetVerifier, rc *reqCtx) error {
	return checkV0(v, rc, "X-Slack-Request-Timestamp", "X-Slack-Signature")
}

// checkV0 verifies the scheme Slack and Zoom share: "v0=" + hex HMAC-SHA256
// of "v0:{timestamp}:{body}", with the timestamp in its own header.
func checkV0(v *presetVerifier, rc *reqCtx, tsHeader, sigHeader string) error {
	ts, err := header(rc.r, tsHeader)
	if err != nil {
		return err
	}
	cands, err := candidates(rc.r.Header.Get(sigHeader), "v0=", "hex")
	if err != nil {
		return err
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	return v.match("sha256", concat([]byte("v0:"+ts+":"), rc.body), cands)
}

func checkShopify(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("X-Shopify-Hmac-Sha256"), "", "base64")
	if err != nil {
		return err
	}
	return v.match("sha256", rc.body, cands)
}

func checkStandard(v *presetVerifier, rc *reqCtx) error {
	return v.std.Verify(rc.r.Header, rc.body)
}

func checkPaddle(v *presetVerifier, rc *reqCtx) error {
	h, err := header(rc.r, "Paddle-Signature")
	if err != nil {
		return err
	}
	ts, sigs, err := kvSignature(h, ";", "ts", "h1", "hex")
	if err != nil {
		return err
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	return v.match("sha256", concat([]byte(ts+":"), rc.body), sigs)
}

func checkPagerDuty(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("X-PagerDuty-Signature"), "v1=", "hex")
	if err != nil {
		return err
	}
	return v.match("sha256", rc.body, cands)
}

// checkLinear checks the signature, then the webhookTimestamp (Unix ms)
// that Linear puts in the signed body.
func checkLinear(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("Linear-Signature"), "", "hex")
	if err != nil {
		return err
	}
	if err := v.match("sha256", rc.body, cands); err != nil {
		return err
	}
	ts, err := rc.bodyString("/webhookTimestamp")
	if err != nil {
		return err
	}
	if ts == "" {
		return missing("webhookTimestamp in the body")
	}
	return v.checkUnix(ts, rc.now)
}

func checkGitLab(v *presetVerifier, rc *reqCtx) error {
	tok, err := header(rc.r, "X-Gitlab-Token")
	if err != nil {
		return err
	}
	for _, k := range v.keys {
		if equalBytes([]byte(tok), k) {
			return nil
		}
	}
	return errNoMatch
}

func checkDiscord(v *presetVerifier, rc *reqCtx) error {
	sigHex, err := header(rc.r, "X-Signature-Ed25519")
	if err != nil {
		return err
	}
	ts, err := header(rc.r, "X-Signature-Timestamp")
	if err != nil {
		return err
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return malformed("X-Signature-Ed25519 is not a hex Ed25519 signature")
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	if !ed25519.Verify(v.ed, concat([]byte(ts), rc.body), sig) {
		return errNoMatch
	}
	return nil
}

func checkSendGrid(v *presetVerifier, rc *reqCtx) error {
	sigB64, err := header(rc.r, "X-Twilio-Email-Event-Webhook-Signature")
	if err != nil {
		return err
	}
	ts, err := header(rc.r, "X-Twilio-Email-Event-Webhook-Timestamp")
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return malformed("the signature is not base64")
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	sum := sha256.Sum256(concat([]byte(ts), rc.body))
	if !ecdsa.VerifyASN1(v.ec, sum[:], sig) {
		return errNoMatch
	}
	return nil
}

// checkMailgun checks the signature Mailgun puts inside the body: under
// "signature" in a JSON body, as fields of a form body.
func checkMailgun(v *presetVerifier, rc *reqCtx) error {
	var ts, token, sig string
	var err error
	if isForm(rc.mediaType) {
		f, ferr := rc.formValues()
		if ferr != nil {
			return ferr
		}
		ts, token, sig = f.Get("timestamp"), f.Get("token"), f.Get("signature")
	} else {
		for _, p := range []struct {
			dst *string
			ptr string
		}{{&ts, "/signature/timestamp"}, {&token, "/signature/token"}, {&sig, "/signature/signature"}} {
			if *p.dst, err = rc.bodyString(p.ptr); err != nil {
				return err
			}
		}
	}
	if ts == "" || token == "" || sig == "" {
		return missing("signature {timestamp, token, signature} in the body")
	}
	mac := decodeMAC("hex", sig)
	if mac == nil {
		return malformed("the signature is not hex")
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	return v.match("sha256", []byte(ts+token), [][]byte{mac})
}

func checkTypeform(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("Typeform-Signature"), "sha256=", "base64")
	if err != nil {
		return err
	}
	return v.match("sha256", rc.body, cands)
}

func checkCalendly(v *presetVerifier, rc *reqCtx) error {
	h, err := header(rc.r, "Calendly-Webhook-Signature")
	if err != nil {
		return err
	}
	ts, sigs, err := kvSignature(h, ",", "t", "v1", "hex")
	if err != nil {
		return err
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	return v.match("sha256", concat([]byte(ts+"."), rc.body), sigs)
}

func checkZoom(v *presetVerifier, rc *reqCtx) error {
	return checkV0(v, rc, "X-Zm-Request-Timestamp", "X-Zm-Signature")
}

func checkIntercom(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("X-Hub-Signature"), "sha1=", "hex")
	if err != nil {
		return err
	}
	return v.match("sha1", rc.body, cands)
}

func checkSquare(v *presetVerifier, rc *reqCtx) error {
	cands, err := candidates(rc.r.Header.Get("X-Square-Hmacsha256-Signature"), "", "base64")
	if err != nil {
		return err
	}
	return v.match("sha256", concat([]byte(rc.signedURL()), rc.body), cands)
}

func checkTwitch(v *presetVerifier, rc *reqCtx) error {
	id, err := header(rc.r, "Twitch-Eventsub-Message-Id")
	if err != nil {
		return err
	}
	ts, err := header(rc.r, "Twitch-Eventsub-Message-Timestamp")
	if err != nil {
		return err
	}
	cands, err := candidates(rc.r.Header.Get("Twitch-Eventsub-Message-Signature"), "sha256=", "hex")
	if err != nil {
		return err
	}
	t, perr := time.Parse(time.RFC3339Nano, ts)
	if perr != nil {
		return malformed("Twitch-Eventsub-Message-Timestamp is not RFC 3339")
	}
	if err := checkTime(t, rc.now, v.tol); err != nil {
		return err
	}
	return v.match("sha256", concat([]byte(id+ts), rc.body), cands)
}
