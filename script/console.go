package script

import (
	"strings"

	"github.com/dop251/goja"
)

// logBuffer keeps a call's console output, up to max bytes.
type logBuffer struct {
	max       int
	b         strings.Builder
	truncated bool
}

const truncatedMark = "… (console output truncated)\n"

// add appends one line, or marks the output truncated once it is full.
func (l *logBuffer) add(line string) {
	if l.truncated {
		return
	}
	if l.b.Len()+len(line)+1 > l.max {
		l.truncated = true
		l.b.WriteString(truncatedMark)
		return
	}
	l.b.WriteString(line)
	l.b.WriteByte('\n')
}

// take returns the output and empties the buffer for the next call.
func (l *logBuffer) take() string {
	s := l.b.String()
	l.b.Reset()
	l.truncated = false
	return s
}

// console is the script's console object: log, info, warn, error and
// debug append a line to the call's logs, prefixed by the level for all
// but log.
func (rt *runtime) console() *goja.Object {
	c := rt.vm.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		prefix := ""
		if level != "log" {
			prefix = level + ": "
		}
		_ = c.Set(level, func(call goja.FunctionCall) goja.Value {
			rt.logs.add(prefix + rt.format(call.Arguments))
			return goja.Undefined()
		})
	}
	return c
}

// format joins console arguments as browsers do, roughly: strings as they
// are, other values as JSON where JSON can say them.
func (rt *runtime) format(args []goja.Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = rt.show(a)
	}
	return strings.Join(parts, " ")
}

func (rt *runtime) show(v goja.Value) string {
	obj, ok := v.(*goja.Object)
	if !ok || obj.ClassName() == "Error" {
		return v.String()
	}
	if _, ok := goja.AssertFunction(v); ok {
		return "[function]"
	}
	out, err := rt.stringify(goja.Undefined(), v)
	if err != nil || goja.IsUndefined(out) {
		return v.String()
	}
	return out.String()
}
