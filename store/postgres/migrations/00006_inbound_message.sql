-- +goose Up
-- What a source's authenticator said of the caller (JSON), and the query
-- string a forwarded request passes on to its destination.
ALTER TABLE requests ADD COLUMN auth_user text;
ALTER TABLE events ADD COLUMN query text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN query;
ALTER TABLE requests DROP COLUMN auth_user;
