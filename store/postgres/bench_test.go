package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/postgres"
)

// The benchmarks mirror store/sqlite's, so that the two stores compare
// line by line. They need HOOKD_TEST_POSTGRES_URL, like the tests.

func benchStore(b *testing.B) *postgres.Store {
	b.Helper()
	return open(b, newSchema(b), postgres.Options{})
}

// benchData is a typical event's data, about 300 bytes.
var benchData = []byte(`{"id":"in_1NqkXh2eZvKYlo2C","object":"invoice","amount_due":4200,"amount_paid":4200,` +
	`"currency":"usd","customer":"cus_OdkJ3Hbz9T2K","lines":[{"id":"il_1","amount":4200,"description":"Pro plan"}],` +
	`"status":"paid","metadata":{"order":"42"},"created":1700000000}`)

// benchBatch returns n events of one delivery each, leased to the
// accepting node as the engine writes them.
func benchBatch(n int, now time.Time) (*hookd.Batch, []*hookd.Delivery) {
	b := &hookd.Batch{KeysAfter: now.Add(-24 * time.Hour)}
	ds := make([]*hookd.Delivery, 0, n)
	for range n {
		ev := &hookd.Event{ID: hookd.NewID(hookd.PrefixEvent), TenantID: hookd.DefaultTenant, Type: "invoice.paid",
			CreatedAt: now}
		payload, start := hookd.RenderPayload(ev.Type, now, benchData)
		ev.Payload, ev.Data = payload, payload[start:start+len(benchData)]
		d := &hookd.Delivery{ID: hookd.NewID(hookd.PrefixDelivery), EventID: ev.ID, EndpointID: "ep_bench",
			TenantID: ev.TenantID, Status: hookd.StatusPending, NextAttemptAt: now, CreatedAt: now,
			LeaseOwner: "node-1", LeaseUntil: now.Add(30 * time.Second)}
		b.Events = append(b.Events, &hookd.EventWrite{Event: ev, Deliveries: []*hookd.Delivery{d}})
		ds = append(ds, d)
	}
	return b, ds
}

// BenchmarkCommit commits batches of events with one delivery each, one
// synchronously committed transaction per batch.
func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				batch, _ := benchBatch(n, time.Now())
				b.StartTimer()
				if err := s.Commit(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkCommitCycle commits what the engine writes in steady state:
// each batch holds n new events with their deliveries, plus an attempt and
// a final update for each delivery of the previous batch.
func BenchmarkCommitCycle(b *testing.B) {
	for _, n := range []int{16, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) { benchCommitCycle(b, n) })
	}
}

func benchCommitCycle(b *testing.B, n int) {
	s := benchStore(b)
	ctx := context.Background()
	var prev []*hookd.Delivery
	for b.Loop() {
		b.StopTimer()
		now := time.Now()
		batch, ds := benchBatch(n, now)
		for _, d := range prev {
			batch.Attempts = append(batch.Attempts, &hookd.Attempt{ID: hookd.NewID(hookd.PrefixAttempt),
				DeliveryID: d.ID, EventID: d.EventID, EndpointID: d.EndpointID, TenantID: d.TenantID, Number: 1,
				StartedAt: now, Latency: 3 * time.Millisecond, URL: "https://example.com/hook",
				RequestHeaders: map[string]string{"webhook-id": d.EventID, "webhook-timestamp": "1700000000"},
				ResponseStatus: 200, ResponseBody: []byte(`{"ok":true}`)})
			batch.Updates = append(batch.Updates, &hookd.DeliveryUpdate{ID: d.ID, Owner: d.LeaseOwner,
				Status: hookd.StatusSucceeded, Attempts: 1, LastAttemptAt: now, Release: true})
		}
		prev = ds
		b.StartTimer()
		if err := s.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkClaim claims 100 due deliveries at a time from a backlog of
// 20,000, with leases that lapse at once so the backlog never runs dry.
func BenchmarkClaim(b *testing.B) {
	const backlog, limit = 20000, 100
	s := benchStore(b)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := 0; i < backlog; i += 1000 {
		batch, ds := benchBatch(1000, base)
		for _, d := range ds {
			d.LeaseOwner, d.LeaseUntil = "", time.Time{}
		}
		if err := s.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		cl, err := s.ClaimDeliveries(ctx, hookd.Claim{Owner: "node-1", Now: now, Until: now.Add(time.Microsecond), Limit: limit})
		if err != nil {
			b.Fatal(err)
		}
		if len(cl) != limit {
			b.Fatalf("claimed %d, want %d", len(cl), limit)
		}
	}
	b.ReportMetric(float64(limit*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
