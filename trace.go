package hookd

// TraceContext is a W3C Trace Context (https://www.w3.org/TR/trace-context/)
// in its header form: the span an event was published under, kept with the
// event so that every attempt of its deliveries, on any node and however
// late, continues that trace and passes it on to the receiver. The zero
// value is no trace.
type TraceContext struct {
	// Parent is the traceparent header value,
	// "00-<trace id>-<span id>-<flags>".
	Parent string
	// State is the tracestate header value, "" for none.
	State string
}

// IsZero reports whether tc carries no trace.
func (tc TraceContext) IsZero() bool { return tc.Parent == "" }
