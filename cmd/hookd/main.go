// Command hookd is the hookd webhook platform: "hookd serve" runs the
// server, "hookd version" prints the version.
//
// The command tree is built by newRootCmd from its inputs (arguments,
// environment, output streams) and holds no global state, so tests run it
// in-process; the process-wide parts (signals, os.Exit) stay in main.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the first signal starts a graceful shutdown; a second one kills
	}()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad flags or arguments
)

// run runs the command line args and returns the exit code. env is the
// environment (os.Environ()); ctx ends when the process is told to stop.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd(env, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "hookd: %v\n", err)
	if errors.As(err, new(*usageError)) {
		return exitUsage
	}
	return exitError
}

// usageError is a mistake in the command line rather than a failure.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
