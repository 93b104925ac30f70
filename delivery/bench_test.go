package delivery_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// payload250 is a ~250-byte event, the size hookd bench uses by default.
var payload250 = json.RawMessage(`{"id":"in_1NqQ2x2eZvKYlo2C","object":"invoice","amount_due":2000,"currency":"usd","customer":"cus_9s6XKzkNRiz8i3","status":"paid","lines":[{"id":"il_1","amount":2000,"description":"1 × Pro plan"}],"created":1700000000,"livemode":false}`)

// BenchmarkPublishDeliver measures publish (group commit with fsync) and
// delivery to one loopback endpoint, with parallel publishers.
func BenchmarkPublishDeliver(b *testing.B) {
	benchPublishDeliver(b, delivery.Config{Workers: 64, MaxConcurrency: 64})
}

// benchPublishDeliver publishes b.N events from 16 parallel publishers
// through an engine of cfg to one loopback endpoint, and reports the
// events delivered a second.
func benchPublishDeliver(b *testing.B, cfg delivery.Config) {
	rc := newReceiver(b, nil)
	e := newEnv(b, cfg)
	e.endpoint(rc.URL, nil)
	b.ReportAllocs()
	b.SetParallelism(16)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		p := &hookd.Publish{TenantID: hookd.DefaultTenant, Type: "invoice.paid", Data: payload250}
		for pb.Next() {
			if _, err := e.engine.Publish(context.Background(), p); err != nil {
				b.Error(err)
				return
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for rc.count.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
