package hookd

import (
	"context"
	"time"
)

// StatsStore summarizes the store for the gauges of GET /metrics. Its
// queries read the deliveries that have not ended, through the index the
// claimer uses, and the endpoints: their cost grows with the queue (seconds
// for a million waiting deliveries), so callers cache the answer rather
// than calling it on every scrape.
type StatsStore interface {
	// QueueStats counts the deliveries waiting to be sent and the disabled
	// endpoints, of every tenant.
	QueueStats(ctx context.Context) (QueueStats, error)
}

// QueueStats is a summary of the delivery queue.
type QueueStats struct {
	// Pending counts deliveries not yet tried or in flight.
	Pending int64
	// Failed counts deliveries waiting for a retry.
	Failed int64
	// OldestPending is when the oldest pending delivery was created;
	// zero when none is pending.
	OldestPending time.Time
	// DisabledEndpoints counts endpoints that are turned off, by the
	// engine or through the API.
	DisabledEndpoints int64
}
