package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// KeyError reports a bad value of one configuration key.
type KeyError struct {
	Key string // the configuration key, such as "delivery.timeout"
	// Origin says where the value came from: "hookd.yaml:7", an
	// environment variable such as "HOOKD_ADDR", or a flag such as
	// "--addr". Load sets it; Validate leaves it empty.
	Origin string
	Err    error
}

// Error implements error.
func (e *KeyError) Error() string {
	switch {
	case e.Origin == "":
		return fmt.Sprintf("%s: %v", e.Key, e.Err)
	case strings.HasPrefix(e.Origin, envPrefix), strings.HasPrefix(e.Origin, "--"):
		// The variable or the flag names the key already.
		return fmt.Sprintf("%s: %v", e.Origin, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Origin, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

// Database drivers returned by Config.DB.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Validate checks c, which should have its defaults filled in (a zero
// duration or count is refused). It returns every problem it finds, each a
// *KeyError, joined with errors.Join; nil when c is valid.
func (c *Config) Validate() error {
	var errs []error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, &KeyError{Key: key, Err: err})
		}
	}
	add("addr", nonEmpty(c.Addr))
	_, _, err := c.DB()
	add("db", err)
	if c.DBMaxConns < 0 || c.DBMaxConns > 10000 {
		add("db_max_conns", errors.New("must be between 0 (the default) and 10000"))
	}
	if c.NodeID != "" && !nodeIDPattern.MatchString(c.NodeID) {
		add("node_id", errors.New("must be 1 to 64 letters, digits, '.', '_' or '-'"))
	}
	c.validateSecrets(add)
	_, err = c.SSRF.AllowPrefixes()
	add("ssrf.allow", err)
	_, err = c.SSRF.ProxyURL()
	add("ssrf.proxy", err)
	c.validateDelivery(add)
	s := c.Server
	add("server.read_header_timeout", positive(s.ReadHeaderTimeout))
	add("server.read_timeout", positive(s.ReadTimeout))
	add("server.write_timeout", positive(s.WriteTimeout))
	add("server.idle_timeout", positive(s.IdleTimeout))
	add("server.shutdown_timeout", positive(s.ShutdownTimeout))
	add("server.max_inflight", positiveInt(s.MaxInflight))
	_, err = s.TrustedProxyPrefixes()
	add("server.trusted_proxies", err)
	c.validateTLS(add)
	c.validateReceive(add)
	add("metrics.per_endpoint_top", positiveInt(c.Metrics.PerEndpointTop))
	if c.Metrics.PerEndpointTop > MaxPerEndpointTop {
		add("metrics.per_endpoint_top", fmt.Errorf("must be at most %d", MaxPerEndpointTop))
	}
	_, err = c.Log.SlogLevel()
	add("log.level", err)
	add("log.format", oneOf(c.Log.Format, "text", "json"))
	add("retention.events", positive(c.Retention.Events))
	add("retention.requests", positive(c.Retention.Requests))
	c.UI.validate(add)
	return errors.Join(errs...)
}

func (c *Config) validateDelivery(add func(string, error)) {
	d := c.Delivery
	add("delivery.retry_schedule", validateSchedule(d.RetrySchedule))
	add("delivery.timeout", positive(d.Timeout))
	if d.Timeout > hookd.Duration(hookd.MaxEndpointTimeout) {
		add("delivery.timeout", fmt.Errorf("must be at most %v", hookd.MaxEndpointTimeout))
	}
	add("delivery.lease", positive(d.Lease))
	add("delivery.workers", positiveInt(d.Workers))
	add("delivery.max_concurrency", positiveInt(d.MaxConcurrency))
	add("delivery.disable_after", positive(d.DisableAfter))
	if d.MaxBody <= 0 {
		add("delivery.max_body", errors.New("must be positive"))
	}
	for _, f := range d.Payload.Validate("") {
		add("delivery.payload", fmt.Errorf("%s: %s", cmp.Or(f.Pointer, "/"), f.Message))
	}
}

func (c *Config) validateTLS(add func(string, error)) {
	t := c.TLS
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		add("tls.key_file", errors.New("must be set with tls.cert_file: give both (HTTPS) or neither (plain HTTP)"))
	case t.CertFile == "" && t.KeyFile != "":
		add("tls.cert_file", errors.New("must be set with tls.key_file: give both (HTTPS) or neither (plain HTTP)"))
	}
}

// TrustedProxyPrefixes parses TrustedProxies; a bare IP is one address.
func (s Server) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(s.TrustedProxies))
	for _, a := range s.TrustedProxies {
		p, err := parsePrefix(strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (c *Config) validateReceive(add func(string, error)) {
	if c.Receive.Addr != "" && c.Receive.Addr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		add("receive.addr", errors.New("must differ from addr: it is a listener of its own"))
	}
	if c.Receive.DecompressBudget < 1<<20 {
		add("receive.decompress_budget", errors.New("must be at least 1MiB"))
	}
}

func validateSchedule(s []hookd.Duration) error {
	if len(s) > hookd.MaxRetrySchedule {
		return fmt.Errorf("has %d entries, at most %d are allowed", len(s), hookd.MaxRetrySchedule)
	}
	for i, d := range s {
		if d < 0 || time.Duration(d) > hookd.MaxRetryDelay {
			return fmt.Errorf("entry %d (%v) must be between 0s and %v", i+1, d, hookd.MaxRetryDelay)
		}
	}
	return nil
}

func nonEmpty(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func positive(d hookd.Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %v", d)
	}
	return nil
}

func positiveInt(n int) error {
	if n <= 0 {
		return fmt.Errorf("must be positive, got %d", n)
	}
	return nil
}

func oneOf(s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return fmt.Errorf("must be one of %s, got %q", strings.Join(allowed, ", "), s)
}

// DB parses c.Database into a driver (DriverSQLite or DriverPostgres) and
// what that driver opens: the file path for SQLite, the whole URL for
// PostgreSQL.
func (c *Config) DB() (driver, dsn string, err error) {
	db := c.Database
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		path := strings.TrimPrefix(db, "sqlite:")
		if path == "" {
			return "", "", errors.New(`"sqlite:" needs a file path, such as "sqlite:hookd.db"`)
		}
		return DriverSQLite, path, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		u, err := url.Parse(db)
		if err != nil || u.Host == "" {
			return "", "", fmt.Errorf("invalid PostgreSQL URL %q", redactDatabase(db))
		}
		return DriverPostgres, db, nil
	}
	return "", "", fmt.Errorf("unsupported database %q: use sqlite:PATH or postgres://…", redactDatabase(db))
}

// redactDatabase hides the password of a database URL.
func redactDatabase(db string) string {
	if !strings.Contains(db, "://") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// AllowPrefixes parses Allow. A bare address becomes a single-address
// prefix; a prefix is masked to its network ("10.1.2.3/8" is 10.0.0.0/8).
func (s SSRF) AllowPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(s.Allow))
	for _, a := range s.Allow {
		p, err := parsePrefix(strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q: use a prefix such as 10.0.0.0/8 or an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ProxyURL parses Proxy; nil when no proxy is set.
func (s SSRF) ProxyURL() (*url.URL, error) {
	if s.Proxy == "" {
		return nil, nil
	}
	u, err := url.Parse(s.Proxy)
	if err != nil || u.Host == "" {
		return nil, errors.New("invalid proxy URL: use http://HOST:PORT, https://… or socks5://…")
	}
	if err := oneOf(u.Scheme, "http", "https", "socks5"); err != nil {
		return nil, fmt.Errorf("proxy scheme %w", err)
	}
	return u, nil
}

// SlogLevel parses Level (case-insensitively).
func (l Log) SlogLevel() (slog.Level, error) {
	switch strings.ToLower(l.Level) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("must be one of debug, info, warn, error, got %q", l.Level)
}
