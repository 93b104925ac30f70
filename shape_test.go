package hookd_test

import (
	"reflect"
	"testing"

	"github.com/hookd/hookd"
)

// A shape survives Record and ParseShape, the common forms included.
func TestShapeRecord(t *testing.T) {
	t.Parallel()
	for _, s := range []*hookd.Shape{
		{Body: []byte(`{"a":1}`)},
		{Body: []byte{}},
		{DataOnly: true},
		{Body: []byte(`x`), Method: "PUT", Headers: map[string]string{"X-A": "1"}, Transformed: true},
	} {
		got, err := hookd.ParseShape(s.Body, s.Record())
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("%+v came back as %+v (%v)", s, got, err)
		}
	}
	if got, err := hookd.ParseShape([]byte("x"), nil); got != nil || err != nil {
		t.Errorf("no record: %+v, %v", got, err)
	}
	if _, err := hookd.ParseShape(nil, []byte("{")); err == nil {
		t.Error("a broken record parsed")
	}
}
