package receive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receive"
)

// TestSourcePaths checks the path rule: any absolute path, "/" and
// multi-segment ones included; hookd's own routes, /in/ paths of other
// sources, relative, empty-segment, dot-segment and escaped paths are
// refused with a pointer at /path.
func TestSourcePaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/", "/github", "/acme/prod/plaid_transactions", "/a-b.c_d~e/x:y@z", "/in/src", "/v1x", "/uix", "/docsy"} {
		if got := compile(t, `{"path":"`+p+`"}`).Path(); got != p {
			t.Errorf("path %q compiled as %q", p, got)
		}
	}
	if got := compile(t, `{}`).Path(); got != "/in/src" {
		t.Errorf("default path %q", got)
	}
	for _, p := range []string{"github", "/github/", "//x", "/a//b", "/a/../b", "/a/./b", "/a b", "/a?b", "/a%20b", "/a#b",
		"/v1", "/v1/sources", "/ui", "/ui/x", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics", "/in/other", "/in/src/x"} {
		fe := compileErr(t, `{"path":`+mustJSON(p)+`}`)
		if len(fe) != 1 || fe[0].Pointer != "/path" {
			t.Errorf("path %q: %+v", p, fe)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestServerRoutesByPath serves sources at "/", at a multi-segment path
// and at the default /in/{id}; a path no source has is 404, and so is the
// default path of a source that moved.
func TestServerRoutesByPath(t *testing.T) {
	h := newHarness(t, map[string]string{
		"root":  `{"path": "/"}`,
		"plaid": `{"path": "/acme/prod/plaid_transactions"}`,
		"plain": `{}`,
	})
	post := func(path string) *http.Request {
		return req("POST", path, []byte(`{}`), "Content-Type", "application/json")
	}
	for path, source := range map[string]string{"/": "root", "/acme/prod/plaid_transactions": "plaid", "/acme/prod/plaid_transactions/": "plaid", "/in/plain": "plain"} {
		expectStatus(t, serve(h.mux, post(path)), http.StatusOK)
		yes := true
		if n := len(h.requests(source, &yes)); n == 0 {
			t.Errorf("%s: nothing logged for source %s", path, source)
		}
	}
	for _, path := range []string{"/in/root", "/in/plaid", "/acme/prod", "/nope"} {
		w := serve(h.mux, post(path))
		expectStatus(t, w, http.StatusNotFound)
		if p := decodeProblem(t, w); p.Code != hookd.ENOTFOUND {
			t.Errorf("%s: %+v", path, p)
		}
	}
}

// TestPathConflictsAndReload: a path another source holds is refused by
// Check with a pointer; a path set through another node's store write
// takes effect here once the registry reloads (as it does every poll),
// without a restart.
func TestPathConflictsAndReload(t *testing.T) {
	h := newHarness(t, map[string]string{"a": `{"path": "/hooks/a"}`})
	err := h.reg.Check(&hookd.Source{ID: "b", Spec: json.RawMessage(`{"path": "/hooks/a"}`)})
	if fe := hookd.ErrorFields(err); hookd.ErrorCode(err) != hookd.EINVALID || len(fe) != 1 || fe[0].Pointer != "/path" || !strings.Contains(fe[0].Message, `"a"`) {
		t.Fatalf("conflict: %v %+v", err, fe)
	}
	if err := h.reg.Check(&hookd.Source{ID: "a", Spec: json.RawMessage(`{"path": "/hooks/a"}`)}); err != nil {
		t.Fatalf("a source keeps its own path: %v", err)
	}

	// Another node: a second registry over the same store.
	other := receive.NewRegistry(receive.RegistryConfig{Store: h.store})
	ctx := context.Background()
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutSource(ctx, &hookd.Source{ID: "a", Spec: json.RawMessage(`{"path": "/hooks/moved"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if src, err := other.Lookup("/hooks/moved"); err != nil || src.ID() != "a" {
		t.Fatalf("after the change: %v", err)
	}
	if _, err := other.Lookup("/hooks/a"); !hookd.IsNotFound(err) {
		t.Fatalf("the old path still serves: %v", err)
	}
}

// TestPathClaimedTwice: two stored sources that claim one path (written
// past the API's check, as two nodes at once could) resolve the same way
// everywhere: the older keeps the path.
func TestPathClaimedTwice(t *testing.T) {
	h := newHarness(t, map[string]string{"first": `{"path": "/same"}`})
	ctx := context.Background()
	if err := h.store.PutSource(ctx, &hookd.Source{ID: "second", Spec: json.RawMessage(`{"path": "/same"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := h.reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := h.reg.Lookup("/same")
	if err != nil || src.ID() != "first" {
		t.Fatalf("lookup: %v %v", src, err)
	}
}
