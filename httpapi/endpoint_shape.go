package httpapi

import (
	"context"
	"net/http"

	"github.com/hookd/hookd"
)

// checkMethod checks an endpoint's method against the catalog: every
// catalog type the endpoint subscribes to must allow it. Types the
// catalog does not know take any method.
func (s *Server) checkMethod(ctx context.Context, e *hookd.Endpoint) []hookd.FieldError {
	if e.Method == "" || !hookd.ValidMethod(e.Method) {
		return nil
	}
	types, err := s.eventTypes(ctx)
	if err != nil {
		return []hookd.FieldError{{Pointer: "/method", Message: "the event catalog is unavailable: try again"}}
	}
	for _, t := range types {
		if e.Accepts(t.Name) && !t.AllowsMethod(e.Method) {
			return []hookd.FieldError{{Pointer: "/method",
				Message: "event type " + t.Name + " does not allow " + e.Method + ": it allows " + joinMethods(t)}}
		}
	}
	return nil
}

func joinMethods(t *hookd.EventType) string {
	ms := t.Methods
	if len(ms) == 0 {
		ms = []string{http.MethodPost}
	}
	out := ""
	for i, m := range ms {
		if i > 0 {
			out += ", "
		}
		out += m
	}
	return out
}
