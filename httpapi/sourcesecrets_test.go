package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const sourceWithSecrets = `{"id":"gh","description":"d","verify":[
	{"provider":"github","secret":"whsec_cHJvdmlkZXItc2VjcmV0LWFiY2RlZmdo","secrets":["older-provider-secret-1234"]},
	{"hmac":{"header":"X-Sig","secret":"hmac-secret-abcdefghij"}},
	{"basic":{"username":"u","password":"basic-password-abcdefgh"}},
	{"token":{"header":"X-Token","value":"tok"}}],
	"destinations":[{"forward":{"url":"https://example.com/f","secret":"whsec_Zm9yd2FyZC1zZWNyZXQtMTIzNDU2Nzg="}}]}`

var sourceSecretValues = []string{"whsec_cHJvdmlkZXItc2VjcmV0LWFiY2RlZmdo", "older-provider-secret-1234",
	"hmac-secret-abcdefghij", "basic-password-abcdefgh", `"tok"`, "whsec_Zm9yd2FyZC1zZWNyZXQtMTIzNDU2Nzg="}

// requireRedacted fails if body shows any of the source's secrets.
func requireRedacted(t *testing.T, body []byte) {
	t.Helper()
	for _, s := range sourceSecretValues {
		if strings.Contains(string(body), s) {
			t.Fatalf("the API shows the secret %s: %s", s, body)
		}
	}
}

func TestSourceSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	r := h.do("POST", "/v1/sources", sourceWithSecrets)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	requireRedacted(t, r.body)
	for _, path := range []string{"/v1/sources", "/v1/sources/gh"} {
		requireRedacted(t, h.do("GET", path, "").body)
	}
	var got map[string]any
	if err := json.Unmarshal(h.do("GET", "/v1/sources/gh", "").body, &got); err != nil {
		t.Fatal(err)
	}
	verify := got["verify"].([]any)
	first := verify[0].(map[string]any)
	if first["secret_prefix"] != "whsec_cHJv" || first["secrets_prefix"].([]any)[0] != "olde" {
		t.Fatalf("verify[0] = %v", first)
	}
	if tok := verify[3].(map[string]any)["token"].(map[string]any); tok["value_prefix"] != "" || tok["header"] != "X-Token" {
		t.Fatalf("a short token shows %v", tok)
	}

	stored := func() string {
		src, err := h.store.GetSource(ctx, "gh")
		if err != nil {
			t.Fatal(err)
		}
		return string(src.Spec)
	}
	before := stored()
	// A patch that leaves the secrets alone keeps them.
	r = h.do("PATCH", "/v1/sources/gh", `{"description":"changed"}`)
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	requireRedacted(t, r.body)
	after := stored()
	for _, s := range sourceSecretValues {
		if !strings.Contains(after, strings.Trim(s, `"`)) {
			t.Fatalf("patch lost %s: %s (was %s)", s, after, before)
		}
	}
	if strings.Contains(after, "_prefix") {
		t.Fatalf("a redaction was stored: %s", after)
	}
	var b, a any
	if json.Unmarshal([]byte(before), &b) != nil || json.Unmarshal([]byte(after), &a) != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("a patch of the description changed the spec:\n%s\n%s", before, after)
	}
	// Replacing the list without the secrets, as read back, keeps them.
	read := h.do("GET", "/v1/sources/gh", "").body
	var asRead map[string]json.RawMessage
	_ = json.Unmarshal(read, &asRead)
	r = h.do("PATCH", "/v1/sources/gh", `{"verify":`+string(asRead["verify"])+`}`)
	if r.status != http.StatusOK || stored() != after {
		t.Fatalf("patch with the redacted list: %d %s; stored %s", r.status, r.body, stored())
	}
	// A secret sent anew replaces the stored one.
	r = h.do("PATCH", "/v1/sources/gh", `{"destinations":[{"forward":{"url":"https://example.com/f","secret":"whsec_bmV3LWZvcndhcmQtc2VjcmV0LTEyMzQ1"}}]}`)
	if r.status != http.StatusOK || !strings.Contains(stored(), "whsec_bmV3LWZvcndhcmQtc2VjcmV0LTEyMzQ1") {
		t.Fatalf("new secret: %d %s; stored %s", r.status, r.body, stored())
	}
}
