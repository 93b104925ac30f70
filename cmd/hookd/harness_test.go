package main

// A harness that runs the real hookd binary: TestMain builds it once;
// startHookd runs it in a working directory and captures its stderr;
// waitListening reads the "listening" log line for the address; stop sends
// SIGTERM and kill SIGKILL. Crash tests use it to kill a server mid-load
// and start it again on the same directory.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hookdBin is the binary built by TestMain.
var hookdBin string

// Deadlines of the harness. Generous: the race detector and a loaded CI
// machine slow start-up down; none of them is waited for when all is well.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 60 * time.Second
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	hookdBin = filepath.Join(dir, "hookd")
	args := []string{"build", "-o", hookdBin}
	if raceEnabled {
		args = append(args, "-race") // the server runs under the detector as the tests do
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hookd:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// hookdProcess is a running hookd binary.
type hookdProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	Dir    string // working directory
	stderr *lineBuffer
	done   chan struct{} // closed when the process has exited
	state  *os.ProcessState
}

// startOptions says how to start hookd.
type startOptions struct {
	Dir  string   // working directory; "" means a new t.TempDir()
	Args []string // command line, such as "serve", "--addr", "127.0.0.1:0"
	// Env is added to the environment, which is the test's minus every
	// HOOKD_* variable (so that the caller's shell cannot change a test).
	Env []string
}

// startHookd starts the binary. The process is killed when the test ends
// if it is still running.
func startHookd(t testing.TB, o startOptions) *hookdProcess {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	p := &hookdProcess{t: t, Dir: o.Dir, stderr: newLineBuffer(), done: make(chan struct{})}
	p.cmd = exec.Command(hookdBin, o.Args...)
	p.cmd.Dir = o.Dir
	p.cmd.Env = append(testEnv(), o.Env...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start hookd: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("hookd %s output:\n%s", strings.Join(o.Args, " "), p.Output())
		}
	})
	return p
}

func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKD_") {
			env = append(env, kv)
		}
	}
	return env
}

var listeningAddr = regexp.MustCompile(`msg=listening addr=(\S+)`)

// waitListening waits for the "listening" log line and returns the address
// it names. It fails the test if the process exits first or startTimeout
// passes.
func (p *hookdProcess) waitListening() string {
	p.t.Helper()
	line, err := p.stderr.waitFor(listeningAddr, p.done, startTimeout)
	if err != nil {
		p.t.Fatalf("hookd did not start listening: %v\n%s", err, p.Output())
	}
	return listeningAddr.FindStringSubmatch(line)[1]
}

// waitLine waits for an output line matching re and returns it.
func (p *hookdProcess) waitLine(re *regexp.Regexp, timeout time.Duration) string {
	p.t.Helper()
	line, err := p.stderr.waitFor(re, p.done, timeout)
	if err != nil {
		p.t.Fatalf("waiting for %q: %v\n%s", re, err, p.Output())
	}
	return line
}

// stop sends SIGTERM and returns the exit code.
func (p *hookdProcess) stop() int {
	p.t.Helper()
	return p.signal(syscall.SIGTERM)
}

// kill sends SIGKILL and waits for the process to die.
func (p *hookdProcess) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
}

// signal sends sig and returns the exit code (-1 when killed by a signal).
func (p *hookdProcess) signal(sig os.Signal) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !p.exited() {
		p.t.Fatalf("signal hookd: %v", err)
	}
	return p.wait(stopTimeout)
}

// wait waits for the process to exit and returns its exit code (-1 when
// killed by a signal). It fails the test after timeout.
func (p *hookdProcess) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.state.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("hookd did not exit within %v\n%s", timeout, p.Output())
		return 0
	}
}

func (p *hookdProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process wrote so far, stdout and stderr.
func (p *hookdProcess) Output() string { return p.stderr.String() }

// serveHookd starts "hookd serve" on 127.0.0.1:0 with extra args and
// returns the process and its base URL ("http://127.0.0.1:NNNN").
func serveHookd(t testing.TB, o startOptions) (*hookdProcess, string) {
	t.Helper()
	o.Args = append([]string{"serve", "--addr", "127.0.0.1:0"}, o.Args...)
	p := startHookd(t, o)
	return p, "http://" + p.waitListening()
}

// httpGet fetches url with a deadline and returns the response and its
// body.
func httpGet(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, string(body)
}

// lineBuffer collects output and lets a reader wait for a line.
type lineBuffer struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{} // closed and replaced on every write
}

func newLineBuffer() *lineBuffer { return &lineBuffer{changed: make(chan struct{})} }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor returns the first complete line matching re. It gives up when
// exited is closed (after a last look) or after timeout.
func (b *lineBuffer) waitFor(re *regexp.Regexp, exited <-chan struct{}, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		text, changed := b.buf.String(), b.changed
		b.mu.Unlock()
		for _, line := range strings.SplitAfter(text, "\n") {
			if strings.HasSuffix(line, "\n") && re.MatchString(line) {
				return strings.TrimSuffix(line, "\n"), nil
			}
		}
		select {
		case <-changed:
		case <-exited:
			if b.String() == text {
				return "", fmt.Errorf("the process exited")
			}
		case <-deadline:
			return "", fmt.Errorf("timed out after %v", timeout)
		}
	}
}
