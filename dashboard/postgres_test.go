package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestOnPostgres runs the dashboard's main flows over the PostgreSQL
// store: sign in, the endpoint screens (a test event that succeeds, one
// that fails, recovery, rotation, edit, disable, delete) and a portal link
// limited to its tenant. (That a link works once on every node is the
// store's contract, store/storetest.)
func TestOnPostgres(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{postgres: true})
	h.putTenant("acme")
	b := h.browser()
	b.signIn(h.key)
	id, _ := b.createEndpoint("default", h.recv.URL)
	testSendAndFail(t, b, id)
	testChosenTestEvent(t, h, b, id)
	testEditAndToggle(t, b, id)
	testDelete(t, b, id)

	p := h.openPortal("acme", "send_tests")
	if body := must(t, p.get("/ui/t/acme/endpoints"), http.StatusOK).body; !strings.Contains(body, ">portal<") {
		t.Error("the portal session is not a portal")
	}
	must(t, p.get("/ui/t/default/endpoints"), http.StatusNotFound)
}
