-- +goose Up
-- API keys gain a scope, a read-only flag, an expiry and their last use,
-- and are found by a keyed hash (HMAC-SHA256 under the hashing key kept
-- sealed in store_secrets). Keys stored by earlier versions hold a bare
-- SHA-256 (legacy = 1): the key generated at first start is upgraded to
-- the keyed hash the first time it is used; the copies of the configured
-- api_key (named "config") are dropped, as that key now lives in memory
-- only.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
UPDATE api_keys SET legacy = 1;
DELETE FROM api_keys WHERE name = 'config';

-- Secrets of the store itself, each sealed under the master key.
CREATE TABLE store_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE store_secrets;
DELETE FROM api_keys WHERE legacy = 0;
ALTER TABLE api_keys DROP COLUMN legacy;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE api_keys DROP COLUMN read_only;
ALTER TABLE api_keys DROP COLUMN scope;
