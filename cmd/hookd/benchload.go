package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookd/hookd/signature"
)

// benchReceiver is the loopback receiver of hookd bench. Every event's data
// carries the time its publish started, so the receiver measures the whole
// path. The scenarios add their own bookkeeping (benchscenario.go).
type benchReceiver struct {
	url      string
	srv      *http.Server
	received atomic.Int64
	mu       sync.Mutex
	lat      []time.Duration
	last     atomic.Int64 // unix ns of the latest arrival
	scenarioState
}

func startBenchReceiver() (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &benchReceiver{url: "http://" + ln.Addr().String(), lat: make([]time.Duration, 0, 1<<20)}
	rc.release = make(chan struct{})
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (rc *benchReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, slowPath) {
		rc.serveSlow(w, r)
		return
	}
	if rc.down.Load() {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, _ = buf.ReadFrom(r.Body)
	now := time.Now()
	if t, ok := sentAt(buf.Bytes()); ok {
		rc.mu.Lock()
		rc.lat = append(rc.lat, now.Sub(t))
		rc.arrive(t, now)
		rc.mu.Unlock()
	}
	rc.count(r.URL.Path, buf.Bytes(), now)
	bufPool.Put(buf)
	rc.last.Store(now.UnixNano())
	rc.received.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// sentAt finds "t":<unix ns> in a delivered body.
func sentAt(b []byte) (time.Time, bool) {
	ns, ok := intField(b, `"t":`)
	return time.Unix(0, ns), ok
}

// intField finds key (such as `"t":`) in b and parses the integer after it.
func intField(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	j := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(b[:j]), 10, 64)
	return n, err == nil
}

func (rc *benchReceiver) close() {
	rc.releaseSlow()
	_ = rc.srv.Close()
}

// loadResult is what a run measured.
type loadResult struct {
	accepted, refused, failed int64
	delivered                 int64
	elapsed                   time.Duration
	latencies                 []time.Duration
	loopback                  float64
	complete                  bool
	writer                    string
	mu                        sync.Mutex
	publishLat                []time.Duration // time to the 202
	cores                     float64         // CPU used by the process, in cores
	peakMB                    float64         // peak RSS of the process in the window
	cpu                       time.Duration   // CPU time of the process in the window
	extra                     figures         // figures appended after the process's
}

// runLoad publishes for o.duration, then waits for the deliveries of every
// accepted event (at most a minute) and measures.
func runLoad(ctx context.Context, o benchOptions, bases []string, key string, rc *benchReceiver) *loadResult {
	res := &loadResult{}
	rate := 0
	if o.rate > 0 { // a token per request: with --batch, rate/batch requests a second
		rate = max(o.rate/max(o.batch, 1), 1)
	}
	start := time.Now()
	cpu0 := cpuTime()
	m := startMeter()
	publishFor(ctx, o, rate, res, func(i int, client *http.Client) *publisher {
		p := &publisher{client: client, url: bases[i%len(bases)] + "/v1/tenants/default/events", key: key, pad: o.payloadBytes, batch: 1}
		if o.batch > 1 {
			p.url, p.batch = p.url+"/batch", o.batch
		}
		if o.inbound {
			p.url, p.hmacKey = bases[i%len(bases)]+"/in/"+benchSource, []byte(benchSecret)
		}
		return p
	})
	res.cores = (cpuTime() - cpu0).Seconds() / time.Since(start).Seconds()
	if o.inbound { // answered means stored: the run ends with the last answer
		res.peakMB, res.cpu = m.end()
		res.elapsed = time.Since(start)
		res.latencies = res.publishLat
		res.complete = true
		return res
	}
	want := res.accepted * int64(o.endpoints)
	deadline := time.Now().Add(time.Minute)
	for rc.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	res.peakMB, res.cpu = m.end()
	res.delivered = rc.received.Load()
	res.complete = res.delivered >= want
	res.elapsed = time.Unix(0, rc.last.Load()).Sub(start)
	rc.mu.Lock()
	res.latencies = slices.Clone(rc.lat)
	rc.mu.Unlock()
	return res
}

// publishFor runs o.concurrency publishers, made by newPublisher, for
// o.duration: as fast as they can, or rate requests a second in all when
// rate > 0. What they did adds up in res.
func publishFor(ctx context.Context, o benchOptions, rate int, res *loadResult, newPublisher func(i int, client *http.Client) *publisher) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxIdleConns: o.concurrency * 2}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	tokens := make(chan struct{}, o.concurrency*4)
	if rate > 0 {
		go pace(ctx, rate, tokens)
	}
	var wg sync.WaitGroup
	for i := range o.concurrency {
		wg.Go(func() {
			p := newPublisher(i, client)
			p.run(ctx, rate > 0, tokens, res)
			res.mu.Lock()
			res.publishLat = append(res.publishLat, p.lat...)
			res.mu.Unlock()
		})
	}
	wg.Wait()
}

// pace sends rate tokens a second, in 1 ms slices, until ctx ends.
func pace(ctx context.Context, rate int, tokens chan<- struct{}) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	start := time.Now()
	sent := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due := int(now.Sub(start).Seconds() * float64(rate))
			for ; sent < due; sent++ {
				select {
				case tokens <- struct{}{}:
				default: // publishers are behind: the token is lost, and shows as a lower rate
				}
			}
		}
	}
}

// publisher sends one event per request, or batch events through the
// batch route.
type publisher struct {
	client  *http.Client
	url     string
	key     string
	pad     int
	batch   int // events per request; above 1, the batch route
	body    []byte
	lat     []time.Duration
	hmacKey []byte // inbound mode: sign with this key
	typ     string // event type; "" for bench.event
}

func (p *publisher) run(ctx context.Context, paced bool, tokens <-chan struct{}, res *loadResult) {
	for ctx.Err() == nil {
		if paced {
			select {
			case <-ctx.Done():
				return
			case <-tokens:
			}
		}
		start := time.Now()
		switch status := p.publish(); {
		case status == http.StatusAccepted || (p.hmacKey != nil && status == http.StatusOK):
			p.lat = append(p.lat, time.Since(start))
			atomic.AddInt64(&res.accepted, int64(max(p.batch, 1)))
		case status == http.StatusServiceUnavailable:
			atomic.AddInt64(&res.refused, 1)
		default:
			atomic.AddInt64(&res.failed, 1)
		}
	}
}

// publish sends one event whose data carries the time of sending, padded
// to the payload size; in inbound mode, the data alone, signed as a
// provider would.
func (p *publisher) publish() int {
	b := p.body[:0]
	sent := time.Now().UnixNano() // every event of a batch: the start of its request
	if p.batch > 1 {
		b = append(b, `{"events":[`...)
	}
	for i := range max(p.batch, 1) {
		if i > 0 {
			b = append(b, ',')
		}
		b = p.appendEvent(b, sent)
	}
	if p.batch > 1 {
		b = append(b, `]}`...)
	}
	p.body = b
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(b))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if p.hmacKey != nil {
		req.Header.Set(benchSignatureHeader, signature.HMACSHA256Hex("sha256=", p.hmacKey, b))
		req.Header.Set(benchKeyHeader, benchSecret)
	} else {
		req.Header.Set("Authorization", "Bearer "+p.key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// appendEvent appends one publish body whose data carries sent, padded
// to the payload size; in inbound mode, the data alone.
func (p *publisher) appendEvent(b []byte, sent int64) []byte {
	if p.hmacKey == nil {
		typ := p.typ
		if typ == "" {
			typ = "bench.event"
		}
		b = append(b, `{"type":"`...)
		b = append(b, typ...)
		b = append(b, `","data":`...)
	}
	start := len(b)
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, sent, 10)
	b = append(b, `,"pad":"`...)
	for n := len(b) - start; n < p.pad-2; n++ {
		b = append(b, 'x')
	}
	b = append(b, `"}`...)
	if p.hmacKey == nil {
		b = append(b, '}')
	}
	return b
}

// measureLoopback runs a bare Go client and server exchanging requests of
// the publish size for d, and returns requests per second: the ceiling of
// one HTTP hop on this machine.
func measureLoopback(ctx context.Context, o benchOptions, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxIdleConns: o.concurrency * 2}}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &publisher{client: client, url: "http://" + ln.Addr().String() + "/", key: "k", pad: o.payloadBytes}
			for ctx.Err() == nil {
				if p.publish() == http.StatusAccepted {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// report prints the results; its last line is the summary.
func (r *loadResult) report(w io.Writer, o benchOptions) {
	if o.inbound {
		r.reportInbound(w)
		return
	}
	rate := 0.0
	if r.elapsed > 0 {
		rate = float64(r.delivered/int64(o.endpoints)) / r.elapsed.Seconds()
	}
	fmt.Fprintf(w, "published: %d accepted, %d refused (503), %d failed\n", r.accepted, r.refused, r.failed)
	fmt.Fprintf(w, "delivered: %d deliveries (%d expected) in %v, %.0f deliveries/s\n",
		r.delivered, r.accepted*int64(o.endpoints), r.elapsed.Round(time.Millisecond), float64(r.delivered)/r.elapsed.Seconds())
	if !r.complete {
		fmt.Fprintln(w, "warning: not every accepted event was delivered within a minute of the end")
	}
	fmt.Fprintf(w, "publish (to the 202): p50=%.2f ms p99=%.2f ms\n", percentile(r.publishLat, 0.5), percentile(r.publishLat, 0.99))
	fmt.Fprintf(w, "memory: %s; cpu: %.2f cores\n", rssText(), r.cores)
	if r.writer != "" {
		fmt.Fprintf(w, "group commit (node 1): %s\n", r.writer)
	}
	p50, p99 := percentile(r.latencies, 0.50), percentile(r.latencies, 0.99)
	ratio := 0.0
	if r.loopback > 0 {
		ratio = rate / (r.loopback / 2)
	}
	fmt.Fprintln(w, summaryLine(rate, p50, p99, r.loopback, ratio, r.figures(r.delivered/int64(o.endpoints))))
}

// figures returns the process's figures over events, then the extra ones.
func (r *loadResult) figures(events int64) *figures {
	f := &figures{}
	procFigures(f, r.peakMB, r.cpu, events)
	f.names = append(f.names, r.extra.names...)
	f.values = append(f.values, r.extra.values...)
	return f
}

// percentile returns the q-quantile of ds in milliseconds.
func percentile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := min(len(ds)-1, int(float64(len(ds))*q))
	return float64(ds[i]) / float64(time.Millisecond)
}

// rssText reports the process's resident memory, now and at its peak.
func rssText() string {
	rss, hwm := procMemory()
	if rss == 0 {
		return "unknown"
	}
	return fmt.Sprintf("RSS %d kB (peak %d kB)", rss>>10, hwm>>10)
}

// writerStats reads a node's group-commit metrics: transactions, writes
// per transaction and time per transaction.
func writerStats(base string) string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if ok && (strings.HasPrefix(name, "hookd_writer_") || strings.HasPrefix(name, "hookd_attempts_total")) {
			v[name], _ = strconv.ParseFloat(val, 64)
		}
	}
	n := v["hookd_writer_batch_size_count"]
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f transactions, %.1f writes and %.2f ms each on average; attempts: %.0f succeeded, %.0f failed",
		n, v["hookd_writer_batch_size_sum"]/n, 1000*v["hookd_writer_commit_seconds_sum"]/n,
		v[`hookd_attempts_total{outcome="succeeded"}`], v[`hookd_attempts_total{outcome="failed"}`])
}

// cpuTime returns the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportInbound prints the results of an inbound run: every request was
// verified, validated, stored durably and answered; latency runs to the
// answer and ratio is rate / loopback.
func (r *loadResult) reportInbound(w io.Writer) {
	rate := float64(r.accepted) / r.elapsed.Seconds()
	fmt.Fprintf(w, "received: %d stored and answered 200, %d refused (503), %d failed\n", r.accepted, r.refused, r.failed)
	fmt.Fprintf(w, "memory: %s; cpu: %.2f cores\n", rssText(), r.cores)
	if r.writer != "" {
		fmt.Fprintf(w, "group commit (node 1): %s\n", r.writer)
	}
	ratio := 0.0
	if r.loopback > 0 {
		ratio = rate / r.loopback
	}
	fmt.Fprintln(w, summaryLine(rate, percentile(r.latencies, 0.50), percentile(r.latencies, 0.99), r.loopback, ratio, r.figures(r.accepted)))
}
