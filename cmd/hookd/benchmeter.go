package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// figures are the name=value pairs a scenario appends to the summary line,
// in the order they were added.
type figures struct {
	names  []string
	values []string
}

// add appends name=value, the value formatted with format (a fmt verb such
// as "%.2f" or "%d").
func (f *figures) add(name, format string, v any) {
	f.names = append(f.names, name)
	f.values = append(f.values, fmt.Sprintf(format, v))
}

// String returns the pairs separated by spaces, each as name=value.
func (f *figures) String() string {
	var b strings.Builder
	for i, n := range f.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(f.values[i])
	}
	return b.String()
}

// summaryLine is the last line of every run: the five standard figures,
// then the process's figures and the scenario's.
func summaryLine(rate, p50, p99, loopback, ratio float64, extra *figures) string {
	s := fmt.Sprintf("rate=%.0f p50=%.2f p99=%.2f loopback=%.0f ratio=%.2f", rate, p50, p99, loopback, ratio)
	if extra != nil && len(extra.names) > 0 {
		s += " " + extra.String()
	}
	return s
}

// meter measures the process while a run's window is open: its peak
// resident memory, sampled every 100 ms (and the kernel's own high-water
// mark, VmHWM, when it could be reset at the start), and the CPU time it
// used, user and system, from getrusage. The bench runs hookd, the
// publishers and the receiver in one process, so both figures cover all
// three.
type meter struct {
	cpu0 time.Duration
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	hwm  bool  // VmHWM was reset at the start: it is this window's peak
	peak int64 // bytes
}

// startMeter opens a window.
func startMeter() *meter {
	m := &meter{stop: make(chan struct{}), done: make(chan struct{}), cpu0: cpuTime()}
	// Writing 5 to clear_refs resets the peak RSS the kernel keeps.
	m.hwm = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.sample()
	go m.run()
	return m
}

func (m *meter) run() {
	defer close(m.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			m.sample()
			return
		case <-t.C:
			m.sample()
		}
	}
}

func (m *meter) sample() {
	rss, hwm := procMemory()
	m.mu.Lock()
	if m.hwm && hwm > rss {
		rss = hwm
	}
	m.peak = max(m.peak, rss)
	m.mu.Unlock()
}

// peakMB returns the peak RSS so far, in MiB.
func (m *meter) peakMB() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(m.peak) / (1 << 20)
}

// resetPeak starts a new peak (for a scenario with phases); the window's
// CPU time is not reset.
func (m *meter) resetPeak() {
	m.mu.Lock()
	if m.hwm {
		m.hwm = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	}
	m.peak = 0
	m.mu.Unlock()
	m.sample()
}

// end closes the window and returns its peak RSS in MiB and the CPU time
// used in it.
func (m *meter) end() (peakMB float64, cpu time.Duration) {
	cpu = cpuTime() - m.cpu0
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
	return m.peakMB(), cpu
}

// procFigures adds the figures every run reports: rss_peak_mb and
// cpu_ms_per_event (CPU time of the window over the events delivered, or
// requests stored with --inbound).
func procFigures(f *figures, peakMB float64, cpu time.Duration, events int64) {
	f.add("rss_peak_mb", "%.0f", peakMB)
	perEvent := 0.0
	if events > 0 {
		perEvent = float64(cpu) / float64(time.Millisecond) / float64(events)
	}
	f.add("cpu_ms_per_event", "%.3f", perEvent)
}

// procMemory returns VmRSS and VmHWM of this process in bytes (0 when
// unknown, as off Linux).
func procMemory() (rss, hwm int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = kB(v)
		} else if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = kB(v)
		}
	}
	return rss, hwm
}

// kB parses a /proc/self/status size such as "  122104 kB" into bytes.
func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n << 10
}
