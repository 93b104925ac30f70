-- +goose Up
-- A change to tenants, event types, endpoints or sources is announced on
-- hookd_due as well (at commit, like every notification), so that the
-- other nodes reload their routes at once instead of at their next poll:
-- an endpoint created through one node receives the events published
-- through another a moment later.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_seq SET seq = seq + 1 WHERE id = 1;
    PERFORM pg_notify('hookd_due', 'changed');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_seq SET seq = seq + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
