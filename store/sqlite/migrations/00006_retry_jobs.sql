-- +goose Up
-- Bulk retries: the filter, the progress (the id the next batch starts
-- below, how many were re-queued) and the lease of the node running it,
-- so that another node resumes the job when that node dies.
CREATE TABLE retry_jobs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    filter      TEXT NOT NULL,
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    queued      INTEGER NOT NULL,
    cursor      TEXT NOT NULL,
    error       TEXT NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX retry_jobs_running ON retry_jobs (created_at) WHERE status = 'running';

-- +goose Down
DROP TABLE retry_jobs;
