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
	if InvoiceVoided.EventType().Method != "PUT" || !InvoiceVoided.EventType().Deprecated {
		t.Errorf("options not applied: %+v", InvoiceVoided.EventType())
	}
}

func TestTypePanics(t *testing.T) {
	t.Parallel()
	tests := map[string]func(){
		"bad name":          func() { catalog.Type[Invoice]("not a name") },
		"unsupported type":  func() { catalog.Type[struct{ C chan int }]("a.b") },
		"example mismatch":  func() { catalog.Type[Invoice]("a.b", catalog.Example(map[string]int{"amount": 1})) },
		"bad method":        func() { catalog.Type[Invoice]("a.b", catalog.Method("GET")) },
		"bad custom schema": func() { catalog.Type[Invoice]("a.b", catalog.WithSchema(json.RawMessage(`{"type":1}`))) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Type did not panic")
				}
			}()
			f()
		})
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
