package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestMergePatch runs the examples of RFC 7396, appendix A.
func TestMergePatch(t *testing.T) {
	t.Parallel()
	tests := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{`{"n":1.50,"m":2}`, `{"m":3}`, `{"n":1.50,"m":3}`}, // untouched values keep their bytes
	}
	for _, tc := range tests {
		t.Run(tc.target+"+"+tc.patch, func(t *testing.T) {
			got, err := mergePatch([]byte(tc.target), []byte(tc.patch))
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, got); err != nil {
				t.Fatalf("result %s: %v", got, err)
			}
			if compact.String() != tc.want {
				t.Fatalf("got %s, want %s", compact.String(), tc.want)
			}
		})
	}
}

func TestDecodeJSONPointers(t *testing.T) {
	t.Parallel()
	type inner struct {
		N int `json:"n"`
	}
	type target struct {
		S     string            `json:"s"`
		B     bool              `json:"b"`
		F     float64           `json:"f"`
		D     *hookd.Duration   `json:"d"`
		T     time.Time         `json:"t"`
		L     []hookd.Duration  `json:"l"`
		M     map[string]string `json:"m"`
		In    inner             `json:"in"`
		Any   any               `json:"any"`
		Raw   json.RawMessage   `json:"raw"`
		Under string            `json:"a/b~c"`
	}
	tests := []struct {
		body     string
		code     string
		pointers []string
	}{
		{`{"s":"x","b":true,"f":1.5,"d":"1s","t":"2024-01-01T00:00:00Z","l":["1s"],"m":{"a":"b"},"in":{"n":1},"any":[1],"raw":{"x":1},"a/b~c":"ok"}`, "", nil},
		{`{"s":1}`, hookd.EINVALID, []string{"/s"}},
		{`{"b":"true","f":"1"}`, hookd.EINVALID, []string{"/b", "/f"}},
		{`{"d":"forever"}`, hookd.EINVALID, []string{"/d"}},
		{`{"t":"yesterday"}`, hookd.EINVALID, []string{"/t"}},
		{`{"l":["1s",2,"x"]}`, hookd.EINVALID, []string{"/l/1", "/l/2"}},
		{`{"m":{"k":1}}`, hookd.EINVALID, []string{"/m/k"}},
		{`{"in":{"n":1.5,"z":1}}`, hookd.EINVALID, []string{"/in/n", "/in/z"}},
		{`{"in":{"n":99999999999999999999}}`, hookd.EINVALID, []string{"/in/n"}},
		{`{"S":"case matters"}`, hookd.EINVALID, []string{"/S"}},
		{`{"x/y":1}`, hookd.EINVALID, []string{"/x~1y"}},
		{`[]`, hookd.EINVALID, []string{""}},
		{`{"s":"x"`, hookd.EMALFORMED, nil},
		{`{"s":"x"}x`, hookd.EMALFORMED, nil},
		{`{"s":tru}`, hookd.EMALFORMED, nil},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			var dst target
			err := decodeJSON([]byte(tc.body), &dst)
			if got := hookd.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.code)
			}
			fields := hookd.ErrorFields(err)
			if len(fields) != len(tc.pointers) {
				t.Fatalf("fields = %+v, want %v", fields, tc.pointers)
			}
			for i, f := range fields {
				if f.Pointer != tc.pointers[i] || f.Message == "" {
					t.Errorf("field %d = %+v, want pointer %q", i, f, tc.pointers[i])
				}
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	want := map[string]int{
		hookd.EMALFORMED: 400, hookd.EINVALID: 422, hookd.EMISMATCH: 422, hookd.ENOTFOUND: 404,
		hookd.ECONFLICT: 409, hookd.EUNAUTHORIZED: 401, hookd.EFORBIDDEN: 403, hookd.ETOOLARGE: 413,
		hookd.EUNAVAILABLE: 503, hookd.EUNSUPPORTED: 415, hookd.EMETHOD: 405, hookd.EINTERNAL: 500, "other": 500,
	}
	for code, status := range want {
		if got := statusOf(code); got != status {
			t.Errorf("statusOf(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestRotateSecrets(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	old := []hookd.Secret{
		{Value: "expired", ExpiresAt: now.Add(-time.Second)},
		{Value: "expiring", ExpiresAt: now.Add(time.Hour)},
		{Value: "current"},
	}
	got := rotateSecrets(old, "new", now)
	if len(got) != 3 || got[0].Value != "expiring" || !got[0].ExpiresAt.Equal(now.Add(time.Hour)) ||
		got[1].Value != "current" || !got[1].ExpiresAt.Equal(now.Add(24*time.Hour)) ||
		got[2].Value != "new" || !got[2].ExpiresAt.IsZero() {
		t.Fatalf("rotateSecrets = %+v", got)
	}
	var many []hookd.Secret
	for i := range 20 {
		many = append(many, hookd.Secret{Value: fmt.Sprint(i)})
	}
	if got := rotateSecrets(many, "new", now); len(got) != maxSecrets || got[maxSecrets-1].Value != "new" {
		t.Fatalf("kept %d secrets", len(got))
	}
}

func TestPageByName(t *testing.T) {
	t.Parallel()
	names := []string{"a", "b", "c", "d", "e", "f", "g"}
	id := func(s string) string { return s }
	var walked []string
	p := hookd.Page{Limit: 3}
	for {
		page, next, err := pageByName(names, id, p)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, page...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if fmt.Sprint(walked) != fmt.Sprint(names) {
		t.Fatalf("walked %v", walked)
	}
	if _, _, err := pageByName(names, id, hookd.Page{Cursor: "!"}); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("bad cursor: %v", err)
	}
}
