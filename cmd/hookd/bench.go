package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/secrets"
)

// benchOptions are the flags of "hookd bench".
type benchOptions struct {
	duration     time.Duration
	endpoints    int
	concurrency  int
	rate         int
	db           string
	payloadBytes int
	nodes        int
	cpuProfile   string
	memProfile   string
	inbound      bool
	script       bool
	secretsKey   string  // master key of a PostgreSQL --db; "" for a new random one
	template     bool    // endpoints render the Chalk template
	transform    bool    // endpoints also run a transform on it
	fanout       int     // --fanout: endpoints of one event, published once a second
	slow         float64 // --slow: fraction of the 50 endpoints that answer late
	backlog      int     // --backlog: events piled up for an endpoint that is down
	batch        int     // events per publish request (1: the single route)
	// slowDelay is how late slow endpoints answer (default 10s); tests
	// shorten it.
	slowDelay time.Duration
}

func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure hookd end to end: publish over HTTP, store durably, deliver to a loopback receiver",
		Long: `bench runs the real server, store, engine and sender in this process against
a receiver on loopback, with publishers using the REST API (one event per
request, or --batch N events per request through the batch route). Before
the run it measures the loopback ceiling: a bare Go client and server
exchanging the same request. Its last line is
  rate=<events/s> p50=<ms> p99=<ms> loopback=<req/s> ratio=<rate/(loopback/2)> rss_peak_mb=… cpu_ms_per_event=… …
where latency runs from the start of the publish request to arrival at the
receiver, rss_peak_mb is the process's peak resident memory during the run
and cpu_ms_per_event its CPU time over the events delivered; scenarios
(--fanout, --slow, --backlog) and PostgreSQL runs append figures of their
own as name=value. With no --db it uses SQLite in a temporary directory.
docs/performance.md explains every figure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return &usageError{err}
			}
			return runBench(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to publish")
	f.IntVar(&o.endpoints, "endpoints", 1, "endpoints every event fans out to")
	f.IntVar(&o.concurrency, "concurrency", 64, "concurrent publishers")
	f.IntVar(&o.rate, "rate", 0, "fixed arrival rate in events/s (0: as fast as possible)")
	f.StringVar(&o.db, "db", "", "store (default: SQLite in a temporary directory)")
	f.IntVar(&o.payloadBytes, "payload-bytes", 250, "size of each event's data")
	f.IntVar(&o.nodes, "nodes", 1, "hookd nodes in this process (PostgreSQL only)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the publishing phase (of the whole scenario with --fanout, --slow, --backlog) to this file")
	f.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file at the end of the run (of the accumulation with --backlog)")
	f.StringVar(&o.secretsKey, "secrets-key", "", "master key (base64 of 32 bytes) of a PostgreSQL --db that hookd used before (default: a new random key)")
	f.BoolVar(&o.inbound, "inbound", false, "measure receiving instead: HMAC-verified, schema-validated requests to a source, stored and answered")
	f.BoolVar(&o.script, "script", false, "with --inbound: verify with a script authenticator (JavaScript) instead of HMAC")
	f.BoolVar(&o.template, "template", false, "endpoints send a payload template (Chalk's format) instead of the envelope")
	f.BoolVar(&o.transform, "transform", false, "endpoints run a JavaScript transform (Chalk's format into FireHydrant's); implies --template")
	f.IntVar(&o.batch, "batch", 1, "events per publish request: above 1, publishers use the batch route (at most 1000)")
	f.IntVar(&o.fanout, "fanout", 0, "measure fan-out instead: one event a second to this many endpoints; reports the time to the last arrival")
	f.Float64Var(&o.slow, "slow", 0, "measure isolation instead: this fraction of 50 endpoints answers 10 s late; reports the healthy endpoints' rate against a phase without them")
	f.IntVar(&o.backlog, "backlog", 0, "measure a backlog instead: this many events for an endpoint that is down, then the drain once it is up")
	return cmd
}

func (o benchOptions) validate() error {
	switch {
	case o.duration <= 0 || o.duration > time.Hour:
		return errors.New("--duration must be between 0 and 1h")
	case o.endpoints < 1 || o.endpoints > 10000:
		return errors.New("--endpoints must be between 1 and 10000")
	case o.concurrency < 1 || o.concurrency > 10000:
		return errors.New("--concurrency must be between 1 and 10000")
	case o.rate < 0:
		return errors.New("--rate must not be negative")
	case o.payloadBytes < 32 || o.payloadBytes > 1<<20:
		return errors.New("--payload-bytes must be between 32 and 1048576")
	case o.nodes < 1 || o.nodes > 16:
		return errors.New("--nodes must be between 1 and 16")
	case o.script && !o.inbound:
		return errors.New("--script goes with --inbound")
	case o.batch < 1 || o.batch > hookd.MaxPublishBatch:
		return fmt.Errorf("--batch must be between 1 and %d", hookd.MaxPublishBatch)
	case o.rate > 0 && o.rate < o.batch:
		return errors.New("--rate counts events: with --batch, give at least one batch a second")
	case o.batch > 1 && o.inbound:
		return errors.New("--batch goes with publishing, not --inbound")
	case o.nodes > 1 && !o.onPostgres():
		return errors.New("--nodes above 1 needs a PostgreSQL --db: a SQLite file serves one node")
	}
	return o.validateScenario()
}

// validateScenario checks --fanout, --slow and --backlog: each is a run of
// its own, on one node.
func (o benchOptions) validateScenario() error {
	n := 0
	for _, on := range []bool{o.inbound, o.fanout != 0, o.slow != 0, o.backlog != 0} {
		if on {
			n++
		}
	}
	switch {
	case n > 1:
		return errors.New("--inbound, --fanout, --slow and --backlog are separate runs: give one")
	case o.fanout < 0 || o.fanout > 10000:
		return errors.New("--fanout must be between 1 and 10000")
	case o.slow < 0 || o.slow >= 1:
		return errors.New("--slow must be a fraction above 0 and below 1")
	case o.slow > 0 && int(o.slow*benchSlowEndpoints) < 1:
		return fmt.Errorf("--slow must make at least one of the %d endpoints slow (at least %.2f)", benchSlowEndpoints, 1.0/benchSlowEndpoints)
	case o.backlog < 0 || o.backlog > 100_000_000:
		return errors.New("--backlog must be between 1 and 100000000")
	case n == 1 && !o.inbound && o.nodes > 1:
		return errors.New("--fanout, --slow and --backlog run one node")
	case n == 1 && !o.inbound && (o.template || o.transform):
		return errors.New("--template and --transform go with the standard run")
	case n == 1 && !o.inbound && o.batch > 1:
		return errors.New("--batch goes with the standard run: --fanout, --slow and --backlog publish their own way")
	case n == 1 && !o.inbound && o.endpoints != 1:
		return errors.New("--endpoints goes with the standard run: --fanout, --slow and --backlog choose their own")
	}
	return nil
}

// onPostgres reports whether --db names a PostgreSQL database.
func (o benchOptions) onPostgres() bool {
	driver, _, err := (&config.Config{Database: o.db}).DB()
	return err == nil && driver == config.DriverPostgres
}

// runBench runs the benchmark and prints its report.
func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "hookd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(stdout, "measuring the loopback ceiling (%d clients, %d-byte bodies)…\n", o.concurrency, o.payloadBytes)
	loopback, err := measureLoopback(ctx, o, min(o.duration, 5*time.Second))
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	rc, err := startBenchReceiver()
	if err != nil {
		return err
	}
	defer rc.close()
	key := randomKey()
	nodes, err := startBenchNodes(ctx, o, dir, key, stderr)
	if err != nil {
		return err
	}
	defer nodes.stop()
	pinning(o.nodes, stdout)
	if o.fanout > 0 || o.slow > 0 || o.backlog > 0 {
		return runScenario(ctx, o, nodes, key, rc, loopback, stdout, stderr)
	}
	bases := nodes.bases
	if o.inbound {
		err = createBenchSource(ctx, bases[0], key, o.script)
	} else {
		err = createBenchEndpoints(ctx, bases[0], key, rc.url, o)
	}
	if err != nil {
		return err
	}
	if err := nodes.ready(ctx, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "publishing for %v: %d publishers, %d endpoint(s), %d node(s), rate %s\n",
		o.duration, o.concurrency, o.endpoints, o.nodes, rateText(o.rate))
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	pg := nodes.pgBefore(ctx)
	res := runLoad(ctx, o, bases, key, rc)
	stopProfile()
	events := res.accepted
	if !o.inbound {
		events = res.delivered / int64(o.endpoints)
	}
	nodes.pgAfter(ctx, pg, events, &res.extra)
	res.loopback = loopback
	res.writer = writerStats(bases[0])
	writeHeapProfile(o.memProfile, stderr)
	res.report(stdout, o)
	return nil
}

// runScenario runs --fanout, --slow or --backlog, with a CPU profile of
// the whole scenario when one is asked for.
func runScenario(ctx context.Context, o benchOptions, nodes *benchNodes, key string, rc *benchReceiver, loopback float64, stdout, stderr io.Writer) error {
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if o.backlog > 0 {
		return runBacklog(ctx, o, nodes, key, rc, loopback, stdout, stderr)
	}
	defer writeHeapProfile(o.memProfile, stderr)
	switch {
	case o.fanout > 0:
		return runFanout(ctx, o, nodes, key, rc, loopback, stdout)
	case o.slow > 0:
		return runSlow(ctx, o, nodes, key, rc, loopback, stdout)
	}
	return nil
}

// writeHeapProfile writes a heap profile to path, if one is asked for.
func writeHeapProfile(path string, stderr io.Writer) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		runtime.GC() // the profile shows live memory as of now
		err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
	}
	if err != nil {
		fmt.Fprintf(stderr, "heap profile: %v\n", err)
	}
}

// startCPUProfile starts a CPU profile into path, if one is asked for.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func rateText(r int) string {
	if r == 0 {
		return "unbounded"
	}
	return fmt.Sprintf("%d/s", r)
}

// benchNodes are the nodes of a run, each serving on 127.0.0.1.
type benchNodes struct {
	db      string // the store they share
	bases   []string
	nodes   []*node
	engines []*delivery.Engine
	stops   []func()
}

// stop stops the nodes, the last started first.
func (ns *benchNodes) stop() {
	for i := len(ns.stops) - 1; i >= 0; i-- {
		ns.stops[i]()
	}
}

// ready makes every node route to the endpoints just created from the
// first event on, rather than from its next look at the store, and waits
// until every node sends (a node joining others waits until they have
// counted it).
func (ns *benchNodes) ready(ctx context.Context, stdout io.Writer) error {
	ns.invalidate()
	return ns.waitJoined(ctx, stdout)
}

// invalidate makes every node reload its routes.
func (ns *benchNodes) invalidate() {
	for _, e := range ns.engines {
		e.Invalidate()
	}
}

// waitJoined waits until every node sends.
func (ns *benchNodes) waitJoined(ctx context.Context, stdout io.Writer) error {
	if len(ns.engines) > 1 {
		fmt.Fprintf(stdout, "waiting for the %d nodes to count each other…\n", len(ns.engines))
	}
	for _, e := range ns.engines {
		select {
		case <-e.Joined():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// startBenchNodes starts the nodes.
func startBenchNodes(ctx context.Context, o benchOptions, dir, key string, stderr io.Writer) (*benchNodes, error) {
	db := o.db
	if db == "" {
		db = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	if o.secretsKey == "" && o.onPostgres() {
		k, err := secrets.GenerateKey()
		if err != nil {
			return nil, err
		}
		o.secretsKey = k.String()
	}
	ns := &benchNodes{db: db}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i := range o.nodes {
		cfg := benchConfig(db, key, i)
		cfg.Secrets.Key = o.secretsKey
		n, base, stop, err := startBenchNode(ctx, cfg, logger, stderr)
		if err != nil {
			ns.stop()
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		ns.bases, ns.engines, ns.stops = append(ns.bases, base), append(ns.engines, n.engine), append(ns.stops, stop)
		ns.nodes = append(ns.nodes, n)
	}
	return ns, nil
}

func benchConfig(db, key string, i int) *config.Config {
	cfg := config.Default()
	cfg.Database = db
	cfg.APIKey = key
	cfg.NodeID = fmt.Sprintf("bench-%d", i+1)
	cfg.SSRF.Allow = []string{"127.0.0.0/8"}
	cfg.Server.MaxInflight = 1 << 16
	return cfg
}

func startBenchNode(ctx context.Context, cfg *config.Config, logger *slog.Logger, stderr io.Writer) (*node, string, func(), error) {
	n, err := startNode(ctx, cfg, logger, stderr)
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.close(ctx)
		return nil, "", nil, err
	}
	srv := newHTTPServer(cfg.Server, n.handler, logger)
	go srv.Serve(ln)
	return n, "http://" + ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = n.close(sctx)
	}, nil
}

// createBenchEndpoints creates the run's o.endpoints endpoints of the
// default tenant, each at its own path of the receiver.
// The shapes of the bench's endpoints with --template and --transform:
// Chalk's wire format, and a transform into FireHydrant's that keeps the
// publisher's send time ("t") first, for the latency.
const (
	benchTemplate = `{"environment_id":"{{tenant.id}}","webhook_id":"{{endpoint.id}}","subscription":"{{event.type}}",` +
		`"payload":"{{event.data}}","event_timestamp":"{{event.created_at}}","idempotency_key":"{{event.id}}"}`
	benchTransform = `function handler(w) {
  const chalk = w.payload;
  const annotations = {};
  for (const [key, value] of Object.entries(chalk.payload)) {
    annotations[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  w.payload = { t: chalk.payload.t, summary: chalk.subscription + " in " + chalk.environment_id, annotations: annotations };
  return w;
}`
)

func createBenchEndpoints(ctx context.Context, base, key, url string, o benchOptions) error {
	in := httpapi.EndpointInput{MaxConcurrency: 64}
	if o.template || o.transform {
		if err := json.Unmarshal([]byte(`{"template":`+benchTemplate+`}`), &in.Payload); err != nil {
			return err
		}
	}
	if o.transform {
		in.Transform = benchTransform
	}
	_, err := createEndpoints(ctx, base, key, o.endpoints, func(i int) httpapi.EndpointInput {
		ep := in
		ep.URL = fmt.Sprintf("%s/ep/%d", url, i)
		return ep
	})
	return err
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "hk_bench_" + hex.EncodeToString(b)
}

// The inbound benchmark's source: generic HMAC verification (or, with
// --script, a script authenticator that checks a key header and reads the
// parsed body) and a body schema, no destinations.
const (
	benchSource          = "bench"
	benchSecret          = "bench-secret"
	benchSignatureHeader = "X-Signature"
	benchKeyHeader       = "X-Api-Key"
	benchScript          = `function authenticate(r) {
	if (r.headers["x-api-key"] !== "` + benchSecret + `" || typeof r.json.t !== "number") return false;
	return {user: {client: "bench"}};
}`
)

func createBenchSource(ctx context.Context, base, key string, script bool) error {
	verify := map[string]any{"hmac": map[string]any{
		"header": benchSignatureHeader, "algorithm": "sha256", "encoding": "hex", "prefix": "sha256=", "secret": benchSecret,
	}}
	if script {
		verify = map[string]any{"script": benchScript, "timeout": "1s"}
	}
	spec := map[string]any{
		"id":     benchSource,
		"verify": []any{verify},
		"schema": map[string]any{"body": map[string]any{
			"type": "object", "required": []string{"t", "pad"},
			"properties": map[string]any{"t": map[string]any{"type": "integer"}, "pad": map[string]any{"type": "string"}},
		}},
	}
	body, _ := json.Marshal(spec)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/sources", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create source: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("create source: %s: %s", resp.Status, msg)
	}
	return nil
}
