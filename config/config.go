// Package config reads hookd's configuration: a YAML file (hookd.yaml) with
// ${ENV} expansion, overridden by HOOKD_* environment variables, overridden
// by command-line flags.
//
// The zero value of every field means its documented default; WithDefaults
// fills them in and Validate checks the result. Load does all of it and
// reports each bad value with where it came from: the file and line, the
// environment variable, or the flag.
package config

import (
	"log/slog"
	"time"

	"github.com/hookd/hookd"
)

// Config is hookd's configuration. Keys are the yaml tags, nested with "."
// (delivery.timeout); the environment variable of a key is HOOKD_ followed
// by the key upper-cased with "." replaced by "_" (HOOKD_DELIVERY_TIMEOUT).
type Config struct {
	// Addr is the address the HTTP server listens on. Default ":8080".
	Addr string `yaml:"addr"`
	// Database locates the store: "sqlite:PATH" (relative to the working
	// directory, or absolute) or a "postgres://" or "postgresql://" URL.
	// Default "sqlite:hookd.db". DB parses it.
	Database string `yaml:"db"`
	// DBMaxConns is the size of the PostgreSQL connection pool. Default 0:
	// the URL's pool_max_conns if set, else max(4, 2×GOMAXPROCS). SQLite
	// ignores it.
	DBMaxConns int `yaml:"db_max_conns"`
	// DBMigrate applies the database migrations when hookd serve starts.
	// Default on. Off, serve refuses a PostgreSQL schema that is not up to
	// date (run "hookd migrate"); SQLite always migrates at open, as one
	// process owns the file.
	DBMigrate Switch `yaml:"db_migrate"`
	// APIKey is the key of the REST API ("Authorization: Bearer KEY").
	// It is a secret: it never appears in logs (see LogValue).
	APIKey string `yaml:"api_key"`
	// NodeID names this node in delivery leases, 1 to 64 letters, digits,
	// ".", "_" or "-". Default "" means the caller picks one (cmd/hookd
	// uses the hostname and a random suffix).
	NodeID string `yaml:"node_id"`

	Secrets   Secrets   `yaml:"secrets"`
	SSRF      SSRF      `yaml:"ssrf"`
	Delivery  Delivery  `yaml:"delivery"`
	Server    Server    `yaml:"server"`
	Receive   Receive   `yaml:"receive"`
	TLS       TLS       `yaml:"tls"`
	Metrics   Metrics   `yaml:"metrics"`
	Log       Log       `yaml:"log"`
	Retention Retention `yaml:"retention"`
	UI        UI        `yaml:"ui"`

	// StrictEventTypes refuses to publish an event whose type is not in
	// the catalog (422 at /type). Default false: any type is accepted, and
	// only declared types are validated.
	StrictEventTypes bool `yaml:"strict_event_types"`
	// EventTypes declares event types (package catalog reads each item).
	// Default none.
	EventTypes []Item `yaml:"event_types"`
	// Sources declares inbound sources (package receive reads each item).
	// Default none.
	Sources []Item `yaml:"sources"`

	file string // the YAML file read by Load, "" for none
}

// SSRF configures the guard on outbound requests.
type SSRF struct {
	// Allow lists CIDRs that outbound requests may reach although the
	// blocklist (loopback, private, link-local, …) forbids them. A bare IP
	// means that one address (/32 or /128). Default none. AllowPrefixes
	// parses it.
	Allow []string `yaml:"allow"`
	// Proxy is an http, https or socks5 proxy URL through which every
	// outbound request goes; it is then the only address dialed. Default
	// none (and the proxy environment variables are never used).
	Proxy string `yaml:"proxy"`
}

// Delivery configures the delivery engine.
type Delivery struct {
	// RetrySchedule is the delay before each retry after the first try.
	// Default 5s, 5m, 30m, 2h, 5h, 10h, 10h.
	RetrySchedule []hookd.Duration `yaml:"retry_schedule"`
	// Timeout bounds one attempt. Default 30s, at most 5m.
	Timeout hookd.Duration `yaml:"timeout"`
	// Lease is how long a node holds a delivery before another node may
	// take it over. Default 30s.
	Lease hookd.Duration `yaml:"lease"`
	// Workers is the number of sender goroutines. Default 256.
	Workers int `yaml:"workers"`
	// MaxConcurrency is the number of attempts in flight per endpoint,
	// unless the endpoint sets its own. Default 16.
	MaxConcurrency int `yaml:"max_concurrency"`
	// DisableAfter: an endpoint failing continuously this long is disabled.
	// Default 120h (5 days).
	DisableAfter hookd.Duration `yaml:"disable_after"`
	// MaxBody is the largest event body accepted on publish, and the
	// largest body a transform may make. Default 1MiB.
	MaxBody hookd.Size `yaml:"max_body"`
	// Payload is what deliveries to endpoints that set no payload of their
	// own send: "envelope" ({type, timestamp, data}, the default), "raw"
	// (data alone) or {template: <JSON value>}, the operator's house
	// format. In the environment, a template is JSON text.
	Payload hookd.PayloadSpec `yaml:"payload"`
}

// Server configures the HTTP server. Every timeout is always set.
type Server struct {
	// ReadHeaderTimeout bounds reading request headers. Default 5s.
	ReadHeaderTimeout hookd.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request. Default 30s.
	ReadTimeout hookd.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response. Default 30s.
	WriteTimeout hookd.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds an idle keep-alive connection. Default 120s.
	IdleTimeout hookd.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds the drain of requests in flight on shutdown.
	// Default 30s.
	ShutdownTimeout hookd.Duration `yaml:"shutdown_timeout"`
	// MaxInflight is the number of API requests served at once; more are
	// answered 503 with Retry-After. Default 4096.
	MaxInflight int `yaml:"max_inflight"`
	// TrustedProxies lists the CIDRs of reverse proxies in front of hookd.
	// When a request comes from one of them, the client address (in logs,
	// ip_allow and the request log) is the rightmost X-Forwarded-For entry
	// that is not a trusted proxy. Default none: X-Forwarded-For is never
	// believed. TrustedProxyPrefixes parses it.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Receive configures the inbound side.
type Receive struct {
	// Addr, when set, is a listener of its own for inbound sources: they
	// are served there and only there (with GET /healthz), and Addr
	// serves none. Default "": sources are served on Addr.
	Addr string `yaml:"addr"`
	// DecompressBudget bounds the bytes all inbound requests decompress
	// at once; a request that cannot reserve its next chunk is answered
	// 503 with Retry-After. Default 128MiB.
	DecompressBudget hookd.Size `yaml:"decompress_budget"`
}

// TLS configures HTTPS on the server's listeners. CertFile and KeyFile
// go together: both set serve HTTPS, neither plain HTTP. The files are
// read again on SIGHUP.
type TLS struct {
	// CertFile is a PEM file of the certificate chain, leaf first.
	// Default none.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM file of the certificate's private key. Default
	// none.
	KeyFile string `yaml:"key_file"`
}

// Enabled reports whether HTTPS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Metrics configures GET /metrics.
type Metrics struct {
	// RequireKey puts /metrics behind the API key. Default false: open.
	RequireKey bool `yaml:"require_key"`
	// PerEndpoint labels the attempt metrics by endpoint
	// (hookd_endpoint_*) for the PerEndpointTop endpoints with the most
	// attempts; the others count under endpoint="other". Default false.
	PerEndpoint bool `yaml:"per_endpoint"`
	// PerEndpointTop is how many endpoints get a label of their own with
	// PerEndpoint. Default 20; at most MaxPerEndpointTop.
	PerEndpointTop int `yaml:"per_endpoint_top"`
}

// MaxPerEndpointTop bounds metrics.per_endpoint_top, and so the series of
// the per-endpoint metrics.
const MaxPerEndpointTop = 1000

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// Retention configures how long history is kept.
type Retention struct {
	// Events: ended events (all deliveries succeeded or dead) older than
	// this are deleted with their deliveries and attempts. Default 720h.
	Events hookd.Duration `yaml:"events"`
	// Requests: inbound requests older than this are deleted. Default 720h.
	Requests hookd.Duration `yaml:"requests"`
}

// Defaults.
const (
	DefaultAddr     = ":8080"
	DefaultDatabase = "sqlite:hookd.db"
	// DefaultPath is the file Load reads when no path is given, if it
	// exists in the working directory.
	DefaultPath = "hookd.yaml"
)

// DefaultRetrySchedule is the default delivery.retry_schedule (Svix's).
func DefaultRetrySchedule() []hookd.Duration {
	return []hookd.Duration{
		hookd.Duration(5 * time.Second), hookd.Duration(5 * time.Minute),
		hookd.Duration(30 * time.Minute), hookd.Duration(2 * time.Hour),
		hookd.Duration(5 * time.Hour), hookd.Duration(10 * time.Hour),
		hookd.Duration(10 * time.Hour),
	}
}

// Default returns the configuration with every default filled in.
func Default() *Config { return (&Config{}).WithDefaults() }

// File returns the path of the YAML file Load read, or "" when it read
// none.
func (c *Config) File() string { return c.file }

// WithDefaults returns a copy of c with every zero field set to its
// default. c is not modified; the copy shares no slices with c.
func (c *Config) WithDefaults() *Config {
	d := *c
	d.SSRF.Allow = append([]string(nil), c.SSRF.Allow...)
	d.Secrets.PreviousKeys = append([]string(nil), c.Secrets.PreviousKeys...)
	d.Delivery.RetrySchedule = append([]hookd.Duration(nil), c.Delivery.RetrySchedule...)
	setDefault(&d.Addr, DefaultAddr)
	setDefault(&d.Database, DefaultDatabase)
	setDefault(&d.DBMigrate, SwitchOn)
	if len(d.Delivery.RetrySchedule) == 0 {
		d.Delivery.RetrySchedule = DefaultRetrySchedule()
	}
	dl := &d.Delivery
	setDefault(&dl.Timeout, hookd.Duration(30*time.Second))
	setDefault(&dl.Lease, hookd.Duration(30*time.Second))
	setDefault(&dl.Workers, 256)
	setDefault(&dl.MaxConcurrency, 16)
	setDefault(&dl.DisableAfter, hookd.Duration(120*time.Hour))
	setDefault(&dl.MaxBody, hookd.Size(1<<20))
	s := &d.Server
	setDefault(&s.ReadHeaderTimeout, hookd.Duration(5*time.Second))
	setDefault(&s.ReadTimeout, hookd.Duration(30*time.Second))
	setDefault(&s.WriteTimeout, hookd.Duration(30*time.Second))
	setDefault(&s.IdleTimeout, hookd.Duration(120*time.Second))
	setDefault(&s.ShutdownTimeout, hookd.Duration(30*time.Second))
	setDefault(&s.MaxInflight, 4096)
	setDefault(&d.Receive.DecompressBudget, hookd.Size(128<<20))
	setDefault(&d.Metrics.PerEndpointTop, 20)
	setDefault(&d.Log.Level, "info")
	setDefault(&d.Log.Format, "text")
	setDefault(&d.Retention.Events, hookd.Duration(720*time.Hour))
	setDefault(&d.Retention.Requests, hookd.Duration(720*time.Hour))
	d.UI.setDefaults()
	return &d
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// LogValue implements slog.LogValuer. It shows what an operator needs to
// recognise the configuration and leaves secrets out: the API key appears
// only as whether it is set, and a database URL without its password.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("file", c.file),
		slog.String("addr", c.Addr),
		slog.String("db", redactDatabase(c.Database)),
		slog.Bool("api_key_set", c.APIKey != ""),
		slog.Bool("secrets_key_set", c.Secrets.Key != ""),
		slog.String("node_id", c.NodeID),
		slog.Int("ssrf_allow", len(c.SSRF.Allow)),
		slog.Bool("ssrf_proxy", c.SSRF.Proxy != ""),
		slog.Int("workers", c.Delivery.Workers),
		slog.String("log_level", c.Log.Level),
	)
}
