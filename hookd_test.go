package hookd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = hookd.NewID(hookd.PrefixEvent)
	}
	if !slices.IsSorted(ids) {
		t.Fatal("ids made in sequence do not sort in sequence")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if !hookd.HasPrefix(id, hookd.PrefixEvent) {
			t.Fatalf("HasPrefix(%q) = false", id)
		}
	}
	for _, bad := range []string{"evt_", "ep_" + ids[0][4:], "evt_0123456789ABCDEFGHJKMNPQRI", ids[0] + "0"} {
		if hookd.HasPrefix(bad, hookd.PrefixEvent) {
			t.Errorf("HasPrefix(%q) = true", bad)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"512KB", 512000, true}, {"512 KiB", 512 << 10, true},
		{"2GB", 2e9, true}, {"10B", 10, true}, {"1.5KiB", 1536, true},
		{"", 0, false}, {"-1", 0, false}, {"1TB", 0, false}, {"MiB", 0, false}, {"1e400", 0, false}, {"NaN", 0, false},
	}
	for _, tc := range tests {
		got, err := hookd.ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	var s hookd.Size
	if err := json.Unmarshal([]byte(`"1KiB"`), &s); err != nil || s != 1024 {
		t.Errorf("Size from JSON string = %d, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`2048`), &s); err != nil || s != 2048 {
		t.Errorf("Size from JSON number = %d, %v", s, err)
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s",
		0: "0s", 1500 * time.Millisecond: "1.5s", 10*time.Hour + 30*time.Second: "10h0m30s",
	} {
		if got := hookd.Duration(d).String(); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
		var back hookd.Duration
		if err := back.UnmarshalText([]byte(want)); err != nil || time.Duration(back) != d {
			t.Errorf("round trip of %q = %v, %v", want, back, err)
		}
	}
	var d hookd.Duration
	for _, bad := range []string{`30`, `"soon"`, `"-5s"`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Duration accepted %s", bad)
		}
	}
}

func TestMatchEventTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter []string
		typ    string
		want   bool
	}{
		{nil, "a.b", true},
		{[]string{"*"}, "x", true},
		{[]string{"a.b"}, "a.b", true},
		{[]string{"a.b"}, "a.bc", false},
		{[]string{"a.*"}, "a.b", true},
		{[]string{"a.*"}, "a.b.c", true},
		{[]string{"a.*"}, "a", false},
		{[]string{"a.*"}, "ab.c", false},
		{[]string{"b.*", "a.b"}, "a.b", true},
	}
	for _, tc := range tests {
		if got := hookd.MatchEventTypes(tc.filter, tc.typ); got != tc.want {
			t.Errorf("MatchEventTypes(%v, %q) = %v, want %v", tc.filter, tc.typ, got, tc.want)
		}
	}
}

func validEndpoint() *hookd.Endpoint {
	return &hookd.Endpoint{ID: "ep_1", TenantID: "default", URL: "https://example.com/hook", Enabled: true}
}

func TestEndpointValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*hookd.Endpoint)
		pointer string
	}{
		{"valid", func(*hookd.Endpoint) {}, ""},
		{"no url", func(e *hookd.Endpoint) { e.URL = "" }, "/url"},
		{"ftp url", func(e *hookd.Endpoint) { e.URL = "ftp://x/y" }, "/url"},
		{"relative url", func(e *hookd.Endpoint) { e.URL = "/hook" }, "/url"},
		{"credentials", func(e *hookd.Endpoint) { e.URL = "https://u:p@example.com" }, "/url"},
		{"bad filter", func(e *hookd.Endpoint) { e.EventTypes = []string{"a..b"} }, "/event_types/0"},
		{"wildcard in middle", func(e *hookd.Endpoint) { e.EventTypes = []string{"a.*.b"} }, "/event_types/0"},
		{"reserved header", func(e *hookd.Endpoint) { e.Headers = map[string]string{"Webhook-Signature": "x"} }, "/headers/Webhook-Signature"},
		{"content-type header", func(e *hookd.Endpoint) { e.Headers = map[string]string{"content-type": "x"} }, "/headers/content-type"},
		{"header injection", func(e *hookd.Endpoint) { e.Headers = map[string]string{"X-A": "a\r\nB: c"} }, "/headers/X-A"},
		{"bad header name", func(e *hookd.Endpoint) { e.Headers = map[string]string{"X A": "a"} }, "/headers/X A"},
		{"bad scheme", func(e *hookd.Endpoint) { e.Signature.Scheme = "md5" }, "/signature/scheme"},
		{"hmac without header", func(e *hookd.Endpoint) { e.Signature.Scheme = hookd.SchemeHMACSHA256 }, "/signature/header"},
		{"bad payload", func(e *hookd.Endpoint) { e.Payload = "xml" }, "/payload"},
		{"timeout too long", func(e *hookd.Endpoint) { e.Timeout = time.Hour }, "/timeout"},
		{"negative rate", func(e *hookd.Endpoint) { e.RateLimit = -1 }, "/rate_limit"},
		{"retry too long", func(e *hookd.Endpoint) { e.RetrySchedule = []time.Duration{time.Second, 30 * 24 * time.Hour} }, "/retry_schedule/1"},
		{"metadata not object", func(e *hookd.Endpoint) { e.Metadata = json.RawMessage(`[1]`) }, "/metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := validEndpoint()
			tc.edit(e)
			err := e.Validate()
			if tc.pointer == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if hookd.ErrorCode(err) != hookd.EINVALID {
				t.Fatalf("Validate() = %v, want %s", err, hookd.EINVALID)
			}
			fields := hookd.ErrorFields(err)
			if len(fields) != 1 || fields[0].Pointer != tc.pointer {
				t.Fatalf("fields = %+v, want one at %s", fields, tc.pointer)
			}
		})
	}
}

func TestActiveSecrets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := validEndpoint()
	e.Secrets = []hookd.Secret{
		{Value: "old", ExpiresAt: now.Add(-time.Second)},
		{Value: "rotated", ExpiresAt: now.Add(time.Hour)},
		{Value: "new"},
	}
	if got := e.ActiveSecrets(now); !slices.Equal(got, []string{"new", "rotated"}) {
		t.Fatalf("ActiveSecrets = %v, want newest first without the expired one", got)
	}
}

func TestRenderPayload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 18, 40, 47, 123456789, time.FixedZone("x", 3600))
	data, err := hookd.CompactData([]byte("{ \"amount\" : 1.10,\n \"big\": 123456789012345678901234567890 }"))
	if err != nil {
		t.Fatal(err)
	}
	payload, start := hookd.RenderPayload("invoice.paid", at, data)
	want := `{"type":"invoice.paid","timestamp":"2026-11-23T17:40:47.123Z","data":{"amount":1.10,"big":123456789012345678901234567890}}`
	if string(payload) != want {
		t.Fatalf("payload\n got %s\nwant %s", payload, want)
	}
	if string(payload[start:len(payload)-1]) != string(data) {
		t.Fatalf("data offset %d does not start the data", start)
	}
	for _, bad := range []string{"", "{", "nul", `{"a":1}x`} {
		if _, err := hookd.CompactData([]byte(bad)); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("CompactData(%q) = %v", bad, err)
		}
	}
}

func TestValidateNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"invoice.paid": true, "a": true, "a-b_c.d1": true, "a..b": false, ".a": false, "a.": false, "a b": false,
		strings.Repeat("a", 129): false, "": false,
	} {
		if got := hookd.ValidEventTypeName(name); got != want {
			t.Errorf("ValidEventTypeName(%q) = %v", name, got)
		}
	}
	for id, want := range map[string]bool{"default": true, "acme:eu-1": true, "a/b": false, "": false} {
		if got := hookd.ValidTenantID(id); got != want {
			t.Errorf("ValidTenantID(%q) = %v", id, got)
		}
	}
	for id, want := range map[string]bool{"github": true, "a_b-1": true, "a.b": false, "a/b": false} {
		if got := hookd.ValidSourceID(id); got != want {
			t.Errorf("ValidSourceID(%q) = %v", id, got)
		}
	}
	et := &hookd.EventType{Name: "a.b", Methods: []string{"FETCH", "GET", "GET"}, Examples: []json.RawMessage{json.RawMessage(`{`)}}
	fields := hookd.ErrorFields(et.Validate())
	if len(fields) != 3 || fields[1].Pointer != "/methods/0" || fields[2].Pointer != "/methods/2" {
		t.Fatalf("EventType.Validate fields = %+v, want an example, an unknown and a repeated method", fields)
	}
	for _, m := range hookd.Methods() {
		et := &hookd.EventType{Name: "a.b", Methods: []string{m}}
		if err := et.Validate(); err != nil || et.Method() != m || !et.AllowsMethod(m) {
			t.Errorf("method %s: %v", m, err)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk on fire")
	err := fmt.Errorf("commit: %w", &hookd.Error{Code: hookd.ECONFLICT, Message: "taken", Err: cause})
	if hookd.ErrorCode(err) != hookd.ECONFLICT || hookd.ErrorMessage(err) != "taken" || !errors.Is(err, cause) {
		t.Fatalf("code %q, message %q", hookd.ErrorCode(err), hookd.ErrorMessage(err))
	}
	plain := errors.New("boom")
	if hookd.ErrorCode(plain) != hookd.EINTERNAL || hookd.ErrorMessage(plain) != "internal error" {
		t.Fatal("a plain error must be internal and hide its text")
	}
	if hookd.ErrorCode(nil) != "" || !hookd.IsNotFound(hookd.Errorf(hookd.ENOTFOUND, "x")) {
		t.Fatal("nil error or IsNotFound")
	}
}

// TestPages checks the page size bounds and that a page's cursor resumes
// after the last item, with foreign cursors refused.
func TestPages(t *testing.T) {
	t.Parallel()
	for limit, want := range map[int]int{0: hookd.DefaultPageLimit, -3: hookd.DefaultPageLimit, 7: 7, 10000: hookd.MaxPageLimit} {
		if got := (hookd.Page{Limit: limit}).Size(); got != want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", limit, got, want)
		}
	}
	id := func(s string) string { return s }
	items, next := hookd.NextPage([]string{"evt_3", "evt_2", "evt_1"}, 2, id)
	if !slices.Equal(items, []string{"evt_3", "evt_2"}) || next == "" {
		t.Fatalf("NextPage = %v, %q", items, next)
	}
	if after, err := (hookd.Page{Cursor: next}).After(); err != nil || after != "evt_2" {
		t.Errorf("After() = %q, %v; want evt_2", after, err)
	}
	if items, next := hookd.NextPage([]string{"evt_1"}, 2, id); len(items) != 1 || next != "" {
		t.Errorf("the last page: %v, %q", items, next)
	}
	if after, err := (hookd.Page{}).After(); err != nil || after != "" {
		t.Errorf("no cursor: %q, %v", after, err)
	}
	for _, c := range []string{"!!", "_w"} { // not base64url; not UTF-8 (0xFF)
		if _, err := (hookd.Page{Cursor: c}).After(); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("cursor %q: %v, want EINVALID", c, err)
		}
	}
}

func TestEscapePointer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ token, escaped string }{
		{"plain", "plain"}, {"a/b", "a~1b"}, {"a~b", "a~0b"}, {"~1", "~01"}, {"/~", "~1~0"}, {"", ""},
	} {
		if got := hookd.EscapePointer(tc.token); got != tc.escaped {
			t.Errorf("EscapePointer(%q) = %q, want %q", tc.token, got, tc.escaped)
		}
		if got := hookd.UnescapePointer(tc.escaped); got != tc.token {
			t.Errorf("UnescapePointer(%q) = %q, want %q", tc.escaped, got, tc.token)
		}
	}
}

// TestValidIdempotencyKey checks the key rule against the pattern it
// states, which the API documents.
func TestValidIdempotencyKey(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(hookd.IdempotencyKeyPattern)
	for _, k := range []string{"", "a", "order-42", "a:b_c-D9", strings.Repeat("k", 64), strings.Repeat("k", 65),
		"bad key", "é", "a/b", "a.b", "a\n", "\x00", "Z", "z", "0", "9", "@", "[", "`", "{"} {
		if got, want := hookd.ValidIdempotencyKey(k), re.MatchString(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v, the pattern says %v", k, got, want)
		}
	}
}
