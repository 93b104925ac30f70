package config

import (
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// writeConfig writes a YAML file into a new temporary directory and
// returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookd.yaml")
	noErr(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func dur(s string) hookd.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return hookd.Duration(d)
}

func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no hookd.yaml here
	c, err := Load(LoadOptions{})
	noErr(t, err)

	equal(t, Default(), c)
	equal(t, "", c.File())
	equal(t, ":8080", c.Addr)
	driver, dsn, err := c.DB()
	noErr(t, err)
	equal(t, [2]string{"sqlite", "hookd.db"}, [2]string{driver, dsn})
	equal(t, 0, c.DBMaxConns)
	equal(t, SwitchOn, c.DBMigrate)
	equal(t, true, c.DBMigrate.On())
	equal(t, "", c.APIKey)
	equal(t, "", c.NodeID)
	equal(t, 0, len(c.SSRF.Allow))
	equal(t, "", c.SSRF.Proxy)

	d := c.Delivery
	equal(t, []hookd.Duration{dur("5s"), dur("5m"), dur("30m"), dur("2h"), dur("5h"), dur("10h"), dur("10h")}, d.RetrySchedule)
	equal(t, dur("30s"), d.Timeout)
	equal(t, dur("30s"), d.Lease)
	equal(t, 256, d.Workers)
	equal(t, 16, d.MaxConcurrency)
	equal(t, dur("120h"), d.DisableAfter)
	equal(t, hookd.Size(1<<20), d.MaxBody)

	s := c.Server
	equal(t, dur("5s"), s.ReadHeaderTimeout)
	equal(t, dur("30s"), s.ReadTimeout)
	equal(t, dur("30s"), s.WriteTimeout)
	equal(t, dur("120s"), s.IdleTimeout)
	equal(t, dur("30s"), s.ShutdownTimeout)
	equal(t, 4096, s.MaxInflight)

	equal(t, false, c.Metrics.RequireKey)
	equal(t, Log{Level: "info", Format: "text"}, c.Log)
	equal(t, Retention{Events: dur("720h"), Requests: dur("720h")}, c.Retention)
	noErr(t, c.Validate())
}

func TestWithDefaultsDoesNotModifyOrShare(t *testing.T) {
	t.Parallel()
	orig := &Config{Delivery: Delivery{RetrySchedule: []hookd.Duration{dur("1s")}}}
	d := orig.WithDefaults()
	d.Delivery.RetrySchedule[0] = dur("2s")
	equal(t, dur("1s"), orig.Delivery.RetrySchedule[0])
	equal(t, "", orig.Addr)
	equal(t, ":8080", d.Addr)
}

const fullYAML = `# every key
addr: 127.0.0.1:9090
db: sqlite:/var/lib/hookd/hookd.db
db_max_conns: 12
db_migrate: false
api_key: sk_test
node_id: node-1
ssrf:
  allow: [10.0.0.0/8, 127.0.0.1, "::1"]
  proxy: http://proxy.internal:3128
delivery:
  retry_schedule:
    - 1s
    - 1m
  timeout: 45s
  lease: 1m
  workers: 8
  max_concurrency: 4
  disable_after: 24h
  max_body: 512KB
server:
  read_header_timeout: 2s
  read_timeout: 10s
  write_timeout: 11s
  idle_timeout: 1m
  shutdown_timeout: 5s
  max_inflight: 100
receive:
  addr: 127.0.0.1:9091
  decompress_budget: 64MiB
metrics:
  require_key: true
  per_endpoint: true
  per_endpoint_top: 5
log:
  level: debug
  format: json
retention:
  events: 48h
  requests: 24h
ui:
  frame_ancestors: "'self' https://app.example.com"
  session_ttl: 2h
`

func TestLoadYAML(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, fullYAML)
	c, err := Load(LoadOptions{Path: path})
	noErr(t, err)

	equal(t, path, c.File())
	want := &Config{
		Addr: "127.0.0.1:9090", Database: "sqlite:/var/lib/hookd/hookd.db",
		DBMaxConns: 12, DBMigrate: SwitchOff,
		APIKey: "sk_test", NodeID: "node-1",
		SSRF: SSRF{Allow: []string{"10.0.0.0/8", "127.0.0.1", "::1"}, Proxy: "http://proxy.internal:3128"},
		Delivery: Delivery{
			RetrySchedule: []hookd.Duration{dur("1s"), dur("1m")},
			Timeout:       dur("45s"), Lease: dur("1m"), Workers: 8, MaxConcurrency: 4,
			DisableAfter: dur("24h"), MaxBody: 512000,
		},
		Server: Server{
			ReadHeaderTimeout: dur("2s"), ReadTimeout: dur("10s"), WriteTimeout: dur("11s"),
			IdleTimeout: dur("1m"), ShutdownTimeout: dur("5s"), MaxInflight: 100,
		},
		Receive:   Receive{Addr: "127.0.0.1:9091", DecompressBudget: 64 << 20},
		Metrics:   Metrics{RequireKey: true, PerEndpoint: true, PerEndpointTop: 5},
		Log:       Log{Level: "debug", Format: "json"},
		Retention: Retention{Events: dur("48h"), Requests: dur("24h")},
		UI:        UI{FrameAncestors: "'self' https://app.example.com", SessionTTL: dur("2h")},
		file:      path,
	}
	equal(t, want, c)

	prefixes, err := c.SSRF.AllowPrefixes()
	noErr(t, err)
	equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128"),
	}, prefixes)
	proxy, err := c.SSRF.ProxyURL()
	noErr(t, err)
	equal(t, "proxy.internal:3128", proxy.Host)
	level, err := c.Log.SlogLevel()
	noErr(t, err)
	equal(t, slog.LevelDebug, level)
}

func TestLoadYAMLEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{"empty file", "", func(t *testing.T, c *Config) {
			equal(t, ":8080", c.Addr)
		}},
		{"comments only", "# nothing\n", func(t *testing.T, c *Config) {
			equal(t, ":8080", c.Addr)
		}},
		{"empty section", "delivery:\n", func(t *testing.T, c *Config) {
			equal(t, 256, c.Delivery.Workers)
		}},
		{"null value means default", "addr: ~\nlog:\n  level:\n", func(t *testing.T, c *Config) {
			equal(t, ":8080", c.Addr)
			equal(t, "info", c.Log.Level)
		}},
		{"single key", "addr: :9000\n", func(t *testing.T, c *Config) {
			equal(t, ":9000", c.Addr)
		}},
		{"quoted number as string", "api_key: \"12345\"\n", func(t *testing.T, c *Config) {
			equal(t, "12345", c.APIKey)
		}},
		{"anchor and alias", "delivery:\n  timeout: &t 10s\n  lease: *t\n", func(t *testing.T, c *Config) {
			equal(t, dur("10s"), c.Delivery.Lease)
		}},
		{"quoted keys", "\"addr\": :5\n'log':\n  \"level\": warn\n", func(t *testing.T, c *Config) {
			equal(t, ":5", c.Addr)
			equal(t, "warn", c.Log.Level)
		}},
		{"numbers kept as written in strings", "api_key: 0123\nnode_id: 1e3\n", func(t *testing.T, c *Config) {
			equal(t, "0123", c.APIKey)
			equal(t, "1e3", c.NodeID)
		}},
		{"explicit document start", "---\naddr: :1\n", func(t *testing.T, c *Config) {
			equal(t, ":1", c.Addr)
		}},
		{"flow mapping", "log: {level: warn, format: json}\n", func(t *testing.T, c *Config) {
			equal(t, Log{Level: "warn", Format: "json"}, c.Log)
		}},
		{"level case-insensitive", "log:\n  level: ERROR\n", func(t *testing.T, c *Config) {
			l, err := c.Log.SlogLevel()
			noErr(t, err)
			equal(t, slog.LevelError, l)
		}},
		{"zero retry entry allowed", "delivery:\n  retry_schedule: [0s, 1s]\n", func(t *testing.T, c *Config) {
			equal(t, []hookd.Duration{0, dur("1s")}, c.Delivery.RetrySchedule)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(LoadOptions{Path: writeConfig(t, tc.yaml)})
			noErr(t, err)
			tc.check(t, c)
		})
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	noErr(t, os.WriteFile(filepath.Join(dir, "hookd.yaml"), []byte("addr: :7000\n"), 0o600))
	t.Chdir(dir)
	c, err := Load(LoadOptions{})
	noErr(t, err)
	equal(t, ":7000", c.Addr)
	equal(t, "hookd.yaml", c.File())
}

func TestExplicitPathMustExist(t *testing.T) {
	t.Parallel()
	_, err := Load(LoadOptions{Path: filepath.Join(t.TempDir(), "missing.yaml")})
	errContains(t, err, "missing.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v is not os.ErrNotExist", err)
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "addr: :1000\nssrf:\n  allow: [10.0.0.0/8]\ndelivery:\n  timeout: 10s\n")
	tests := []struct {
		name      string
		env       []string
		flags     map[string]string
		wantAddr  string
		wantAllow []string
		wantTime  hookd.Duration
	}{
		{"file only", nil, nil, ":1000", []string{"10.0.0.0/8"}, dur("10s")},
		{"env over file", []string{"HOOKD_ADDR=:2000", "HOOKD_SSRF_ALLOW=127.0.0.1, 192.168.0.0/16", "HOOKD_DELIVERY_TIMEOUT=20s"}, nil,
			":2000", []string{"127.0.0.1", "192.168.0.0/16"}, dur("20s")},
		{"flags over env", []string{"HOOKD_ADDR=:2000", "HOOKD_SSRF_ALLOW=127.0.0.1"},
			map[string]string{"addr": ":3000", "ssrf.allow": "::1,10.1.0.0/16", "delivery.timeout": "30s"},
			":3000", []string{"::1", "10.1.0.0/16"}, dur("30s")},
		{"flags over file", nil, map[string]string{"addr": ":3000"}, ":3000", []string{"10.0.0.0/8"}, dur("10s")},
		{"later env entry wins", []string{"HOOKD_ADDR=:2000", "HOOKD_ADDR=:2001"}, nil, ":2001", []string{"10.0.0.0/8"}, dur("10s")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(LoadOptions{Path: path, Env: tc.env, Flags: tc.flags})
			noErr(t, err)
			equal(t, tc.wantAddr, c.Addr)
			equal(t, tc.wantAllow, c.SSRF.Allow)
			equal(t, tc.wantTime, c.Delivery.Timeout)
		})
	}
}

func TestEnvEveryKey(t *testing.T) {
	t.Parallel()
	env := []string{
		"HOOKD_DB=postgres://u:p@db:5432/hookd", "HOOKD_API_KEY=k", "HOOKD_NODE_ID=n1",
		"HOOKD_SECRETS_KEY=" + testSecretsKey, "HOOKD_SECRETS_PREVIOUS_KEYS=" + testSecretsKey + "," + testSecretsKey,
		"HOOKD_SSRF_PROXY=socks5://127.0.0.1:1080",
		"HOOKD_DELIVERY_RETRY_SCHEDULE=1s,2s", "HOOKD_DELIVERY_LEASE=10s",
		"HOOKD_DELIVERY_WORKERS=3", "HOOKD_DELIVERY_MAX_CONCURRENCY=2",
		"HOOKD_DELIVERY_DISABLE_AFTER=1h", "HOOKD_DELIVERY_MAX_BODY=2MiB",
		"HOOKD_SERVER_READ_HEADER_TIMEOUT=1s", "HOOKD_SERVER_READ_TIMEOUT=2s",
		"HOOKD_SERVER_WRITE_TIMEOUT=3s", "HOOKD_SERVER_IDLE_TIMEOUT=4s",
		"HOOKD_SERVER_SHUTDOWN_TIMEOUT=5s", "HOOKD_SERVER_MAX_INFLIGHT=6",
		"HOOKD_METRICS_REQUIRE_KEY=true", "HOOKD_LOG_LEVEL=warn", "HOOKD_LOG_FORMAT=json",
		"HOOKD_RETENTION_EVENTS=1h", "HOOKD_RETENTION_REQUESTS=2h",
	}
	c, err := Load(LoadOptions{Path: writeConfig(t, ""), Env: env})
	noErr(t, err)
	driver, dsn, err := c.DB()
	noErr(t, err)
	equal(t, [2]string{"postgres", "postgres://u:p@db:5432/hookd"}, [2]string{driver, dsn})
	equal(t, "k", c.APIKey)
	equal(t, "n1", c.NodeID)
	equal(t, Secrets{Key: testSecretsKey, PreviousKeys: []string{testSecretsKey, testSecretsKey}}, c.Secrets)
	equal(t, "socks5://127.0.0.1:1080", c.SSRF.Proxy)
	equal(t, Delivery{
		RetrySchedule: []hookd.Duration{dur("1s"), dur("2s")}, Timeout: dur("30s"), Lease: dur("10s"),
		Workers: 3, MaxConcurrency: 2, DisableAfter: dur("1h"), MaxBody: 2 << 20,
	}, c.Delivery)
	equal(t, Server{
		ReadHeaderTimeout: dur("1s"), ReadTimeout: dur("2s"), WriteTimeout: dur("3s"),
		IdleTimeout: dur("4s"), ShutdownTimeout: dur("5s"), MaxInflight: 6,
	}, c.Server)
	equal(t, true, c.Metrics.RequireKey)
	equal(t, Log{Level: "warn", Format: "json"}, c.Log)
	equal(t, Retention{Events: dur("1h"), Requests: dur("2h")}, c.Retention)
}

func TestOtherHookdVariablesIgnored(t *testing.T) {
	t.Parallel()
	c, err := Load(LoadOptions{Path: writeConfig(t, ""), Env: []string{
		"HOOKD_TEST_POSTGRES_URL=not a url at all",
		"HOOKD_FOO=bar",
		"HOOKD_DELIVERY=5", // a section, not a key
		"HOOKD_ADDR=",      // empty: as if unset
		"hookd_addr=:1",    // names are case-sensitive
		"NOEQUALS",
	}})
	noErr(t, err)
	equal(t, ":8080", c.Addr)
	c.file = ""
	equal(t, Default(), c)
}

func TestKeys(t *testing.T) {
	t.Parallel()
	// docs/configuration.md lists these keys; update both.
	equal(t, []string{
		"addr", "db", "db_max_conns", "db_migrate", "api_key", "node_id",
		"secrets.key", "secrets.key_file", "secrets.previous_keys",
		"ssrf.allow", "ssrf.proxy",
		"delivery.retry_schedule", "delivery.timeout", "delivery.lease", "delivery.workers",
		"delivery.max_concurrency", "delivery.disable_after", "delivery.max_body", "delivery.payload",
		"server.read_header_timeout", "server.read_timeout", "server.write_timeout",
		"server.idle_timeout", "server.shutdown_timeout", "server.max_inflight",
		"server.trusted_proxies", "receive.addr", "receive.decompress_budget", "tls.cert_file", "tls.key_file",
		"metrics.require_key", "metrics.per_endpoint", "metrics.per_endpoint_top", "log.level", "log.format",
		"retention.events", "retention.requests",
		"ui.frame_ancestors", "ui.session_ttl",
		"strict_event_types", "event_types", "sources",
	}, Keys())
	equal(t, "HOOKD_DELIVERY_RETRY_SCHEDULE", EnvName("delivery.retry_schedule"))
	equal(t, "ssrf-allow", FlagName("ssrf.allow"))
	equal(t, "api-key", FlagName("api_key"))
}

func TestDB(t *testing.T) {
	t.Parallel()
	tests := []struct {
		db, driver, dsn string
	}{
		{"sqlite:hookd.db", "sqlite", "hookd.db"},
		{"sqlite:rel/dir/x.db", "sqlite", "rel/dir/x.db"},
		{"sqlite:/abs/path.db", "sqlite", "/abs/path.db"},
		{"postgres://u:p@localhost:5432/hookd?sslmode=disable", "postgres", "postgres://u:p@localhost:5432/hookd?sslmode=disable"},
		{"postgresql://localhost/hookd", "postgres", "postgresql://localhost/hookd"},
	}
	for _, tc := range tests {
		t.Run(tc.db, func(t *testing.T) {
			t.Parallel()
			driver, dsn, err := (&Config{Database: tc.db}).DB()
			noErr(t, err)
			equal(t, tc.driver, driver)
			equal(t, tc.dsn, dsn)
		})
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	t.Parallel()
	c := Default()
	c.APIKey = "sk_supersecret"
	c.Database = "postgres://hookd:hunter2@db/hookd"
	c.SSRF.Proxy = "http://user:proxypass@proxy:3128"
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c)
	out := b.String()
	for _, secret := range []string{"sk_supersecret", "hunter2", "proxypass"} {
		notContains(t, out, secret)
	}
	contains(t, out, "config.api_key_set=true")
	contains(t, out, "db/hookd")
}
