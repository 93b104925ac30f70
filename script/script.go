// Package script runs small, untrusted JavaScript programs (goja) for
// hookd: outbound transformations and inbound authenticators share it.
//
// A Program is compiled once and called many times; its runtimes are
// pooled, so a call costs no runtime set-up. Every call is time-boxed
// (Limits.Timeout), its call stack is bounded (Limits.MaxStack), and its
// console output is captured and capped. The runtime has no require, no
// timers, no network and no file system: a script sees only the JSON data
// it is called with, and answers with a JSON value.
//
// Memory is not accounted per call: the built-ins that allocate in one
// step (String.prototype.repeat, padStart, padEnd, the Array constructor,
// Array.from, Array.prototype.fill) refuse sizes beyond MaxAlloc, and the
// time limit bounds the rest.
package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/hookd/hookd"
)

// Limits bound one call. The zero value means the defaults.
type Limits struct {
	// Timeout is the wall time of one call; default DefaultTimeout, at
	// most MaxTimeout.
	Timeout time.Duration
	// MaxStack is the call-stack depth; default DefaultMaxStack.
	MaxStack int
	// MaxLogBytes is the console output kept per call; default
	// DefaultMaxLogBytes.
	MaxLogBytes int
}

// Defaults and bounds of Limits, and of the code itself.
const (
	DefaultTimeout     = 100 * time.Millisecond
	MaxTimeout         = 5 * time.Second
	DefaultMaxStack    = 200
	DefaultMaxLogBytes = 4 << 10
	// MaxCodeSize is the largest program accepted, in bytes.
	MaxCodeSize = 64 << 10
	// MaxAlloc is the largest string (in characters) or array (in
	// elements) a single built-in call may create.
	MaxAlloc = 1 << 22
)

// withDefaults fills the zero fields and clamps the timeout.
func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	l.Timeout = min(l.Timeout, MaxTimeout)
	if l.MaxStack <= 0 {
		l.MaxStack = DefaultMaxStack
	}
	if l.MaxLogBytes <= 0 {
		l.MaxLogBytes = DefaultMaxLogBytes
	}
	return l
}

// Program is a compiled script. It is safe for concurrent use: each call
// takes a runtime of its own from the pool. Runtimes are reused between
// calls of one Program, so globals a script sets may survive into a later
// call of the same Program (never into another Program).
type Program struct {
	entry   string
	prelude *goja.Program
	code    *goja.Program
	lim     Limits
	pool    sync.Pool // of *runtime
}

// Result is what one call produced. Call returns it even with an error.
type Result struct {
	// Value is JSON.stringify of the returned value; nil when the script
	// returned undefined (or a value JSON cannot represent, such as a
	// function).
	Value json.RawMessage
	// Logs are the console lines of the call, capped at MaxLogBytes.
	Logs string
	// Duration is the wall time of the call.
	Duration time.Duration
}

// Compile checks the code (size, syntax, that it defines a function named
// entry, that its top level finishes within the time limit) and returns a
// Program. A bad program is a *hookd.Error with code EINVALID whose
// message says what and where.
func Compile(code, entry string, lim Limits) (*Program, error) {
	if len(code) > MaxCodeSize {
		return nil, hookd.Errorf(hookd.EINVALID, "the script is %d bytes, more than %d", len(code), MaxCodeSize)
	}
	if strings.TrimSpace(code) == "" {
		return nil, hookd.Errorf(hookd.EINVALID, "the script is empty: it must define function %s", entry)
	}
	ast, err := parser.ParseFile(nil, "script", code, 0)
	if err != nil {
		return nil, hookd.Errorf(hookd.EINVALID, "%s", syntaxMessage(err))
	}
	prg, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, hookd.Errorf(hookd.EINVALID, "%s", syntaxMessage(err))
	}
	pre, err := goja.Compile("prelude", fmt.Sprintf(preludeSource, MaxAlloc), true)
	if err != nil {
		return nil, fmt.Errorf("script prelude: %w", err)
	}
	p := &Program{entry: entry, prelude: pre, code: prg, lim: lim.withDefaults()}
	rt, err := p.newRuntime()
	if err != nil {
		return nil, err
	}
	p.pool.Put(rt)
	return p, nil
}

// syntaxMessage turns a compiler error into "line 3:7 SyntaxError: …".
func syntaxMessage(err error) string {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		pos := list[0].Position
		return fmt.Sprintf("line %d:%d SyntaxError: %s", pos.Line, pos.Column, list[0].Message)
	}
	var pe *parser.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d:%d SyntaxError: %s", pe.Position.Line, pe.Position.Column, pe.Message)
	}
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) && se.File != nil {
		pos := se.File.Position(se.Offset)
		return fmt.Sprintf("line %d:%d SyntaxError: %s", pos.Line, pos.Column, se.Message)
	}
	return "SyntaxError: " + strings.TrimPrefix(err.Error(), "SyntaxError: ")
}

// Call runs entry(arg) in a pooled runtime. arg is any value encoding/json
// can marshal (json.RawMessage fields pass through as they are); the
// script sees it as plain JSON data. ctx ending interrupts the script.
// Errors: ErrTimeout, *HTTPError, *Exception, or an error marshalling arg.
func (p *Program) Call(ctx context.Context, arg any) (*Result, error) {
	res := &Result{}
	in, err := json.Marshal(arg)
	if err != nil {
		return res, fmt.Errorf("script argument: %w", err)
	}
	rt, _ := p.pool.Get().(*runtime)
	if rt == nil {
		if rt, err = p.newRuntime(); err != nil {
			return res, err
		}
	}
	start := time.Now()
	out, err := rt.call(ctx, p.lim.Timeout, in)
	res.Duration = time.Since(start)
	res.Value = out
	res.Logs = rt.logs.take()
	if err == nil || !rt.tainted {
		p.pool.Put(rt)
	}
	return res, err
}
