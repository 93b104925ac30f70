package httpapi

import (
	"reflect"
	"strings"
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

// TestDecodePublishBatchFastPath checks that the batch fast path decodes
// exactly what the precise path does, and leaves it everything it would
// refuse.
func TestDecodePublishBatchFastPath(t *testing.T) {
	t.Parallel()
	const maxEvent = 64
	for _, body := range []string{
		`{"events":[{"type":"a.b","data":{"x":1.50,"y":[1,2]}},{"data":{"x":1},"type":"a.b","id":"k-1"}]}`,
		` { "events" : [ { "type" : "a.b" , "data" : "text" } ] } `,
		`{"events":[{"type":"a.b","data":null},{"data":1}]}`,
		`{"events":[{"type":"a.b","type":"c.d","data":1}]}`,
		`{"events":[{"type":"a.b","data":"` + strings.Repeat("x", maxEvent) + `"}]}`,
		`{"events":[{"Type":"a.b","data":1}]}`,
		`{"events":[{"type":"a.b","data":1,"extra":true}]}`,
		`{"events":[{"type":1,"data":1}]}`,
		`{"events":[{"type":"a.b","data":1}],"events":[{"type":"c.d","data":2}]}`,
		`{"events":[{"type":"a.b","data":1}],"x":1}`,
		`{"events":[]}`,
		`{"events":[1]}`,
		`{"events":[{"type":"a.b","data":1}]} {}`,
		`{"events":[{"type":"a.b","data":1}`,
		"{\"events\":[{\"type\":\"a.b\",\"data\":\"\xff\"}]}",
	} {
		fast, ok := fastEvents([]byte(body), maxEvent)
		slow, err := decodeEachEvent([]byte(body), maxEvent)
		switch {
		case ok && err != nil:
			t.Errorf("%s: the fast path accepts what the precise path refuses: %v", body, err)
		case ok && !reflect.DeepEqual(fast, slow):
			t.Errorf("%s: fast path decoded %+v, precise %+v", body, fast, slow)
		}
	}
	if _, ok := fastEvents([]byte(`{"events":[{"type":"a.b","data":1}]}`), maxEvent); !ok {
		t.Error("the fast path refuses a plain batch")
	}
}
