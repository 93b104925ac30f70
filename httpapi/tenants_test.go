package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func TestTenants(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()

	r := h.do("PUT", "/v1/tenants/acme", `{"metadata":{"plan":"pro"}}`)
	ten := decode[httpapi.Tenant](t, r, http.StatusCreated)
	if ten.ID != "acme" || string(ten.Metadata) != `{"plan":"pro"}` || ten.CreatedAt.IsZero() {
		t.Fatalf("created tenant = %+v", ten)
	}
	if loc := r.header.Get("Location"); loc != "/v1/tenants/acme" {
		t.Errorf("Location = %q", loc)
	}

	t.Run("put again without body keeps metadata", func(t *testing.T) {
		got, isNew, err := h.client.PutTenant(ctx, "acme", nil)
		if err != nil || isNew || string(got.Metadata) != `{"plan":"pro"}` {
			t.Fatalf("PutTenant = %+v, %v, %v", got, isNew, err)
		}
	})
	t.Run("put {} keeps metadata, null clears it", func(t *testing.T) {
		got := decode[httpapi.Tenant](t, h.do("PUT", "/v1/tenants/acme", `{}`), http.StatusOK)
		if string(got.Metadata) != `{"plan":"pro"}` {
			t.Fatalf("metadata = %s", got.Metadata)
		}
		got = decode[httpapi.Tenant](t, h.do("PUT", "/v1/tenants/acme", `{"metadata":null}`), http.StatusOK)
		if !isNullJSON(got.Metadata) {
			t.Fatalf("metadata = %s, want null", got.Metadata)
		}
	})
	t.Run("get", func(t *testing.T) {
		got, err := h.client.GetTenant(ctx, "acme")
		if err != nil || got.ID != "acme" {
			t.Fatalf("GetTenant = %+v, %v", got, err)
		}
		problem(t, h.do("GET", "/v1/tenants/nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	})
	t.Run("invalid", func(t *testing.T) {
		p := problem(t, h.do("PUT", "/v1/tenants/bad%20id", ""), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/path/tenant")
		p = problem(t, h.do("PUT", "/v1/tenants/x", `{"metadata":[1]}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/metadata")
		p = problem(t, h.do("PUT", "/v1/tenants/x", `{"meta":{}}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/meta")
		problem(t, h.do("PUT", "/v1/tenants/x", `{"metadata":`), http.StatusBadRequest, hookd.EMALFORMED)
	})
}

func TestTenantDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	if _, _, err := h.client.PutTenant(ctx, "gone", &httpapi.TenantInput{}); err != nil {
		t.Fatal(err)
	}
	if err := h.client.DeleteTenant(ctx, "gone"); err != nil {
		t.Fatalf("DeleteTenant: %v", err)
	}
	if r := h.do("DELETE", "/v1/tenants/gone", ""); r.status != http.StatusNotFound {
		t.Fatalf("second delete: %d", r.status)
	}
	p := problem(t, h.do("DELETE", "/v1/tenants/default", ""), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/path/tenant")
}

func TestTenantPagination(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	want := map[string]bool{hookd.DefaultTenant: true}
	for i := range 6 { // 7 tenants with default
		id := fmt.Sprintf("t%d", i)
		want[id] = true
		if _, _, err := h.client.PutTenant(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var sizes []int
	cursor := ""
	for {
		page, next, err := h.client.ListTenants(ctx, httpapi.ListOptions{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		for _, ten := range page {
			if seen[ten.ID] {
				t.Fatalf("tenant %s listed twice", ten.ID)
			}
			seen[ten.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(sizes) != "[3 3 1]" || len(seen) != len(want) {
		t.Fatalf("pages %v, seen %v", sizes, seen)
	}
	last := decode[json.RawMessage](t, h.do("GET", "/v1/tenants?limit=250", ""), http.StatusOK)
	var l map[string]json.RawMessage
	_ = json.Unmarshal(last, &l)
	if string(l["next_cursor"]) != "null" {
		t.Errorf("next_cursor of the last page = %s, want null", l["next_cursor"])
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=-1", "limit="} {
		p := problem(t, h.do("GET", "/v1/tenants?"+q, ""), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/query/limit")
	}
	p := problem(t, h.do("GET", "/v1/tenants?cursor=!!!", ""), http.StatusUnprocessableEntity, hookd.EINVALID)
	hasPointer(t, p, "/query/cursor")
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := context.Background()
	in := httpapi.EventTypeInput{Name: "invoice.paid", Description: "paid", Group: "billing",
		Schema: json.RawMessage(`{"type":"object"}`), Examples: []json.RawMessage{json.RawMessage(`{"id":1}`)}}
	et, err := h.client.CreateEventType(ctx, in)
	if err != nil || et.Name != "invoice.paid" || et.Method != "POST" || string(et.Schema) != `{"type":"object"}` {
		t.Fatalf("CreateEventType = %+v, %v", et, err)
	}
	t.Run("errors", func(t *testing.T) {
		problem(t, h.do("POST", "/v1/event-types", mustJSON(t, in)), http.StatusConflict, hookd.ECONFLICT)
		p := problem(t, h.do("POST", "/v1/event-types", `{"name":"bad name!"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/name")
		p = problem(t, h.do("POST", "/v1/event-types", `{"name":"a.b","method":"FETCH"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/method")
		p = problem(t, h.do("POST", "/v1/event-types", `{"name":"a.b","deprecated":"yes"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/deprecated")
		problem(t, h.do("POST", "/v1/event-types", ``), http.StatusBadRequest, hookd.EMALFORMED)
		problem(t, h.do("GET", "/v1/event-types/nope", ""), http.StatusNotFound, hookd.ENOTFOUND)
	})
	t.Run("patch", func(t *testing.T) {
		got, err := h.client.PatchEventType(ctx, "invoice.paid", map[string]any{"description": "settled", "schema": nil, "deprecated": true})
		if err != nil || got.Description != "settled" || !isNullJSON(got.Schema) || !got.Deprecated || got.Group != "billing" {
			t.Fatalf("PatchEventType = %+v, %v", got, err)
		}
		p := problem(t, h.do("PATCH", "/v1/event-types/invoice.paid", `{"name":"other"}`), http.StatusUnprocessableEntity, hookd.EINVALID)
		hasPointer(t, p, "/name")
		problem(t, h.do("PATCH", "/v1/event-types/nope", `{}`), http.StatusNotFound, hookd.ENOTFOUND)
	})
	t.Run("list and delete", func(t *testing.T) {
		for _, n := range []string{"a.one", "b.two"} {
			if _, err := h.client.CreateEventType(ctx, httpapi.EventTypeInput{Name: n}); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := h.client.ListEventTypes(ctx, httpapi.ListOptions{Limit: 2})
		if err != nil || len(page) != 2 || page[0].Name != "a.one" || page[1].Name != "b.two" || next == "" {
			t.Fatalf("first page = %+v, %q, %v", page, next, err)
		}
		page, next, err = h.client.ListEventTypes(ctx, httpapi.ListOptions{Limit: 2, Cursor: next})
		if err != nil || len(page) != 1 || page[0].Name != "invoice.paid" || next != "" {
			t.Fatalf("second page = %+v, %q, %v", page, next, err)
		}
		if err := h.client.DeleteEventType(ctx, "a.one"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.GetEventType(ctx, "a.one"); hookd.ErrorCode(err) != hookd.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
	})
}
