-- +goose Up
-- Consumer portal links: single-use tokens into one tenant's portal, kept
-- as the keyed hash of the token (as API keys are), deleted when redeemed.
CREATE TABLE portal_tokens (
    hash         BLOB PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    capabilities TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX portal_tokens_expires ON portal_tokens (expires_at);

-- +goose Down
DROP TABLE portal_tokens;
