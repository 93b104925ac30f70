package delivery_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// A succeeded delivery is sent again, alone and byte for byte, when a
// requeue names it and allows succeeded ones.
func TestRequeueSucceededDelivery(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := newEnv(t, delivery.Config{})
	ep := e.endpoint(rc.URL, nil)
	other := e.endpoint(rc.URL+"/other", nil)
	ev := e.publish("order.created", `{"n":1}`)
	d := e.waitStatus(ev, ep, hookd.StatusSucceeded)
	e.waitStatus(ev, other, hookd.StatusSucceeded)
	ctx := context.Background()
	f := hookd.RequeueFilter{TenantID: hookd.DefaultTenant, EventID: ev.ID, DeliveryID: d.ID}
	n, err := e.engine.Requeue(ctx, f)
	if err != nil || n != 0 {
		t.Fatalf("Requeue without Succeeded = %d, %v; want 0", n, err)
	}
	f.Succeeded = true
	if n, err = e.engine.Requeue(ctx, f); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v; want 1", n, err)
	}
	waitFor(t, 10*time.Second, func() bool { return rc.count.Load() == 3 })
	again := e.waitStatus(ev, ep, hookd.StatusSucceeded)
	if again.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", again.Attempts)
	}
	got := rc.requests()
	if !bytes.Equal(got[2].body, got[0].body) && !bytes.Equal(got[2].body, got[1].body) {
		t.Errorf("sent again %s, first %s", got[2].body, got[0].body)
	}
	if o := e.waitStatus(ev, other, hookd.StatusSucceeded); o.Attempts != 1 {
		t.Errorf("the other endpoint's delivery was sent again: %d attempts", o.Attempts)
	}
}
