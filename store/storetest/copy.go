package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/storecopy"
)

// Seeded names what Seed stored, to check a copy by.
type Seeded struct {
	Endpoint     *hookd.Endpoint
	APIKeySecret string // the secret of an API key Seed created
	PortalSecret string // the secret of an unredeemed portal token
	// Failed is a delivery that failed twice, leased, with a retry due.
	Failed *hookd.Delivery
	// Reply is an API request's kept reply, under the key "create-1".
	Reply *hookd.ReplyKey
	// Counts is how many rows of each kind s held after seeding.
	Counts map[hookd.Kind]int64
}

// Seed stores rows of every kind in s: tenants, an event type, an API key,
// a portal token, an endpoint and a source with secrets, a bulk retry,
// events with deliveries in several states (one with its own shape),
// attempts, idempotency keys and inbound requests. events is the number
// of events, each with two deliveries.
func Seed(t *testing.T, ctx context.Context, s hookd.Store, events int) *Seeded {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	sd := &Seeded{APIKeySecret: "hk_copy_" + uniq("key"), PortalSecret: "hkp_copy_" + uniq("portal")}
	_, err := s.PutTenant(ctx, newTenant(t, "acme"))
	require.NoError(t, err)
	time.Sleep(2 * time.Millisecond) // so that the update below sets an UpdatedAt of its own
	_, err = s.PutTenant(ctx, &hookd.Tenant{ID: "acme", Metadata: []byte(`{"plan":"team"}`)})
	require.NoError(t, err)
	require.NoError(t, s.CreateEventType(ctx, newEventType(t, "invoice.paid")))
	require.NoError(t, s.CreateAPIKey(ctx, &hookd.APIKey{Name: "ci", Prefix: "hk_copy", Scope: hookd.TenantScope("acme"),
		ReadOnly: true, ExpiresAt: now.Add(time.Hour)}, sd.APIKeySecret))
	keys, err := s.ListAPIKeys(ctx)
	require.NoError(t, err)
	require.NoError(t, s.TouchAPIKey(ctx, keys[0].ID, now.Add(-time.Minute)))
	require.NoError(t, s.CreatePortalToken(ctx, &hookd.PortalToken{TenantID: "acme",
		Capabilities: []string{hookd.CapView, hookd.CapRetry}, ExpiresAt: now.Add(time.Hour)}, sd.PortalSecret))
	sd.Endpoint = newEndpoint(t, "acme")
	require.NoError(t, s.CreateEndpoint(ctx, sd.Endpoint))
	require.NoError(t, s.CreateSource(ctx, secretSource("github")))
	require.NoError(t, s.CreateRetryJob(ctx, &hookd.RetryJob{TenantID: "acme", Total: 3, Cursor: "dlv_x",
		Filter: hookd.RequeueFilter{TenantID: "acme", EndpointID: sd.Endpoint.ID, Since: now.Add(-time.Hour),
			Statuses: []string{hookd.StatusDead}}}))
	sd.Failed = seedEvents(t, ctx, s, sd.Endpoint.ID, events, now)
	seedRequests(t, ctx, s, now)
	sd.Reply = replyKey("key_1 /v1/tenants/acme/endpoints", "create-1", now)
	_, taken, err := s.TakeReplyKey(ctx, sd.Reply, now.Add(-24*time.Hour), now.Add(-5*time.Minute))
	require.NoError(t, err)
	require.True(t, taken)
	require.NoError(t, s.KeepReply(ctx, sd.Reply, []byte(`{"status":201,"secret":"whsec_kept"}`)))
	sd.Counts = map[hookd.Kind]int64{}
	for _, k := range hookd.Kinds() {
		n, err := s.(hookd.Exporter).Count(ctx, k)
		require.NoError(t, err)
		sd.Counts[k] = n
	}
	return sd
}

// seedEvents commits events with a succeeded delivery and one failed
// twice (leased, retry due), their attempts and idempotency keys, and
// returns the last failed delivery.
func seedEvents(t *testing.T, ctx context.Context, s hookd.Store, endpoint string, n int, now time.Time) *hookd.Delivery {
	t.Helper()
	var failed *hookd.Delivery
	for i := range n {
		ev := newEventAt(t, "acme", "invoice.paid", now.Add(time.Duration(i)*time.Millisecond))
		ev.Trace = hookd.TraceContext{Parent: fmt.Sprintf("00-4bf92f3577b34da6a3ce929d0e0e%04x-00f067aa0ba902b7-01", i), State: "vendor=x"}
		ok, bad := newDelivery(t, ev, endpoint), newDelivery(t, ev, endpoint)
		ok.Status, ok.Attempts, ok.LastAttemptAt = hookd.StatusSucceeded, 1, now
		ok.Shape = &hookd.Shape{Body: []byte(`{"custom":true}`), Method: "PUT",
			Headers: map[string]string{"X-Shaped": "1"}, Transformed: true}
		bad.Status, bad.Attempts, bad.LastAttemptAt = hookd.StatusFailed, 2, now
		bad.NextAttemptAt, bad.LeaseOwner, bad.LeaseUntil = now.Add(5*time.Minute), "node-a", now.Add(30*time.Second)
		key := &hookd.IdempotencyKey{Scope: "evt:acme", Key: fmt.Sprintf("order-%d", i), Fingerprint: []byte{1, 2, byte(i)}}
		b := &hookd.Batch{Events: []*hookd.EventWrite{{Event: ev, Deliveries: []*hookd.Delivery{ok, bad}, Key: key}}}
		b.Attempts = []*hookd.Attempt{newAttempt(t, ok, 1, now), newAttempt(t, bad, 1, now), newAttempt(t, bad, 2, now)}
		b.Attempts[0].ResponseStatus = 200
		require.NoError(t, s.Commit(ctx, b))
		failed = bad
	}
	return failed
}

func seedRequests(t *testing.T, ctx context.Context, s hookd.Store, now time.Time) {
	t.Helper()
	for i, accepted := range []bool{true, true, false} {
		status := 200
		if !accepted {
			status = 401
		}
		r := newRequest(t, "github", now.Add(time.Duration(i)*time.Millisecond), accepted, status)
		w := &hookd.RequestWrite{Request: r}
		if accepted {
			w.Key = &hookd.IdempotencyKey{Scope: "src:github", Key: r.DedupeKey}
		}
		require.NoError(t, s.Commit(ctx, &hookd.Batch{Requests: []*hookd.RequestWrite{w}}))
	}
}

// Dump reads every row of every kind of e.
func Dump(t *testing.T, ctx context.Context, e hookd.Exporter) *hookd.Records {
	t.Helper()
	all := &hookd.Records{}
	for _, k := range hookd.Kinds() {
		for page, err := range e.Export(ctx, k, 3) {
			require.NoError(t, err)
			appendRecords(all, page)
		}
	}
	return all
}

func appendRecords(dst, src *hookd.Records) {
	dst.Tenants = append(dst.Tenants, src.Tenants...)
	dst.EventTypes = append(dst.EventTypes, src.EventTypes...)
	dst.StoreSecrets = append(dst.StoreSecrets, src.StoreSecrets...)
	dst.APIKeys = append(dst.APIKeys, src.APIKeys...)
	dst.PortalTokens = append(dst.PortalTokens, src.PortalTokens...)
	dst.Endpoints = append(dst.Endpoints, src.Endpoints...)
	dst.Sources = append(dst.Sources, src.Sources...)
	dst.RetryJobs = append(dst.RetryJobs, src.RetryJobs...)
	dst.Events = append(dst.Events, src.Events...)
	dst.Deliveries = append(dst.Deliveries, src.Deliveries...)
	dst.Attempts = append(dst.Attempts, src.Attempts...)
	dst.IdempotencyKeys = append(dst.IdempotencyKeys, src.IdempotencyKeys...)
	dst.Requests = append(dst.Requests, src.Requests...)
}

// RunCopy checks hookd.Exporter and hookd.Importer across two backends:
// a store from `from`, seeded with every kind, is copied into an empty
// store from `to` in small pages; both must then hold the same rows
// (compared field by field), and the copy must work: its API key, portal
// token and secrets open with the target's keys. A second copy into the
// now full target is refused, and succeeds with Replace.
func RunCopy(t *testing.T, from, to Opener) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	src, dst := from(t), to(t)
	sd := Seed(t, ctx, src, 7)
	counts, err := storecopy.Copy(ctx, src.(hookd.Exporter), dst.(hookd.Importer), storecopy.Options{PageSize: 2})
	require.NoError(t, err)
	require.Len(t, counts, len(hookd.Kinds()))
	for _, c := range counts {
		assert.Equal(t, sd.Counts[c.Kind], c.Target, "%s", c.Kind)
	}
	want := Dump(t, ctx, src.(hookd.Exporter))
	require.Len(t, want.Events, 7)
	requireSame(t, want, Dump(t, ctx, dst.(hookd.Exporter)))
	requireCopyWorks(t, ctx, dst, sd)

	_, err = storecopy.Copy(ctx, src.(hookd.Exporter), dst.(hookd.Importer), storecopy.Options{})
	requireCode(t, err, hookd.ECONFLICT)
	_, err = storecopy.Copy(ctx, src.(hookd.Exporter), dst.(hookd.Importer), storecopy.Options{Replace: true})
	require.NoError(t, err)
	requireSame(t, want, Dump(t, ctx, dst.(hookd.Exporter)))
}

// requireCopyWorks uses the copied rows through the Store contract.
func requireCopyWorks(t *testing.T, ctx context.Context, s hookd.Store, sd *Seeded) {
	t.Helper()
	k, err := s.APIKeyBySecret(ctx, sd.APIKeySecret)
	require.NoError(t, err, "the copied API key is found by its secret (hashing key copied)")
	assert.Equal(t, hookd.TenantScope("acme"), k.Scope)
	e, err := s.GetEndpoint(ctx, "acme", sd.Endpoint.ID)
	require.NoError(t, err)
	requireSame(t, sd.Endpoint.Secrets, e.Secrets)
	d, err := s.GetDelivery(ctx, sd.Failed.ID)
	require.NoError(t, err)
	assert.Equal(t, hookd.StatusFailed, d.Status)
	assert.Equal(t, 2, d.Attempts)
	assert.True(t, d.NextAttemptAt.Equal(sd.Failed.NextAttemptAt), "next attempt %v", d.NextAttemptAt)
	as, _, err := s.ListAttempts(ctx, hookd.AttemptFilter{DeliveryID: d.ID})
	require.NoError(t, err)
	assert.Len(t, as, 2)
	held, taken, err := s.TakeReplyKey(ctx, replyKey(sd.Reply.Scope, sd.Reply.Key, time.Now()),
		time.Now().Add(-24*time.Hour), time.Now().Add(-5*time.Minute))
	require.NoError(t, err)
	require.False(t, taken, "the copied key holds its reply")
	assert.Equal(t, `{"status":201,"secret":"whsec_kept"}`, string(held.Reply), "the reply opens under the target's key")
	tok, err := s.RedeemPortalToken(ctx, sd.PortalSecret, time.Now())
	require.NoError(t, err, "the copied portal token redeems")
	assert.Equal(t, "acme", tok.TenantID)
}

func testCopy(t *testing.T, open Opener) {
	t.Parallel()
	RunCopy(t, open, open)
}
