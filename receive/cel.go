package receive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/hookd/hookd"
)

// Bounds of a CEL program: a runaway expression (a large comprehension
// over a big body) is stopped by cost, and whatever slips through by time.
const (
	celCostLimit   = 1_000_000
	celTimeout     = 50 * time.Millisecond
	celMaxExprSize = 4096
)

var (
	celEnvOnce sync.Once
	celEnvVal  *cel.Env
	celEnvErr  error
	// celCompileMu serializes compilations: cel-go's checker fills a lazy
	// cache of the environment while it reports some errors, racing with
	// another check of the same environment. Compiling is rare (a source
	// saved or loaded); evaluating needs no lock.
	celCompileMu sync.Mutex
)

// celEnv is the environment of every expression: one variable, request,
// a map with method, path, headers (lower-cased names, values joined with
// ", "), query (a string, or a list when repeated), body (the parsed JSON
// or form; null otherwise) and remote_ip.
func celEnv() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnvVal, celEnvErr = cel.NewEnv(
			cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)),
			cel.ParserExpressionSizeLimit(celMaxExprSize),
		)
	})
	return celEnvVal, celEnvErr
}

// celProgram is a compiled, bounded expression.
type celProgram struct {
	expr string
	prg  cel.Program
}

// compileCEL compiles an expression that must yield want.
func compileCEL(expr string, want *cel.Type, ptr string, fe *fieldErrors) *celProgram {
	env, err := celEnv()
	if err != nil {
		fe.add(ptr, "cel environment: %v", err)
		return nil
	}
	if strings.TrimSpace(expr) == "" {
		fe.add(ptr, "is empty")
		return nil
	}
	celCompileMu.Lock()
	defer celCompileMu.Unlock()
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		fe.add(ptr, "does not compile: %v", iss.Err())
		return nil
	}
	if !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.DynType) {
		fe.add(ptr, "must yield a %s, not %s", want, ast.OutputType())
		return nil
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		fe.add(ptr, "%v", err)
		return nil
	}
	return &celProgram{expr: expr, prg: prg}
}

// eval runs the program over the request, within celTimeout. Its errors
// may quote the expression: they go to the logs, never to the caller.
func (p *celProgram) eval(rc *reqCtx) (any, error) {
	return p.evalWith(rc, true)
}

// evalWith runs the program; without withBody the request has no body
// member and the body is not parsed.
func (p *celProgram) evalWith(rc *reqCtx, withBody bool) (any, error) {
	req, err := celRequest(rc, withBody)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), celTimeout)
	defer cancel()
	out, _, err := p.prg.ContextEval(ctx, map[string]any{"request": req})
	if err != nil {
		return nil, fmt.Errorf("cel %q: %w", p.expr, err)
	}
	return out.Value(), nil
}

// celRequest builds the request variable. The body is parsed on demand;
// a body that does not parse is an *errBody.
func celRequest(rc *reqCtx, withBody bool) (map[string]any, error) {
	headers := make(map[string]any, len(rc.r.Header))
	for k, v := range headerMap(rc.r.Header) {
		headers[k] = v
	}
	req := map[string]any{
		"method":    rc.r.Method,
		"path":      rc.r.URL.Path,
		"headers":   headers,
		"query":     valuesMap(rc.r.URL.Query()),
		"remote_ip": rc.remoteIP,
	}
	if withBody {
		body, rej := rc.parse()
		if rej != nil {
			return nil, &errBody{rej}
		}
		req["body"] = celValue(body)
	}
	return req, nil
}

// celValue converts parsed JSON for CEL: numbers become doubles, as in
// CEL's own JSON mapping.
func celValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = celValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = celValue(e)
		}
		return l
	}
	return v
}

// celAuth is the cel: authenticator. An expression that does not name
// the body (request.body) is headersOnly: it runs before the body is
// decompressed and its request has no body member.
type celAuth struct {
	p           *celProgram
	headersOnly bool
}

func compileCELAuth(expr, ptr string, fe *fieldErrors) verifier {
	p := compileCEL(expr, cel.BoolType, ptr, fe)
	if p == nil {
		return nil
	}
	return &celAuth{p: p, headersOnly: !strings.Contains(expr, "body")}
}

func (*celAuth) name() string { return "cel" }

// verify denies the request (403) when the expression yields false, and
// answers 500 when it fails to run (a missing key, a type error, the
// cost or time limit): a broken authenticator is the operator's fault,
// not the caller's, and it still fails closed. Neither answer shows the
// expression; the log keeps the error.
func (a *celAuth) verify(rc *reqCtx) *rejection {
	out, err := a.p.evalWith(rc, !a.headersOnly)
	if be, ok := err.(*errBody); ok {
		return be.rej
	}
	switch {
	case err != nil:
		rej := reject(http.StatusInternalServerError, hookd.EINTERNAL, "the source's authenticator failed")
		rej.cause = err.Error()
		return rej
	case out == true:
		return nil
	case out == false:
		return reject(http.StatusForbidden, hookd.EFORBIDDEN, "denied by the source's authenticator")
	}
	rej := reject(http.StatusInternalServerError, hookd.EINTERNAL, "the source's authenticator failed")
	rej.cause = fmt.Sprintf("cel expression yielded %T, not a bool", out)
	return rej
}
