package hookd

import (
	"context"
	"time"
)

// PrefixRetryJob prefixes the ids of bulk retries.
const PrefixRetryJob = "rtj_"

// Bulk retry states.
const (
	RetryJobRunning   = "running"   // batches are being re-queued
	RetryJobSucceeded = "succeeded" // every selected delivery was handled
	RetryJobFailed    = "failed"    // stopped by an error; Error says which
)

// RetryJob is a bulk retry: the failed and dead deliveries of a tenant that
// Filter selects, re-queued in batches in the background. Its progress is
// stored, so that any node can resume it where it stopped when the node
// running it dies.
type RetryJob struct {
	ID       string
	TenantID string
	// Filter selects the deliveries; its Before and Limit are not used
	// (the job keeps its own Cursor and batch size).
	Filter RequeueFilter
	Status string
	// Total is how many deliveries the filter selected when the job was
	// created; Queued is how many it has re-queued so far. Queued may end
	// below Total when deliveries changed meanwhile (succeeded, or held
	// by a node that was retrying them anyway).
	Total  int64
	Queued int64
	// Cursor is the id the next batch starts below, "" before the first.
	Cursor string
	Error  string
	// LeaseOwner is the node running the job while LeaseUntil is ahead.
	LeaseOwner string
	LeaseUntil time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// FinishedAt is zero while the job runs.
	FinishedAt time.Time
}

// RetryJobStore keeps bulk retries and their progress.
type RetryJobStore interface {
	// CreateRetryJob stores a new job; ENOTFOUND when its tenant does not
	// exist.
	CreateRetryJob(ctx context.Context, j *RetryJob) error
	GetRetryJob(ctx context.Context, tenantID, id string) (*RetryJob, error)
	// ClaimRetryJob leases to owner until until the oldest running job
	// whose lease is free or lapsed at now, and returns it; ENOTFOUND when
	// there is none. Two concurrent claims never return the same job.
	ClaimRetryJob(ctx context.Context, owner string, now, until time.Time) (*RetryJob, error)
	// SaveRetryJob writes j's Status, Queued, Cursor, Error, LeaseUntil and
	// FinishedAt, provided j.LeaseOwner still holds its lease; otherwise
	// it changes nothing and returns Stale (another node took the job
	// over).
	SaveRetryJob(ctx context.Context, j *RetryJob) error
}
