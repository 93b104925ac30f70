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

	"github.com/hookd/hookd"
)

// preludeSource runs in every runtime before the program: the HTTPError class,
// and caps on the built-ins that allocate in one step. Its names are
// ordinary globals a script may shadow; a script that removes a cap only
// loses its own protection against its own mistakes, within its time limit.
const preludeSource = `"use strict";
class HTTPError extends Error {
  constructor(status, body, headers) {
    super("HTTP " + status);
    this.name = "HTTPError";
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
(function (max) {
  function cap(n, what) {
    if (n > max) throw new RangeError(what + " larger than " + max + " is not allowed");
  }
  const repeat = String.prototype.repeat;
  String.prototype.repeat = function (count) {
    cap(String(this).length * Number(count), "String.prototype.repeat result");
    return repeat.call(this, count);
  };
  for (const name of ["padStart", "padEnd"]) {
    const pad = String.prototype[name];
    String.prototype[name] = function (len, fill) {
      cap(Number(len), "String.prototype." + name + " length");
      return pad.call(this, len, fill);
    };
  }
  const fill = Array.prototype.fill;
  Array.prototype.fill = function (...args) {
    cap(this.length, "Array.prototype.fill on an array");
    return fill.apply(this, args);
  };
  const from = Array.from;
  Array.from = function (items, ...rest) {
    if (items != null && typeof items === "object" && !(Symbol.iterator in items)) cap(Number(items.length), "Array.from length");
    return from.call(this, items, ...rest);
  };
  const NativeArray = Array;
  globalThis.Array = new Proxy(NativeArray, {
    apply(target, self, args) {
      if (args.length === 1 && typeof args[0] === "number") cap(args[0], "Array length");
      return Reflect.apply(target, self, args);
    },
    construct(target, args, newTarget) {
      if (args.length === 1 && typeof args[0] === "number") cap(args[0], "Array length");
      return Reflect.construct(target, args, newTarget);
    },
  });
})(%d);
`

// errStopped is the interrupt value of a call whose time ran out.
var errStopped = errors.New("time limit")

// runtime is one goja runtime with the program loaded. It is used by one
// call at a time.
type runtime struct {
	vm        *goja.Runtime
	fn        goja.Callable
	parse     goja.Callable
	stringify goja.Callable
	httpError *goja.Object
	logs      *logBuffer
	// tainted marks a runtime whose call was interrupted: its state may be
	// half-changed, so it is not reused.
	tainted bool
}

// newRuntime makes a runtime, runs the prelude and the program's top level
// (time-boxed), and finds the entry function.
func (p *Program) newRuntime() (*runtime, error) {
	vm := goja.New()
	vm.SetFieldNameMapper(goja.UncapFieldNameMapper())
	vm.SetMaxCallStackSize(p.lim.MaxStack)
	rt := &runtime{vm: vm, logs: &logBuffer{max: p.lim.MaxLogBytes}}
	if _, err := vm.RunProgram(p.prelude); err != nil {
		return nil, fmt.Errorf("script prelude: %w", err)
	}
	if err := vm.Set("console", rt.console()); err != nil {
		return nil, fmt.Errorf("script console: %w", err)
	}
	rt.httpError = vm.Get("HTTPError").ToObject(vm)
	json := vm.Get("JSON").ToObject(vm)
	rt.parse, _ = goja.AssertFunction(json.Get("parse"))
	rt.stringify, _ = goja.AssertFunction(json.Get("stringify"))
	stop := rt.arm(context.Background(), p.lim.Timeout)
	_, err := vm.RunProgram(p.code)
	stop()
	if err != nil {
		return nil, hookd.Errorf(hookd.EINVALID, "the script's top level failed: %s", describe(rt, err))
	}
	fn, ok := goja.AssertFunction(vm.Get(p.entry))
	if !ok {
		return nil, hookd.Errorf(hookd.EINVALID, "the script must define function %s", p.entry)
	}
	rt.fn = fn
	rt.logs.take()
	return rt, nil
}

// arm interrupts the runtime when timeout passes or ctx ends, until the
// returned stop is called. After stop returns, no interrupt is pending.
func (rt *runtime) arm(ctx context.Context, timeout time.Duration) (stop func()) {
	var mu sync.Mutex
	done := false
	interrupt := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			rt.vm.Interrupt(v)
		}
	}
	t := time.AfterFunc(timeout, func() { interrupt(errStopped) })
	unhook := context.AfterFunc(ctx, func() { interrupt(ctx.Err()) })
	return func() {
		t.Stop()
		unhook()
		mu.Lock()
		done = true
		mu.Unlock()
		rt.vm.ClearInterrupt()
	}
}

// call runs the entry function on the JSON argument and returns the JSON
// of its result.
func (rt *runtime) call(ctx context.Context, timeout time.Duration, in []byte) (json.RawMessage, error) {
	stop := rt.arm(ctx, timeout)
	defer stop()
	undef := goja.Undefined()
	arg, err := rt.parse(undef, rt.vm.ToValue(string(in)))
	if err != nil {
		return nil, rt.failure(err)
	}
	ret, err := rt.fn(undef, arg)
	if err != nil {
		return nil, rt.failure(err)
	}
	if goja.IsUndefined(ret) {
		return nil, nil
	}
	out, err := rt.stringify(undef, ret)
	if err != nil {
		if f := rt.failure(err); !errors.Is(f, ErrTimeout) {
			return nil, &Exception{Message: "the result cannot be encoded as JSON: " + f.Error()}
		}
		return nil, rt.failure(err)
	}
	if goja.IsUndefined(out) {
		return nil, nil
	}
	return json.RawMessage(out.String()), nil
}

// failure turns an error of the runtime into one of this package's.
func (rt *runtime) failure(err error) error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		rt.tainted = true
		if cause, ok := intr.Value().(error); ok && cause != errStopped {
			return fmt.Errorf("%w: %w", ErrTimeout, cause)
		}
		return ErrTimeout
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		if he := rt.httpErrorOf(ex.Value()); he != nil {
			return he
		}
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		rt.tainted = true
		return &Exception{Message: "RangeError: maximum call stack size exceeded"}
	}
	return &Exception{Message: describe(rt, err)}
}

// describe is the message of a script error, without Go's wrapping.
func describe(rt *runtime, err error) string {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		rt.tainted = true
		return "time limit exceeded"
	}
	return strings.TrimSpace(err.Error())
}
