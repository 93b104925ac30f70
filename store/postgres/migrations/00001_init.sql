-- hookd's PostgreSQL schema.
--
-- The tables mirror the SQLite store's (store/sqlite/migrations), in
-- PostgreSQL's own types: times are timestamptz (microseconds), NULL for
-- the zero time; durations are bigint nanoseconds; documents supplied by
-- users (metadata, schemas, specs) are json, which keeps them as written.
--
-- Ids and other keys that listings order by use the "C" collation, so that
-- they sort as their bytes do whatever the database's locale: ids are
-- time-ordered, so ORDER BY id is ORDER BY creation time.
--
-- Hot-path tables (events, deliveries, attempts, requests) carry no foreign
-- key to tenants, endpoints or sources: a group commit must not fail as a
-- whole because one of its rows names a tenant or source deleted a moment
-- ago, and deliveries may target forward destinations that are not
-- endpoints. Deletes of tenants and sources remove their rows explicitly.
-- Unlike SQLite's, deliveries carry no foreign key to their event either:
-- a delivery is only ever written in the transaction that writes its event
-- (Commit), deletes remove both explicitly, and the check on each row of a
-- group commit cost about a sixth of Commit's time.

-- +goose Up
CREATE TABLE tenants (
    id         text COLLATE "C" PRIMARY KEY,
    metadata   json,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

INSERT INTO tenants (id, metadata, created_at, updated_at)
VALUES ('default', NULL, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()));

CREATE TABLE event_types (
    name        text COLLATE "C" PRIMARY KEY,
    description text NOT NULL,
    group_name  text NOT NULL,
    schema      json,
    examples    json,
    deprecated  boolean NOT NULL,
    method      text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE endpoints (
    id              text COLLATE "C" PRIMARY KEY,
    tenant_id       text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url             text NOT NULL,
    description     text NOT NULL,
    event_types     text[],
    headers         json,
    sig_scheme      text NOT NULL,
    sig_header      text NOT NULL,
    sig_prefix      text NOT NULL,
    payload         text NOT NULL,
    timeout         bigint NOT NULL,
    rate_limit      double precision NOT NULL,
    max_concurrency integer NOT NULL,
    retry_schedule  bigint[],
    enabled         boolean NOT NULL,
    disabled_reason text NOT NULL,
    failing_since   timestamptz,
    metadata        json,
    secrets         json,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX endpoints_tenant ON endpoints (tenant_id, id);

-- data is set only when the event's Data is not a slice of its payload;
-- otherwise Data is payload[data_start : data_start+data_len].
CREATE TABLE events (
    id              text COLLATE "C" PRIMARY KEY,
    tenant_id       text COLLATE "C" NOT NULL,
    type            text COLLATE "C" NOT NULL,
    payload         bytea NOT NULL,
    data_start      integer NOT NULL,
    data_len        integer NOT NULL,
    data            bytea,
    idempotency_key text NOT NULL,
    method          text NOT NULL,
    content_type    text NOT NULL,
    headers         json,
    created_at      timestamptz NOT NULL
);

CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_created ON events (created_at, id);

-- A free delivery has lease_owner and lease_until NULL. A delivery still to
-- be sent becomes claimable at GREATEST(next_attempt_at, lease_until)
-- (GREATEST skips NULLs; both NULL means at once), the key of
-- deliveries_due, which serves both the filter and the order of a claim.
CREATE TABLE deliveries (
    id              text COLLATE "C" PRIMARY KEY,
    event_id        text COLLATE "C" NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL,
    tenant_id       text COLLATE "C" NOT NULL,
    status          text NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    lease_owner     text,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX deliveries_due ON deliveries
    ((COALESCE(GREATEST(next_attempt_at, lease_until), '-infinity'::timestamptz)), id)
    WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_retry ON deliveries (tenant_id, created_at)
    WHERE status IN ('failed', 'dead');

CREATE TABLE attempts (
    id              text COLLATE "C" PRIMARY KEY,
    delivery_id     text COLLATE "C" NOT NULL,
    event_id        text COLLATE "C" NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL,
    tenant_id       text COLLATE "C" NOT NULL,
    number          integer NOT NULL,
    started_at      timestamptz,
    latency         bigint NOT NULL,
    url             text NOT NULL,
    request_headers json,
    response_status integer NOT NULL,
    response_body   bytea,
    error           text NOT NULL
);

CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX attempts_event ON attempts (event_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

CREATE TABLE idempotency_keys (
    scope       text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    ref_id      text NOT NULL,
    fingerprint bytea,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE sources (
    id          text COLLATE "C" PRIMARY KEY,
    description text NOT NULL,
    spec        json,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE requests (
    id           text COLLATE "C" PRIMARY KEY,
    source_id    text COLLATE "C" NOT NULL,
    received_at  timestamptz NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    query        text NOT NULL,
    headers      json,
    body         bytea,
    remote_ip    text NOT NULL,
    status       integer NOT NULL,
    accepted     boolean NOT NULL,
    code         text NOT NULL,
    reason       text NOT NULL,
    verified     text NOT NULL,
    dedupe_key   text NOT NULL,
    duplicate_of text NOT NULL
);

CREATE INDEX requests_source ON requests (source_id, id);
CREATE INDEX requests_rejected ON requests (source_id, id) WHERE NOT accepted;
CREATE INDEX requests_received ON requests (received_at);

CREATE TABLE api_keys (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL
);

-- nodes: the hookd processes sharing this database, each refreshing its
-- row every few seconds; engines divide per-endpoint limits by the number
-- of live rows.
CREATE TABLE nodes (
    id        text COLLATE "C" PRIMARY KEY,
    last_seen timestamptz NOT NULL
);

-- change_seq grows with every committed change to tenants, event types,
-- endpoints and sources; nodes poll it to reload their caches. It is a row
-- rather than a sequence so that a node never sees the new number before
-- the change it stands for is committed. An endpoint's failing_since alone
-- (the engine's health bookkeeping, written often while an endpoint
-- fails) does not count: no cache depends on it.
CREATE TABLE change_seq (
    id  integer PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL
);

INSERT INTO change_seq (id, seq) VALUES (1, 1);

-- +goose StatementBegin
CREATE FUNCTION bump_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_seq SET seq = seq + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
CREATE TRIGGER event_types_changed AFTER INSERT OR UPDATE OR DELETE ON event_types
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
CREATE TRIGGER endpoints_changed AFTER INSERT OR DELETE ON endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
CREATE TRIGGER endpoints_updated AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets ON endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
CREATE TRIGGER sources_changed AFTER INSERT OR UPDATE OR DELETE ON sources
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();

-- +goose Down
DROP TABLE change_seq;
DROP FUNCTION bump_change_seq() CASCADE;
DROP TABLE nodes;
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
