package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// memStore is an in-memory Store that counts its listings.
type memStore struct {
	mu    sync.Mutex
	types map[string]*hookd.EventType
	seq   int64
	lists int
	fail  error
}

func newMemStore(ts ...*hookd.EventType) *memStore {
	m := &memStore{types: map[string]*hookd.EventType{}}
	for _, t := range ts {
		m.types[t.Name] = t
	}
	return m
}

func (m *memStore) put(t *hookd.EventType) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.types[t.Name] = t
	m.seq++
}

func (m *memStore) ListEventTypes(context.Context) ([]*hookd.EventType, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lists++
	if m.fail != nil {
		return nil, m.fail
	}
	var out []*hookd.EventType
	for _, t := range m.types {
		c := *t
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *hookd.EventType) int { return compare(a.Name, b.Name) })
	return out, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *memStore) ChangeSeq(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq, nil
}

func (m *memStore) listCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lists
}

var amountSchema = json.RawMessage(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer"}}}`)

func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newMemStore(
		&hookd.EventType{Name: "invoice.paid", Schema: amountSchema, Methods: []string{"PUT", "GET"}},
		&hookd.EventType{Name: "any.thing"},
	)
	c, err := Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, typ, data string
		strict          bool
		method, pointer string
	}{
		{"valid", "invoice.paid", `{"amount":1}`, false, "PUT", ""},
		{"violation", "invoice.paid", `{"amount":"1"}`, false, "", "/data/amount"},
		{"missing", "invoice.paid", `{}`, false, "", "/data/amount"},
		{"no schema", "any.thing", `[1,"x"]`, true, "", ""},
		{"unknown", "not.declared", `{}`, false, "", ""},
		{"unknown strict", "not.declared", `{}`, true, "", "/type"},
		{"builtin strict", hookd.TestEventType, `{}`, true, "", ""},
	}
	for _, tc := range tests {
		c.SetStrict(tc.strict)
		method, err := c.Check(ctx, tc.typ, []byte(tc.data))
		if tc.pointer == "" {
			if err != nil || method != tc.method {
				t.Errorf("%s: Check = %q, %v; want %q", tc.name, method, err, tc.method)
			}
			continue
		}
		fs := hookd.ErrorFields(err)
		if hookd.ErrorCode(err) != hookd.EINVALID || len(fs) != 1 || fs[0].Pointer != tc.pointer {
			t.Errorf("%s: Check = %v %+v, want EINVALID at %s", tc.name, err, fs, tc.pointer)
		}
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newMemStore(&hookd.EventType{Name: "invoice.paid", Schema: amountSchema})
	c, err := Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	compiled := c.snap.Load().types["invoice.paid"].schema

	// No reload until invalidated.
	for range 3 {
		if _, err := c.Check(ctx, "invoice.paid", []byte(`{"amount":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.listCount(); n != 1 {
		t.Fatalf("listed %d times, want 1", n)
	}
	store.put(&hookd.EventType{Name: "other.type", Schema: amountSchema})
	c.Invalidate()
	if _, err := c.Check(ctx, "other.type", []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("after Invalidate: %v", err)
	}
	if c.snap.Load().types["invoice.paid"].schema != compiled {
		t.Error("an unchanged schema was compiled again")
	}

	// A failed reload is reported, not papered over.
	store.mu.Lock()
	store.fail = errors.New("disk on fire")
	store.mu.Unlock()
	c.Invalidate()
	if _, err := c.Check(ctx, "invoice.paid", []byte(`{"amount":1}`)); err == nil {
		t.Fatal("Check after a failed reload succeeded")
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := newMemStore()
	c, err := Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, 5*time.Millisecond) }()

	// Another node adds a type: this one sees it without Invalidate.
	store.put(&hookd.EventType{Name: "invoice.paid", Schema: amountSchema})
	deadline := time.Now().Add(5 * time.Second)
	for c.Lookup("invoice.paid") == nil {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not reload the catalog")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Check(ctx, "invoice.paid", []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("Check = %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch = %v", err)
	}
}

func TestNilCatalog(t *testing.T) {
	t.Parallel()
	var c *Catalog
	c.Invalidate()
	if m, err := c.Check(context.Background(), "a.b", []byte(`1`)); m != "" || err != nil {
		t.Errorf("nil Check = %q, %v", m, err)
	}
	if c.Lookup("a") != nil || c.Validate("a", nil) != nil {
		t.Error("nil catalog holds something")
	}
}

// A stored schema that does not compile (written by another version, or
// by hand) fails closed: publishes of that type are refused as an
// internal error, not waved through.
func TestCheckStoredSchemaFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := Open(ctx, newMemStore(&hookd.EventType{Name: "bad.schema", Schema: json.RawMessage(`{"type":"strin"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(ctx, "bad.schema", []byte(`{}`))
	if err == nil || hookd.ErrorCode(err) != hookd.EINTERNAL {
		t.Fatalf("Check = %v, want an internal error", err)
	}
}
