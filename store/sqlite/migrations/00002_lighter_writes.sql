-- +goose Up
-- Every event costs a write to each index of events, deliveries and
-- attempts. Two of them served only rare lookups, which now go through
-- deliveries_event: attempts by event (via their deliveries) and the
-- deliveries of a tenant being deleted (via its events).
DROP INDEX attempts_event;
DROP INDEX deliveries_tenant;

-- +goose Down
CREATE INDEX attempts_event ON attempts (event_id, id);
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, id);
