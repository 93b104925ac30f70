-- +goose Up
-- The W3C trace context an event was published in (traceparent and
-- tracestate header values), so that attempts made later or on another
-- node continue its trace; '' when it was published untraced. A constant
-- default adds the columns without rewriting the table.
ALTER TABLE events ADD COLUMN trace_parent text NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN trace_state text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN trace_state;
ALTER TABLE events DROP COLUMN trace_parent;
