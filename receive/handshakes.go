package receive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/hookd/hookd/signature"
)

// checkTwilio checks X-Twilio-Signature: base64 HMAC-SHA1 of the URL
// Twilio called followed, for a form body, by every parameter name and
// value sorted by name. For a JSON body the URL carries bodySHA256, the
// hex SHA-256 of the body, and the URL alone is signed. Like Twilio's own
// validators, it tries the URL with and without the default port.
func checkTwilio(v *presetVerifier, rc *reqCtx) error {
	h, err := header(rc.r, "X-Twilio-Signature")
	if err != nil {
		return err
	}
	sig := decodeMAC("base64", h)
	if sig == nil {
		return malformed("X-Twilio-Signature is not base64")
	}
	var params string
	if isForm(rc.mediaType) {
		f, err := rc.formValues()
		if err != nil {
			return err
		}
		params = sortedParams(f)
	} else if err := checkBodySHA256(rc); err != nil {
		return err
	}
	for _, u := range urlVariants(rc.signedURL()) {
		if macMatches("sha1", v.keys, []byte(u+params), [][]byte{sig}) {
			return nil
		}
	}
	return errNoMatch
}

func checkBodySHA256(rc *reqCtx) error {
	want := rc.r.URL.Query().Get("bodySHA256")
	if want == "" {
		return missing("bodySHA256 query parameter")
	}
	sum := sha256.Sum256(rc.body)
	if !equalBytes([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(want))) {
		return fmt.Errorf("bodySHA256 does not match the body: %w", signature.ErrInvalid)
	}
	return nil
}

// sortedParams concatenates every name and value, sorted by name, then
// by value for a repeated name.
func sortedParams(f url.Values) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vals := append([]string(nil), f[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	return b.String()
}

// urlVariants returns u, then u with its default port added or removed.
func urlVariants(u string) []string {
	p, err := url.Parse(u)
	if err != nil {
		return []string{u}
	}
	def := map[string]string{"https": "443", "http": "80"}[p.Scheme]
	alt := *p
	switch {
	case def == "":
		return []string{u}
	case p.Port() == "":
		alt.Host = p.Host + ":" + def
	case p.Port() == def:
		alt.Host = p.Hostname()
	default:
		return []string{u}
	}
	return []string{u, alt.String()}
}

// hubspotDecodes are the escapes HubSpot decodes in the URI it signs.
var hubspotDecodes = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";")

// checkHubSpot checks X-HubSpot-Signature-v3: base64 HMAC-SHA256 of
// method + URI + body + timestamp, the timestamp in milliseconds.
func checkHubSpot(v *presetVerifier, rc *reqCtx) error {
	sig, err := header(rc.r, "X-HubSpot-Signature-v3")
	if err != nil {
		return err
	}
	ts, err := header(rc.r, "X-HubSpot-Request-Timestamp")
	if err != nil {
		return err
	}
	mac := decodeMAC("base64", sig)
	if mac == nil {
		return malformed("X-HubSpot-Signature-v3 is not base64")
	}
	if err := v.checkUnix(ts, rc.now); err != nil {
		return err
	}
	uri := hubspotDecodes.Replace(rc.signedURL())
	return v.match("sha256", concat([]byte(rc.r.Method+uri), rc.body, []byte(ts)), [][]byte{mac})
}

// equalBytes compares in constant time.
func equalBytes(a, b []byte) bool { return signature.Equal(a, b) }

// slackHandshake answers Slack's url_verification with its challenge.
func slackHandshake(_ *presetVerifier, rc *reqCtx) (*handshake, *rejection) {
	if !isJSON(rc.mediaType) {
		return nil, nil
	}
	typ, err := rc.bodyString("/type")
	if err != nil || typ != "url_verification" {
		return nil, bodyRejection(err)
	}
	ch, err := rc.bodyString("/challenge")
	if err != nil {
		return nil, bodyRejection(err)
	}
	return jsonHandshake("slack url_verification", map[string]string{"challenge": ch}), nil
}

// discordHandshake answers an interaction PING (type 1) with a PONG.
func discordHandshake(_ *presetVerifier, rc *reqCtx) (*handshake, *rejection) {
	typ, err := rc.bodyString("/type")
	if err != nil || typ != "1" {
		return nil, bodyRejection(err)
	}
	return jsonHandshake("discord ping", map[string]int{"type": 1}), nil
}

// zoomHandshake answers endpoint.url_validation with the plain token and
// its hex HMAC-SHA256 under the secret token.
func zoomHandshake(v *presetVerifier, rc *reqCtx) (*handshake, *rejection) {
	ev, err := rc.bodyString("/event")
	if err != nil || ev != "endpoint.url_validation" {
		return nil, bodyRejection(err)
	}
	plain, err := rc.bodyString("/payload/plainToken")
	if err != nil {
		return nil, bodyRejection(err)
	}
	mac, _ := signature.ComputeHMAC("sha256", v.keys[0], []byte(plain))
	return jsonHandshake("zoom endpoint.url_validation",
		map[string]string{"plainToken": plain, "encryptedToken": hex.EncodeToString(mac)}), nil
}

// twitchHandshake answers webhook_callback_verification with the raw
// challenge.
func twitchHandshake(_ *presetVerifier, rc *reqCtx) (*handshake, *rejection) {
	if rc.r.Header.Get("Twitch-Eventsub-Message-Type") != "webhook_callback_verification" {
		return nil, nil
	}
	ch, err := rc.bodyString("/challenge")
	if err != nil {
		return nil, bodyRejection(err)
	}
	return &handshake{what: "twitch webhook_callback_verification", contentType: "text/plain; charset=utf-8", body: []byte(ch)}, nil
}

func jsonHandshake(what string, v any) *handshake {
	b, _ := json.Marshal(v)
	return &handshake{what: what, contentType: "application/json", body: b}
}

// bodyRejection is the 400 of a body a handshake could not parse; nil for
// nil.
func bodyRejection(err error) *rejection {
	var be *errBody
	if errors.As(err, &be) {
		return be.rej
	}
	return nil
}
