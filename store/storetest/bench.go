package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// BenchOpener returns a new, empty store for one benchmark.
type BenchOpener func(b *testing.B) hookd.Store

// Bench runs the store benchmarks of the engine's hot path against the
// stores open returns, the same for every store so that they compare line
// by line: Commit (new events in batches), CommitCycle (the steady state
// of new events plus the previous batch's attempts and updates) and Claim.
func Bench(b *testing.B, open BenchOpener) {
	b.Run("Commit", func(b *testing.B) { benchCommit(b, open) })
	b.Run("CommitCycle", func(b *testing.B) { benchCommitCycles(b, open) })
	b.Run("Claim", func(b *testing.B) { benchClaim(b, open) })
}

// benchData is a typical event's data, about 300 bytes.
var benchData = []byte(`{"id":"in_1NqkXh2eZvKYlo2C","object":"invoice","amount_due":4200,"amount_paid":4200,` +
	`"currency":"usd","customer":"cus_OdkJ3Hbz9T2K","lines":[{"id":"il_1","amount":4200,"description":"Pro plan"}],` +
	`"status":"paid","metadata":{"order":"42"},"created":1700000000}`)

// EventBatch returns a batch of n events of one delivery each, leased to the
// accepting node as the engine writes them.
func EventBatch(n int, now time.Time) (*hookd.Batch, []*hookd.Delivery) {
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

// benchCommit commits batches of events with one delivery each, one
// durably committed transaction per batch.
func benchCommit(b *testing.B, open BenchOpener) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				batch, _ := EventBatch(n, time.Now())
				b.StartTimer()
				if err := s.Commit(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchCommitCycles commits what the engine writes in steady state:
// each batch holds n new events with their deliveries, plus an attempt and
// a final update for each delivery of the previous batch.
func benchCommitCycles(b *testing.B, open BenchOpener) {
	for _, n := range []int{16, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) { benchCommitCycle(b, open, n) })
	}
}

func benchCommitCycle(b *testing.B, open BenchOpener, n int) {
	s := open(b)
	ctx := context.Background()
	var prev []*hookd.Delivery
	for b.Loop() {
		b.StopTimer()
		now := time.Now()
		batch, ds := EventBatch(n, now)
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

// benchClaim claims 100 due deliveries at a time from a backlog of
// 20,000, with leases that lapse at once so the backlog never runs dry.
func benchClaim(b *testing.B, open BenchOpener) {
	const backlog, limit = 20000, 100
	s := open(b)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := 0; i < backlog; i += 1000 {
		batch, ds := EventBatch(1000, base)
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
