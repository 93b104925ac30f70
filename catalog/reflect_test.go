package catalog_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

func indent(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// Order is the golden test's type: nested structs (named, anonymous,
// embedded, recursive), optional fields, time.Time, slices, maps, enums,
// pointers and descriptions.
type Order struct {
	Audit
	ID         string            `json:"id" description:"The order's id." pattern:"^ord_"`
	Status     string            `json:"status" enum:"pending,paid,refunded"`
	Priority   int               `json:"priority,omitempty" enum:"1,2,3"`
	Customer   Customer          `json:"customer"`
	Shipping   *Address          `json:"shipping,omitempty" description:"Absent for digital goods."`
	Billing    *Address          `json:"billing"`
	Lines      []Line            `json:"lines"`
	Tags       []string          `json:"tags,omitempty" enum:"gift,rush"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Totals     map[string]int64  `json:"totals"`
	PlacedAt   time.Time         `json:"placed_at"`
	PaidAt     *time.Time        `json:"paid_at,omitempty"`
	Note       *string           `json:"note"`
	Extra      json.RawMessage   `json:"extra,omitempty"`
	Parent     *Order            `json:"parent,omitempty"`
	Count      uint              `json:"count,string"`
	Checksum   []byte            `json:"checksum,omitempty"`
	Dims       [3]float64        `json:"dims"`
	Legacy     bool              `json:"legacy,omitempty" deprecated:"true"`
	Kind       Kind              `json:"kind"`
	Internal   string            `json:"-"`
	unexported int
	Options    struct {
		Wrap bool `json:"wrap"`
	} `json:"options"`
}

// Audit is embedded: its fields are promoted.
type Audit struct {
	CreatedBy string `json:"created_by"`
	Version   int    `json:"version,omitempty"`
}

type Customer struct {
	Name    string   `json:"name"`
	Email   string   `json:"email" format:"email"`
	Address *Address `json:"address,omitempty"`
}

type Address struct {
	Line1   string `json:"line1"`
	Country string `json:"country" description:"ISO 3166-1 alpha-2." pattern:"^[A-Z]{2}$"`
}

type Line struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

// Kind describes itself.
type Kind string

func (Kind) JSONSchema() json.RawMessage {
	return json.RawMessage(`{"type":"string","enum":["physical","digital"]}`)
}

func sampleOrder() Order {
	note := "leave at the door"
	return Order{
		Audit:    Audit{CreatedBy: "usr_1"},
		ID:       "ord_1",
		Status:   "paid",
		Customer: Customer{Name: "Ada", Email: "ada@example.com"},
		Lines:    []Line{{SKU: "sku_1", Quantity: 2, Price: 9.5}},
		Tags:     []string{"gift"},
		Totals:   map[string]int64{"EUR": 1900},
		PlacedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Note:     &note,
		Count:    3,
		Kind:     "physical",
		Parent:   &Order{ID: "ord_0", Status: "refunded", Kind: "digital", Customer: Customer{Email: "ada@example.com"}},
	}
}

func TestSchemaForGolden(t *testing.T) {
	t.Parallel()
	raw, err := catalog.SchemaFor(reflect.TypeFor[Order]())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "order.schema.golden.json", indent(t, raw))

	s, err := catalog.CompileSchema(raw)
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}
	for name, o := range map[string]Order{"full": sampleOrder(), "nil slices, maps and pointers": {
		ID: "ord_2", Status: "pending", Kind: "digital", Customer: Customer{Email: "bob@example.com"}}} {
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(data, "/data"); err != nil {
			t.Errorf("%s: data made from the struct does not validate: %v %v\n%s", name, err, hookd.ErrorFields(err), data)
		}
	}
}
