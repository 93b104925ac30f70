-- +goose Up
-- Consumer portal links: single-use tokens into one tenant's portal, kept
-- as the keyed hash of the token (as API keys are), deleted when redeemed.
CREATE TABLE portal_tokens (
    hash         bytea PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    tenant_id    text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    capabilities jsonb NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE INDEX portal_tokens_expires ON portal_tokens (expires_at);

-- +goose Down
DROP TABLE portal_tokens;
