package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// A succeeded delivery is sent again after a confirmation page; a
// read-only key sees no link and is refused.
func TestRetrySucceededDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	b := h.browser()
	b.signIn(h.key)
	_, evID := failedDelivery(t, h, b)
	h.recv.status.Store(http.StatusOK)
	must(t, b.post("/ui/t/default/events/"+evID+"/retry", nil, true), http.StatusSeeOther)
	ev, err := h.admin.GetEvent(context.Background(), "default", evID)
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Deliveries[0]
	waitFor(t, "the delivery to succeed", func() bool {
		ev, err := h.admin.GetEvent(context.Background(), "default", evID)
		if err == nil {
			d = ev.Deliveries[0]
		}
		return err == nil && d.Status == "succeeded"
	})
	confirmURL := "/ui/t/default/events/" + evID + "/deliveries/" + d.ID + "/retry"
	if p := must(t, b.get("/ui/t/default/events/"+evID), http.StatusOK); !strings.Contains(p.body, `href="`+confirmURL+`"`) {
		t.Error("the event page has no retry link for the succeeded delivery")
	}
	p := must(t, b.get(confirmURL), http.StatusOK)
	for _, want := range []string{"<strong>succeeded</strong>", "a second time", ">Retry delivery<", `action="` + confirmURL + `"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the confirmation page lacks %q", want)
		}
	}
	before := h.recv.got.Load()
	r := must(t, b.post(confirmURL, nil, true), http.StatusSeeOther)
	if r.location != "/ui/t/default/events/"+evID+"?done=retried#"+d.ID {
		t.Errorf("Location = %q", r.location)
	}
	waitFor(t, "the succeeded delivery to be sent again", func() bool {
		ev, err := h.admin.GetEvent(context.Background(), "default", evID)
		return err == nil && h.recv.got.Load() == before+1 && ev.Deliveries[0].Status == "succeeded" &&
			ev.Deliveries[0].AttemptCount == d.AttemptCount+1
	})
	must(t, b.get("/ui/t/default/events/"+evID+"/deliveries/dlv_nope/retry"), http.StatusNotFound)

	ro := h.browser()
	ro.signIn(h.newKey(hookd.ScopeAdmin, true))
	if p := must(t, ro.get("/ui/t/default/events/"+evID), http.StatusOK); strings.Contains(p.body, confirmURL) {
		t.Error("a read-only key sees the retry link")
	}
	must(t, ro.get(confirmURL), http.StatusForbidden)
	if p := ro.post(confirmURL, nil, true); p.status != http.StatusForbidden {
		t.Errorf("POST by a read-only key = %d", p.status)
	}
}
