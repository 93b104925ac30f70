-- +goose Up
-- The W3C trace context an event was published in (traceparent and
-- tracestate header values), so that attempts made later or on another
-- node continue its trace; '' when it was published untraced.
ALTER TABLE events ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN trace_state TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN trace_state;
ALTER TABLE events DROP COLUMN trace_parent;
