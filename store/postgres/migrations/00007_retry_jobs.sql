-- +goose Up
-- Bulk retries: the filter, the progress (the id the next batch starts
-- below, how many were re-queued) and the lease of the node running it,
-- so that another node resumes the job when that node dies.
CREATE TABLE retry_jobs (
    id          text COLLATE "C" PRIMARY KEY,
    tenant_id   text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    filter      jsonb NOT NULL,
    status      text NOT NULL,
    total       bigint NOT NULL,
    queued      bigint NOT NULL,
    cursor      text COLLATE "C" NOT NULL,
    error       text NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz
);

CREATE INDEX retry_jobs_running ON retry_jobs (created_at) WHERE status = 'running';

-- +goose Down
DROP TABLE retry_jobs;
