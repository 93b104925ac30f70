package httpapi

import (
	"reflect"
	"testing"

	"github.com/hookd/hookd"
)

// TestDecodePublishMatchesDecodeJSON checks that the publish fast path
// decodes exactly what the general decoder does, and refuses the same.
func TestDecodePublishMatchesDecodeJSON(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"type":"a.b","data":{"x":1.50,"y":[1,2]}}`,
		`{"data":{"x":1},"type":"a.b","id":"k-1"}`,
		` { "type" : "a.b" , "data" : "text" } `,
		`{"type":"a.b","data":null}`,
		`{"type":"a.b","type":"c.d","data":1}`,
		`{"Type":"a.b","data":1}`,
		`{"type":"a.b","data":1,"extra":true}`,
		`{"type":1,"data":1}`,
		`{"type":"a.b","data":{"x":1}`,
		`{"type":"a.b","data":1} {}`,
		`[1,2]`,
		`{"type":"a.b","data":1,}`,
		`"str"`,
	} {
		var fast, slow PublishInput
		errFast := decodePublish([]byte(body), &fast)
		errSlow := decodeJSON([]byte(body), &slow)
		if hookd.ErrorCode(errFast) != hookd.ErrorCode(errSlow) || !reflect.DeepEqual(hookd.ErrorFields(errFast), hookd.ErrorFields(errSlow)) {
			t.Errorf("%s: fast path error %v, general %v", body, errFast, errSlow)
			continue
		}
		if errSlow == nil && (fast.Type != slow.Type || fast.ID != slow.ID || string(fast.Data) != string(slow.Data)) {
			t.Errorf("%s: fast path decoded %+v, general %+v", body, fast, slow)
		}
	}
}
