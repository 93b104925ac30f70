// Package filter compiles and runs endpoint filters: CEL expressions
// (cel.dev/cel-go) over an event, its tenant and the endpoint, which must
// be true for the event to be delivered to the endpoint.
//
// An expression sees three variables, each a map:
//
//	event    {id, type, created_at (a timestamp), data (the event's JSON)}
//	tenant   {id, metadata}
//	endpoint {id, metadata}
//
// Numbers in data and metadata are doubles, as in CEL's JSON mapping.
// Evaluation is bounded by cost and time; a failed evaluation is an error
// that the caller counts as no match (fail closed: nothing is sent on an
// expression that could not decide).
package filter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/hookd/hookd"
)

// Bounds of one evaluation: its cost, which stops a runaway expression
// (a comprehension over a large list) deterministically, and, as a
// backstop for what cost does not see, its time. The time is generous so
// that a busy machine never turns a sound filter into a dropped event.
const (
	CostLimit = 100_000
	Timeout   = 500 * time.Millisecond
)

var (
	envOnce sync.Once
	envVal  *cel.Env
	envErr  error
	// compileMu serializes compilations: cel-go's checker fills a lazy
	// cache of the environment while it reports some errors, racing with
	// another check of the same environment. Compiling is rare (an
	// endpoint saved, routes reloaded); evaluating needs no lock.
	compileMu sync.Mutex
)

func env() (*cel.Env, error) {
	envOnce.Do(func() {
		m := cel.MapType(cel.StringType, cel.DynType)
		envVal, envErr = cel.NewEnv(
			cel.Variable("event", m), cel.Variable("tenant", m), cel.Variable("endpoint", m),
			cel.ParserExpressionSizeLimit(hookd.MaxFilterSize),
		)
	})
	return envVal, envErr
}

// Program is a compiled filter, safe for concurrent use.
type Program struct {
	expr    string
	prg     cel.Program
	timeout time.Duration // Timeout
}

// Compile compiles expr, which must yield a bool. A bad expression is an
// EINVALID *hookd.Error at /filter with the compiler's message.
func Compile(expr string) (*Program, error) {
	bad := func(format string, args ...any) error {
		return hookd.Invalid("invalid filter", hookd.FieldError{Pointer: "/filter", Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(expr) == "" {
		return nil, bad("is empty")
	}
	if len(expr) > hookd.MaxFilterSize {
		return nil, bad("must be at most %d bytes", hookd.MaxFilterSize)
	}
	e, err := env()
	if err != nil {
		return nil, fmt.Errorf("filter environment: %w", err)
	}
	compileMu.Lock()
	defer compileMu.Unlock()
	ast, iss := e.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, bad("does not compile: %v", iss.Err())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, bad("must return a bool, not %s (compare a value, as in event.data.paid == true)", ast.OutputType())
	}
	prg, err := e.Program(ast, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, bad("%v", err)
	}
	return &Program{expr: expr, prg: prg, timeout: Timeout}, nil
}

// Check reports whether e's filter, if any, compiles, as field errors.
func Check(e *hookd.Endpoint) []hookd.FieldError {
	if e.Filter == "" {
		return nil
	}
	_, err := Compile(e.Filter)
	return hookd.ErrorFields(err)
}

// Input is what a filter decides on. Build it once per event with
// NewInput and reuse it for every endpoint: the data is parsed once.
type Input struct {
	event  map[string]any
	tenant map[string]any
}

// NewInput parses the event's data and the tenant's metadata.
func NewInput(ev *hookd.Event, tenant *hookd.Tenant) *Input {
	in := &Input{
		event:  map[string]any{"id": ev.ID, "type": ev.Type, "created_at": ev.CreatedAt.UTC(), "data": parse(ev.Data)},
		tenant: map[string]any{"id": ev.TenantID, "metadata": map[string]any{}},
	}
	if tenant != nil && len(tenant.Metadata) > 0 {
		in.tenant["metadata"] = parse(tenant.Metadata)
	}
	return in
}

// Match evaluates the filter for the endpoint.
func (p *Program) Match(in *Input, ep *hookd.Endpoint) (bool, error) {
	endpoint := map[string]any{"id": ep.ID, "metadata": map[string]any{}}
	if len(ep.Metadata) > 0 {
		endpoint["metadata"] = parse(ep.Metadata)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	out, _, err := p.prg.ContextEval(ctx, map[string]any{"event": in.event, "tenant": in.tenant, "endpoint": endpoint})
	if err != nil {
		return false, fmt.Errorf("filter %q: %w", p.expr, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("filter %q: returned %v, not a bool", p.expr, out.Value())
	}
	return b, nil
}

// parse decodes JSON for CEL; numbers become doubles. Bytes that are not
// JSON (they were checked on the way in) become null.
func parse(b []byte) any {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}
