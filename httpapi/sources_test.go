package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func TestSources(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	body := githubSource
	r := h.do("POST", "/v1/sources", body)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil || r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if string(raw["provider"]) != `"github"` || string(raw["id"]) != `"github"` || raw["created_at"] == nil ||
		string(raw["destinations"]) != `[{"forward":"http://x"}]` || r.header.Get("Location") != "/v1/sources/github" {
		t.Fatalf("created source JSON = %s", r.body)
	}
	src, err := h.client.GetSource(ctx, "github")
	if err != nil || src.Description != "GitHub" || string(src.Spec) != `{"provider":"github","secret":"${GH}","destinations":[{"forward":"http://x"}]}` {
		t.Fatalf("GetSource = %+v (%s), %v", src, src.Spec, err)
	}

	t.Run("errors", func(t *testing.T) {
		problem(t, h.do("POST", "/v1/sources", body), http.StatusConflict, hookd.ECONFLICT)
		hasPointer(t, problem(t, h.do("POST", "/v1/sources", `{"id":"bad id"}`), 422, hookd.EINVALID), "/id")
		hasPointer(t, problem(t, h.do("POST", "/v1/sources", `{"id":7}`), 422, hookd.EINVALID), "/id")
		hasPointer(t, problem(t, h.do("POST", "/v1/sources", `{"description":"no id"}`), 422, hookd.EINVALID), "/id")
		hasPointer(t, problem(t, h.do("POST", "/v1/sources", `"github"`), 422, hookd.EINVALID), "")
		problem(t, h.do("POST", "/v1/sources", `{"id":`), 400, hookd.EMALFORMED)
		problem(t, h.do("GET", "/v1/sources/nope", ""), 404, hookd.ENOTFOUND)
		problem(t, h.do("GET", "/v1/sources/nope/requests", ""), 404, hookd.ENOTFOUND)
		problem(t, h.do("DELETE", "/v1/sources/nope", ""), 404, hookd.ENOTFOUND)
	})
	t.Run("delete", func(t *testing.T) {
		if err := h.client.DeleteSource(ctx, "github"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.GetSource(ctx, "github"); hookd.ErrorCode(err) != hookd.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestSourcePatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	createGitHubSource(t, h)
	got, err := h.client.PatchSource(ctx, "github", map[string]any{"secret": nil, "max_body": "2MiB", "description": "GH"})
	if err != nil || got.Description != "GH" || string(got.Spec) != `{"provider":"github","destinations":[{"forward":"http://x"}],"max_body":"2MiB"}` {
		t.Fatalf("PatchSource = %+v (%s), %v", got, got.Spec, err)
	}
	hasPointer(t, problem(t, h.do("PATCH", "/v1/sources/github", `{"id":"other"}`), 422, hookd.EINVALID), "/id")
	problem(t, h.do("PATCH", "/v1/sources/nope", `{}`), 404, hookd.ENOTFOUND)
}

func TestSourceList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	createGitHubSource(t, h)
	for i := range 6 {
		if _, err := h.client.CreateSource(ctx, httpapi.Source{ID: fmt.Sprintf("s%d", i), Spec: json.RawMessage(`{"provider":"stripe"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	cursor := ""
	for {
		page, next, err := h.client.ListSources(ctx, httpapi.ListOptions{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			ids = append(ids, s.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(ids) != "[github s0 s1 s2 s3 s4 s5]" {
		t.Fatalf("walked %v", ids)
	}
}

// createGitHubSource creates the source "github" with a spec.
func createGitHubSource(t *testing.T, h *harness) {
	t.Helper()
	r := h.do("POST", "/v1/sources", githubSource)
	if r.status != http.StatusCreated {
		t.Fatalf("create source: %d %s", r.status, r.body)
	}
}

const githubSource = `{"id":"github","description":"GitHub","provider":"github","secret":"${GH}","destinations":[{"forward":"http://x"}]}`

func TestSourceRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	if _, err := h.client.CreateSource(ctx, httpapi.Source{ID: "hooks"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	b := &hookd.Batch{KeysAfter: now.Add(-time.Hour)}
	for i, status := range []int{202, 401, 202, 400, 202} {
		b.Requests = append(b.Requests, &hookd.RequestWrite{Request: &hookd.Request{
			ID: hookd.NewID(hookd.PrefixRequest), SourceID: "hooks", ReceivedAt: now.Add(time.Duration(i) * time.Millisecond),
			Method: "POST", Path: "/in/hooks", Headers: map[string]string{"content-type": "application/json"},
			Body: []byte(fmt.Sprintf(`{"i":%d}`, i)), Status: status, Accepted: status == 202,
		}})
	}
	if err := h.store.Commit(ctx, b); err != nil {
		t.Fatalf("commit requests: %v", err)
	}
	all, _, err := h.client.ListRequests(ctx, "hooks", httpapi.RequestListOptions{})
	if err != nil || len(all) != 5 || all[0].Body != `{"i":4}` || all[0].SourceID != "hooks" {
		t.Fatalf("ListRequests = %+v, %v", all, err)
	}
	rejected, _, err := h.client.ListRequests(ctx, "hooks", httpapi.RequestListOptions{Accepted: new(false)})
	if err != nil || len(rejected) != 2 {
		t.Fatalf("rejected = %d, %v", len(rejected), err)
	}
	unauth, _, err := h.client.ListRequests(ctx, "hooks", httpapi.RequestListOptions{Status: 401})
	if err != nil || len(unauth) != 1 || unauth[0].Status != 401 {
		t.Fatalf("status 401 = %+v, %v", unauth, err)
	}
	page, next, err := h.client.ListRequests(ctx, "hooks", httpapi.RequestListOptions{ListOptions: httpapi.ListOptions{Limit: 3}})
	if err != nil || len(page) != 3 || next == "" {
		t.Fatalf("page = %d, %q, %v", len(page), next, err)
	}
	hasPointer(t, problem(t, h.do("GET", "/v1/sources/hooks/requests?accepted=maybe", ""), 422, hookd.EINVALID), "/query/accepted")
	hasPointer(t, problem(t, h.do("GET", "/v1/sources/hooks/requests?status=9999", ""), 422, hookd.EINVALID), "/query/status")
}
