-- hookd's SQLite schema.
--
-- Times are integer unix microseconds; 0 stands for the zero time.
-- Durations are integer nanoseconds. Lists, maps and objects are JSON text.
-- IDs are time-ordered, so ORDER BY id is ORDER BY creation time.
--
-- Hot-path tables (events, deliveries, attempts, requests) carry no foreign
-- key to tenants, endpoints or sources: a group commit must not fail as a
-- whole because one of its rows names a tenant or source deleted a moment
-- ago, and deliveries may target forward destinations that are not
-- endpoints. Deletes of tenants and sources remove their rows explicitly.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    metadata   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO tenants (id, metadata, created_at, updated_at)
VALUES ('default', NULL,
        CAST(unixepoch('subsec') * 1000000 AS INTEGER),
        CAST(unixepoch('subsec') * 1000000 AS INTEGER));

CREATE TABLE event_types (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    schema      TEXT,
    examples    TEXT,
    deprecated  INTEGER NOT NULL,
    method      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    event_types     TEXT,
    headers         TEXT,
    sig_scheme      TEXT NOT NULL,
    sig_header      TEXT NOT NULL,
    sig_prefix      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    timeout         INTEGER NOT NULL,
    rate_limit      REAL NOT NULL,
    max_concurrency INTEGER NOT NULL,
    retry_schedule  TEXT,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT NOT NULL,
    failing_since   INTEGER NOT NULL,
    metadata        TEXT,
    secrets         TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX endpoints_tenant ON endpoints (tenant_id, id);

-- data is set only when the event's Data is not a slice of its payload;
-- otherwise Data is payload[data_start : data_start+data_len].
CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    data_start      INTEGER NOT NULL,
    data_len        INTEGER NOT NULL,
    data            BLOB,
    idempotency_key TEXT NOT NULL,
    method          TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    headers         TEXT,
    created_at      INTEGER NOT NULL
);

CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_created ON events (created_at, id);

-- A free delivery has lease_owner NULL and lease_until 0, so that
-- max(next_attempt_at, lease_until) is the time it becomes claimable.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX deliveries_due ON deliveries (max(next_attempt_at, lease_until), id)
    WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_retry ON deliveries (tenant_id, created_at)
    WHERE status IN ('failed', 'dead');

CREATE TABLE attempts (
    id              TEXT PRIMARY KEY,
    delivery_id     TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    number          INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    latency         INTEGER NOT NULL,
    url             TEXT NOT NULL,
    request_headers TEXT,
    response_status INTEGER NOT NULL,
    response_body   BLOB,
    error           TEXT NOT NULL
);

CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX attempts_event ON attempts (event_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    ref_id      TEXT NOT NULL,
    fingerprint BLOB,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE sources (
    id          TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    spec        TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE requests (
    id           TEXT PRIMARY KEY,
    source_id    TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    query        TEXT NOT NULL,
    headers      TEXT,
    body         BLOB,
    remote_ip    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    code         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    verified     TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    duplicate_of TEXT NOT NULL
);

CREATE INDEX requests_source ON requests (source_id, id);
CREATE INDEX requests_rejected ON requests (source_id, id) WHERE accepted = 0;
CREATE INDEX requests_received ON requests (received_at);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- change_seq grows with every change to tenants, event types, endpoints
-- and sources; nodes poll it to reload their caches. An endpoint's
-- failing_since alone (the engine's health bookkeeping, written often while
-- an endpoint fails) does not count: no cache depends on it.
CREATE TABLE change_seq (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);

INSERT INTO change_seq (id, seq) VALUES (1, 1);

-- +goose StatementBegin
CREATE TRIGGER tenants_ins AFTER INSERT ON tenants BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tenants_upd AFTER UPDATE ON tenants BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tenants_del AFTER DELETE ON tenants BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER event_types_ins AFTER INSERT ON event_types BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER event_types_upd AFTER UPDATE ON event_types BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER event_types_del AFTER DELETE ON event_types BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER endpoints_ins AFTER INSERT ON endpoints BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER endpoints_upd AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets ON endpoints
BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER endpoints_del AFTER DELETE ON endpoints BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sources_ins AFTER INSERT ON sources BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sources_upd AFTER UPDATE ON sources BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sources_del AFTER DELETE ON sources BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE change_seq;
DROP TABLE api_keys;
DROP TABLE requests;
DROP TABLE sources;
DROP TABLE idempotency_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE endpoints;
DROP TABLE event_types;
DROP TABLE tenants;
