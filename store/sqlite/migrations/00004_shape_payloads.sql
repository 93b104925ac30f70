-- +goose Up
-- What an endpoint sends: a payload template (its JSON), a transform
-- (JavaScript), a filter (CEL) and a method.
ALTER TABLE endpoints ADD COLUMN template TEXT;
ALTER TABLE endpoints ADD COLUMN transform TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN filter TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN method TEXT NOT NULL DEFAULT '';

DROP TRIGGER endpoints_upd;
-- +goose StatementBegin
CREATE TRIGGER endpoints_upd AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets, template, transform, filter, method ON endpoints
BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd

-- A delivery's own request, when it is not the event's payload: body is
-- the exact bytes (a template's or a transform's rendering), shape the rest
-- as JSON ({data_only, method, headers, transformed}). Both stay NULL for
-- the common case, which costs nothing.
ALTER TABLE deliveries ADD COLUMN body BLOB;
ALTER TABLE deliveries ADD COLUMN shape TEXT;

-- Deliveries still due to raw endpoints keep sending data alone.
UPDATE deliveries SET shape = '{"data_only":true}'
WHERE status IN ('pending', 'failed')
  AND endpoint_id IN (SELECT id FROM endpoints WHERE payload = 'raw');

-- The console output of a transform, kept with the attempt.
ALTER TABLE attempts ADD COLUMN logs TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE attempts DROP COLUMN logs;
ALTER TABLE deliveries DROP COLUMN shape;
ALTER TABLE deliveries DROP COLUMN body;
DROP TRIGGER endpoints_upd;
-- +goose StatementBegin
CREATE TRIGGER endpoints_upd AFTER UPDATE OF id, tenant_id, url, description, event_types, headers,
    sig_scheme, sig_header, sig_prefix, payload, timeout, rate_limit, max_concurrency, retry_schedule,
    enabled, disabled_reason, metadata, secrets ON endpoints
BEGIN UPDATE change_seq SET seq = seq + 1; END;
-- +goose StatementEnd
ALTER TABLE endpoints DROP COLUMN method;
ALTER TABLE endpoints DROP COLUMN filter;
ALTER TABLE endpoints DROP COLUMN transform;
ALTER TABLE endpoints DROP COLUMN template;
