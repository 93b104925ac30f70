package delivery

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
)

// Config configures an Engine. The zero value of each field means its
// documented default.
type Config struct {
	// NodeID names this node in leases. Default: a new random id, which is
	// right for a process that restarts with a new identity.
	NodeID string
	// Logger receives the engine's logs. Default: slog.Default().
	Logger *slog.Logger
	// Registry receives the engine's metrics. Default: none.
	Registry prometheus.Registerer
	// PerEndpointTop, when above 0, labels the attempt metrics by
	// endpoint (hookd_endpoint_*) for the PerEndpointTop endpoints with
	// the most attempts; the others count under endpoint="other". Needs
	// Registry. Default 0: no per-endpoint metrics.
	PerEndpointTop int
	// TracerProvider receives a span per publish (with the wait for its
	// commit) and per attempt; attempts continue the publish's trace and
	// pass it on in traceparent. Default: none, nothing is traced.
	TracerProvider trace.TracerProvider
	// Client sends attempts. Default: a client over egress.NewTransport with a
	// guard that blocks internal addresses, redirects not followed. Set it
	// only to another guarded client.
	Client *http.Client
	// PrivateClient sends attempts to targets with AllowPrivate (forward
	// destinations the operator configured). Default: like Client, with a
	// guard that allows every address.
	PrivateClient *http.Client
	// Guard checks endpoint URLs when they are created. Default: egress.NewGuard(nil).
	Guard *egress.Guard
	// ForwardsFunc resolves the id of a forward destination to the endpoint
	// deliveries to it use; nil when there is no such destination (its
	// deliveries then end as dead). Default: no forward destinations.
	ForwardsFunc func(id string) *hookd.Endpoint
	// CheckFunc validates published data against the catalog and gives the
	// delivery method of its type. Default: any JSON, POST.
	CheckFunc hookd.CheckFunc
	// Schedule is the delay before each retry. Default: DefaultSchedule().
	Schedule []time.Duration
	// Jitter spreads retries by ±this fraction. Default 0.2; negative: none.
	Jitter float64
	// Timeout of one attempt, when the endpoint sets none. Default 30s.
	Timeout time.Duration
	// Lease is how long a node holds a delivery before another may take it
	// over; renewed while the delivery is held. Default 30s.
	Lease time.Duration
	// Workers is the number of attempts in flight on this node. Default 256.
	Workers int
	// MaxConcurrency is an endpoint's attempts in flight when the endpoint
	// sets none. Default 16.
	MaxConcurrency int
	// DisableAfter disables an endpoint that has failed without a success
	// for this long. Default 120h (5 days).
	DisableAfter time.Duration
	// MaxHeld bounds the deliveries held in memory; beyond it new ones are
	// stored unleased and claimed later, as soon as half the room is free
	// again. Each costs about 1 KiB of heap with its event, so the default
	// keeps a backlog of any size within a few tens of MB. Default 20000.
	MaxHeld int
	// PollInterval is how often the claimer looks for due deliveries and
	// the router for changes made through other nodes. Default 1s.
	PollInterval time.Duration
	// ClaimBatch is the most deliveries one claim takes. Default 1000.
	ClaimBatch int
	// QueueSize bounds the writes waiting for the group commit. Default 8192.
	QueueSize int
	// QueueBytes bounds the payload bytes waiting for the group commit.
	// Default 64 MiB.
	QueueBytes int64
	// BatchSize is the most writes in one transaction. Default 2048.
	BatchSize int
	// EnqueueWait is how long a publish waits for room in a full queue
	// before it is refused with EUNAVAILABLE. Default 100ms.
	EnqueueWait time.Duration
	// ResultLinger is how long attempt results wait, when nothing else is
	// to be committed, for more writes to share their transaction.
	// Publishes never wait for it. Default 5ms; negative: no wait.
	ResultLinger time.Duration
	// IdempotencyTTL is how long an idempotency key is kept. Default 24h.
	IdempotencyTTL time.Duration
	// UserAgent of attempts. Default "hookd".
	UserAgent string
	// NowFunc is the clock. Default time.Now.
	NowFunc func() time.Time
	// RandFunc returns a float in [0, 1) for jitter. Default math/rand/v2.
	RandFunc func() float64
	// Payload is what deliveries to endpoints that set no payload send:
	// the envelope (the default), the data alone, or a template. It must
	// be valid (PayloadSpec.Validate); a template that does not compile
	// is ignored.
	Payload hookd.PayloadSpec
	// MaxBody bounds the body a transform makes; a larger one fails the
	// attempt. Default 1 MiB.
	MaxBody int

	defaultTpl *hookd.Template // Payload's template, compiled by withDefaults
	tracer     *tracer         // TracerProvider's, nil when nothing is traced
}

func (c Config) withDefaults() Config {
	setDefault(&c.Timeout, 30*time.Second)
	setDefault(&c.Lease, 30*time.Second)
	setDefault(&c.Workers, 256)
	setDefault(&c.MaxConcurrency, 16)
	setDefault(&c.DisableAfter, 120*time.Hour)
	setDefault(&c.MaxHeld, 20000)
	setDefault(&c.PollInterval, time.Second)
	setDefault(&c.ClaimBatch, 1000)
	setDefault(&c.QueueSize, 8192)
	setDefault(&c.QueueBytes, 64<<20)
	setDefault(&c.BatchSize, 2048)
	setDefault(&c.EnqueueWait, 100*time.Millisecond)
	setDefault(&c.IdempotencyTTL, 24*time.Hour)
	setDefault(&c.ResultLinger, 5*time.Millisecond)
	setDefault(&c.UserAgent, "hookd")
	setDefault(&c.MaxBody, 1<<20)
	setDefault(&c.Jitter, 0.2)
	if c.Jitter < 0 {
		c.Jitter = 0
	}
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	if c.RandFunc == nil {
		c.RandFunc = defaultRand
	}
	c.defaultTpl, _ = c.Payload.Compile()
	c.tracer = newTracer(c.TracerProvider)
	if c.Guard == nil {
		c.Guard = egress.NewGuard(nil)
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Transport:     egress.NewTransport(c.Guard, egress.TransportOptions{}),
			CheckRedirect: egress.CheckRedirect(false, 0),
		}
	}
	if c.PrivateClient == nil {
		c.PrivateClient = &http.Client{
			Transport:     egress.NewTransport(egress.AllowAll(), egress.TransportOptions{}),
			CheckRedirect: egress.CheckRedirect(false, 0),
		}
	}
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
