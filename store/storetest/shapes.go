package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
)

// testShapes checks what a delivery sends when it is not the event's
// payload: stored at commit, returned by reads and claims, replaced by an
// update that carries a shape and kept by one that does not.
func testShapes(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testShapeRoundTrip(t, open) })
	t.Run("Update", func(t *testing.T) { testShapeUpdate(t, open) })
}

func testShapeRoundTrip(t *testing.T, open Opener) {
	f := setup(t, open)
	ev := f.newEvent(hookd.DefaultTenant, "invoice.paid")
	plain := newDelivery(t, ev, "ep_plain")
	raw := newDelivery(t, ev, "ep_raw")
	raw.Shape = &hookd.Shape{DataOnly: true}
	tpl := newDelivery(t, ev, "ep_tpl")
	tpl.Shape = &hookd.Shape{Body: []byte(`{"webhook_id":"ep_tpl","payload":{"a":1}}`)}
	empty := newDelivery(t, ev, "ep_empty")
	empty.Shape = &hookd.Shape{Body: []byte{}, Method: "HEAD", Headers: map[string]string{"X-Kind": "probe"}, Transformed: true}
	ds := []*hookd.Delivery{plain, raw, tpl, empty}
	f.commit(&hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: ds}}})
	for _, d := range ds {
		got, err := f.s.GetDelivery(f.ctx, d.ID)
		require.NoError(t, err)
		requireSame(t, d, got)
	}
	got, err := f.s.GetDelivery(f.ctx, empty.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Shape.Body, "an empty body is kept as a body, not as the event's payload")
	cl := f.claim("node-a", f.now, 10)
	require.Len(t, cl, len(ds))
	for _, c := range cl {
		for _, d := range ds {
			if d.ID == c.Delivery.ID {
				assert.Equal(t, d.Shape, c.Delivery.Shape, "claimed %s", d.EndpointID)
			}
		}
	}
}

func testShapeUpdate(t *testing.T, open Opener) {
	f := setup(t, open)
	_, ds := f.publish(hookd.DefaultTenant, f.now, "ep_1", "ep_2")
	f.claim("a", f.now, 10)
	shape := &hookd.Shape{Body: []byte(`{"summary":"x"}`), Method: "PATCH",
		Headers: map[string]string{"X-Trace": "1"}, Transformed: true}
	first := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "a", Status: hookd.StatusFailed, Attempts: 1,
		NextAttemptAt: f.at(time.Minute), LastAttemptAt: f.now, Release: true, Shape: shape}
	cancelled := &hookd.DeliveryUpdate{ID: ds[1].ID, Owner: "a", Status: hookd.StatusCancelled,
		NextAttemptAt: f.now, Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{first, cancelled}})
	got, err := f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	assert.Equal(t, shape, got.Shape, "an update with a shape stores it")

	cl := f.claim("b", f.at(time.Minute), 10)
	require.Len(t, cl, 1, "a cancelled delivery is never claimed")
	assert.Equal(t, shape, cl[0].Delivery.Shape)
	second := &hookd.DeliveryUpdate{ID: ds[0].ID, Owner: "b", Status: hookd.StatusSucceeded, Attempts: 2,
		NextAttemptAt: f.at(time.Minute), LastAttemptAt: f.at(time.Minute), Release: true}
	f.commit(&hookd.Batch{Updates: []*hookd.DeliveryUpdate{second}})
	got, err = f.s.GetDelivery(f.ctx, ds[0].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusSucceeded, got.Status)
	assert.Equal(t, shape, got.Shape, "an update without a shape keeps the stored one")
	got, err = f.s.GetDelivery(f.ctx, ds[1].ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusCancelled, got.Status)

	a := newAttempt(t, ds[0], 1, f.now)
	a.Error, a.Logs, a.ResponseStatus, a.ResponseBody = "transform: boom", "console: hello\n", 0, nil
	f.commit(&hookd.Batch{Attempts: []*hookd.Attempt{a}})
	as, _, err := f.s.ListAttempts(f.ctx, hookd.AttemptFilter{DeliveryID: ds[0].ID})
	require.NoError(t, err)
	require.Len(t, as, 1)
	assert.Equal(t, a.Logs, as[0].Logs)
}
