package catalog_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

func TestTypeOf(t *testing.T) {
	t.Parallel()
	data, err := InvoicePaid.Encode(Invoice{ID: "in_2", Amount: 1, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := InvoicePaid.Decode(data)
	if err != nil || v.ID != "in_2" {
		t.Fatalf("Decode = %+v, %v", v, err)
	}
	_, err = InvoicePaid.Encode(Invoice{ID: "in_3", Currency: "GBP"})
	fs := hookd.ErrorFields(err)
	if hookd.ErrorCode(err) != hookd.EINVALID || len(fs) != 1 || fs[0].Pointer != "/data/currency" {
		t.Fatalf("Encode(bad currency) = %v %+v", err, fs)
	}
	if InvoicePaid.Name() != "invoice.paid" || InvoicePaid.String() != "invoice.paid" {
		t.Error("Name")
	}
	if InvoiceVoided.EventType().Method() != "PUT" || !InvoiceVoided.EventType().Deprecated {
		t.Errorf("options not applied: %+v", InvoiceVoided.EventType())
	}
}

func TestBadDeclarations(t *testing.T) {
	t.Parallel()
	tests := map[string]func() catalog.Definer{
		"bad name":         func() catalog.Definer { return catalog.Type[Invoice]("not a name") },
		"unsupported type": func() catalog.Definer { return catalog.Type[struct{ C chan int }]("a.b") },
		"example mismatch": func() catalog.Definer {
			return catalog.Type[Invoice]("a.b", catalog.Example(map[string]int{"amount": 1}))
		},
		"bad method":      func() catalog.Definer { return catalog.Type[Invoice]("a.b", catalog.Method("FETCH")) },
		"repeated method": func() catalog.Definer { return catalog.Type[Invoice]("a.b", catalog.Methods("GET", "GET")) },
		"bad custom schema": func() catalog.Definer {
			return catalog.Type[Invoice]("a.b", catalog.WithSchema(json.RawMessage(`{"type":1}`)))
		},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			if c, err := catalog.New(f()); err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			defer func() {
				if recover() == nil {
					t.Error("MustType did not panic")
				}
			}()
			_ = catalog.MustType[Invoice]("not a name", catalog.Method("FETCH"))
		})
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	for _, m := range hookd.Methods() {
		typ := catalog.MustType[Invoice]("a.b", catalog.Method(m))
		if got := typ.EventType().Method(); got != m {
			t.Errorf("Method(%s) = %s", m, got)
		}
	}
	multi := catalog.MustType[Invoice]("a.c", catalog.Methods("GET", "POST"))
	if et := multi.EventType(); et.Method() != "GET" || !et.AllowsMethod("POST") || et.AllowsMethod("PUT") {
		t.Errorf("Methods(GET, POST) = %v", et.Methods)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	own := catalog.Type[User]("user.deleted", catalog.InGroup("accounts"))
	c, err := catalog.New(
		catalog.Group("outer", catalog.Group("billing", InvoicePaid), UserCreated, own),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"invoice.paid": "billing", "user.created": "outer", "user.deleted": "accounts"}
	for name, g := range want {
		if got := c.Lookup(name); got == nil || got.Group != g {
			t.Errorf("%s: group %+v, want %s", name, got, g)
		}
	}
	if InvoicePaid.EventType().Group != "" {
		t.Error("Group changed the declared type")
	}
	if _, err := catalog.New(InvoicePaid, catalog.Group("x", InvoicePaid)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
	types, err := c.EventTypes(context.Background())
	if err != nil || len(types) != 3 || types[0].Name != "invoice.paid" {
		t.Errorf("EventTypes = %v, %v", types, err)
	}
	// A static catalog is a CheckFunc too.
	c.SetStrict(true)
	if _, err := c.Check(context.Background(), "nope.nope", []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("strict static catalog: %v", err)
	}
}
