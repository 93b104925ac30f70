-- +goose Up
-- Secrets are kept sealed (AES-256-GCM under the master key, as text
-- "hkenc:v1:<key id>:…"), so the columns that hold them become text. The
-- trigger that names endpoints.secrets is made again around the change.
DROP TRIGGER endpoints_updated ON endpoints;
ALTER TABLE endpoints ALTER COLUMN secrets TYPE text USING secrets::text;
CREATE TRIGGER endpoints_updated AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets ON endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
ALTER TABLE sources ALTER COLUMN spec TYPE text USING spec::text;

-- API keys gain a scope, a read-only flag, an expiry and their last use,
-- and are found by a keyed hash (HMAC-SHA256 under the hashing key kept
-- sealed in store_secrets). Keys stored by earlier versions hold a bare
-- SHA-256 (legacy): the key generated at first start is upgraded to the
-- keyed hash the first time it is used; the copies of the configured
-- api_key (named "config") are dropped, as that key now lives in memory
-- only.
ALTER TABLE api_keys ADD COLUMN scope text NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN read_only boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN legacy boolean NOT NULL DEFAULT false;
UPDATE api_keys SET legacy = true;
DELETE FROM api_keys WHERE name = 'config';

-- Secrets of the store itself, each sealed under the master key.
CREATE TABLE store_secrets (
    name       text COLLATE "C" PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE store_secrets;
DELETE FROM api_keys WHERE NOT legacy;
ALTER TABLE api_keys DROP COLUMN legacy;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE api_keys DROP COLUMN read_only;
ALTER TABLE api_keys DROP COLUMN scope;
ALTER TABLE sources ALTER COLUMN spec TYPE json USING spec::json;
DROP TRIGGER endpoints_updated ON endpoints;
ALTER TABLE endpoints ALTER COLUMN secrets TYPE json USING secrets::json;
CREATE TRIGGER endpoints_updated AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets ON endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_change_seq();
