package config

import (
	"errors"
	"testing"
)

func TestYAMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error after the file name
	}{
		{"unknown top-level key", "addr: :1\nadr: :2\n", []string{`:2: unknown key "adr"`}},
		{"unknown nested key", "# comment\naddr: :1\n\nserver:\n  idle_timeout: 1m\ndelivery:\n  timout: 5s\n",
			[]string{`:7: unknown key "delivery.timout"`}},
		{"unknown section", "addr: :1\nfoo:\n  bar: 1\n", []string{`:2: unknown key "foo"`}},
		{"unknown key in flow mapping", "log: {level: info, colour: red}\n", []string{`:1: unknown key "log.colour"`}},
		{"first unknown key in file order", "zzz: 1\naaa: 2\n", []string{`:1: unknown key "zzz"`}},
		{"merge key", "delivery:\n  <<: {timeout: 1s}\n", []string{`:2: unknown key "delivery.<<"`}},
		{"section as scalar", "addr: :1\ndelivery: 5\n", []string{`:2: "delivery" must be a mapping of keys, not a single value`}},
		{"section as list", "server:\n  - a\n", []string{`:1: "server" must be a mapping of keys, not a list`}},
		{"file as list", "- a\n- b\n", []string{`:1: the file must be a mapping of keys, not a list`}},
		{"scalar as mapping", "addr:\n  host: x\n", []string{`:1: addr: must be a single value, not a mapping`}},
		{"scalar as list", "addr: [a, b]\n", []string{`:1: addr: must be a single value, not a list`}},
		{"list as scalar", "ssrf:\n  allow: 10.0.0.0/8\n", []string{`:2: ssrf.allow: must be a list, not a single value`}},
		{"int type", "delivery:\n  workers: many\n", []string{`:2: delivery.workers: invalid integer "many"`}},
		{"float as int", "delivery:\n  workers: 1.5\n", []string{`:2: delivery.workers: invalid integer "1.5"`}},
		{"bool type", "metrics:\n  require_key: maybe\n", []string{`:2: metrics.require_key: invalid boolean "maybe"`}},
		{"invalid duration", "delivery:\n  timeout: 5x\n", []string{`:2: delivery.timeout: invalid duration "5x"`}},
		{"duration without unit", "delivery:\n  lease: 30\n", []string{`:2: delivery.lease: invalid duration "30"`}},
		{"negative duration", "server:\n  idle_timeout: -5s\n", []string{`:2: server.idle_timeout: invalid duration "-5s": must not be negative`}},
		{"invalid duration in list", "delivery:\n  retry_schedule:\n    - 1s\n    - soon\n",
			[]string{`:4: delivery.retry_schedule: invalid duration "soon"`}},
		{"invalid size", "delivery:\n  max_body: 12XB\n", []string{`:2: delivery.max_body: invalid size "12XB"`}},
		{"negative size", "delivery:\n  max_body: -1\n", []string{`:2: delivery.max_body: invalid size "-1"`}},
		{"syntax error", "addr: [a\n", []string{`:1: sequence end token ']' not found`}},
		{"duplicate key", "addr: :1\nlog:\n  level: info\naddr: :2\n", []string{`:4: mapping key "addr" already defined at [1:1]`}},
		{"two documents", "addr: :1\n---\naddr: :2\n", []string{`: expected one YAML document, found 2`}},
		{"unknown alias", "addr: *nope\n", []string{`:1: unknown alias *nope`}},
		{"frame ancestors with a directive", "ui:\n  frame_ancestors: \"'self'; script-src *\"\n", []string{`:2: ui.frame_ancestors: must be a CSP source list`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.yaml)
			_, err := Load(LoadOptions{Path: path})
			errContains(t, err, path)
			for _, w := range tc.want {
				errContains(t, err, path+w)
			}
		})
	}
}

func TestUnknownKeyMessage(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "addr: :1\ndelivery:\n  workers: 4\n\n\n\n  timout: 5s\n")
	_, err := Load(LoadOptions{Path: path})
	if err == nil || err.Error() != path+`:7: unknown key "delivery.timout"` {
		t.Fatalf("got %v, want %s:7: unknown key \"delivery.timout\"", err, path)
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		env  []string
		want string // substring of the error; "@" stands for the file's path
	}{
		{"invalid CIDR", "ssrf:\n  allow:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n", nil, `@:2: ssrf.allow: invalid CIDR "10.0.0.0/33"`},
		{"CIDR not an address", "ssrf:\n  allow: [localhost]\n", nil, `ssrf.allow: invalid CIDR "localhost"`},
		{"CIDR with zone", "ssrf:\n  allow: [\"fe80::1%eth0\"]\n", nil, `invalid CIDR "fe80::1%eth0"`},
		{"proxy scheme", "ssrf:\n  proxy: ftp://proxy:21\n", nil, `ssrf.proxy: proxy scheme must be one of http, https, socks5, got "ftp"`},
		{"proxy without host", "ssrf:\n  proxy: proxy:3128\n", nil, `ssrf.proxy: invalid proxy URL`},
		{"timeout over 5m", "delivery:\n  timeout: 6m\n", nil, `@:2: delivery.timeout: must be at most 5m0s`},
		{"negative workers", "delivery:\n  workers: -1\n", nil, `@:2: delivery.workers: must be positive, got -1`},
		{"negative max_concurrency", "delivery:\n  max_concurrency: -5\n", nil, `delivery.max_concurrency: must be positive, got -5`},
		{"negative max_inflight", "server:\n  max_inflight: -1\n", nil, `server.max_inflight: must be positive, got -1`},
		{"negative per_endpoint_top", "metrics:\n  per_endpoint_top: -1\n", nil, `metrics.per_endpoint_top: must be positive, got -1`},
		{"per_endpoint_top too high", "metrics:\n  per_endpoint_top: 1001\n", nil, `metrics.per_endpoint_top: must be at most 1000`},
		{"retry delay too long", "delivery:\n  retry_schedule: [1s, 200h]\n", nil, `delivery.retry_schedule: entry 2 (200h) must be between 0s and 168h0m0s`},
		{"invalid db scheme", "db: mysql://localhost/hookd\n", nil, `@:1: db: unsupported database "mysql://localhost/hookd": use sqlite:PATH or postgres://…`},
		{"bare db path", "db: hookd.db\n", nil, `db: unsupported database "hookd.db"`},
		{"sqlite without path", "db: \"sqlite:\"\n", nil, `db: "sqlite:" needs a file path`},
		{"postgres without host", "db: postgres:///hookd\n", nil, `db: invalid PostgreSQL URL`},
		{"log level", "log:\n  level: verbose\n", nil, `@:2: log.level: must be one of debug, info, warn, error, got "verbose"`},
		{"log format", "log:\n  format: xml\n", nil, `log.format: must be one of text, json, got "xml"`},
		{"node id", "node_id: \"a b\"\n", nil, `node_id: must be 1 to 64 letters`},
		{"negative db_max_conns", "db_max_conns: -1\n", nil, `db_max_conns: must be between 0 (the default) and 10000`},
		{"db_migrate not a boolean", "db_migrate: sometimes\n", nil, `@:1: db_migrate: invalid boolean "sometimes"`},
		{"db_migrate from env", "", []string{"HOOKD_DB_MIGRATE=maybe"}, `HOOKD_DB_MIGRATE: invalid boolean "maybe"`},
		{"bad value from env", "", []string{"HOOKD_DELIVERY_TIMEOUT=10m"}, `HOOKD_DELIVERY_TIMEOUT: must be at most 5m0s`},
		{"CIDR from env", "", []string{"HOOKD_SSRF_ALLOW=10.0.0.0/8,nope"}, `HOOKD_SSRF_ALLOW: invalid CIDR "nope"`},
		{"trusted proxy", "server:\n  trusted_proxies: [10.0.0.0/8, proxy.local]\n", nil, `server.trusted_proxies: invalid CIDR "proxy.local"`},
		{"trusted proxy from env", "", []string{"HOOKD_SERVER_TRUSTED_PROXIES=10.0.0.0/33"}, `HOOKD_SERVER_TRUSTED_PROXIES: invalid CIDR "10.0.0.0/33"`},
		{"cert without key", "tls:\n  cert_file: /etc/hookd/cert.pem\n", nil, `tls.key_file: must be set with tls.cert_file: give both (HTTPS) or neither (plain HTTP)`},
		{"key without cert", "", []string{"HOOKD_TLS_KEY_FILE=/k.pem"}, `tls.cert_file: must be set with tls.key_file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.yaml)
			_, err := Load(LoadOptions{Path: path, Env: tc.env})
			want := tc.want
			if want[0] == '@' {
				want = path + want[1:]
			}
			errContains(t, err, want)
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Errorf("error %v holds no *KeyError", err)
			}
		})
	}
}

func TestDatabaseErrorHidesPassword(t *testing.T) {
	t.Parallel()
	_, _, err := (&Config{Database: "mysql://root:hunter2@db/x"}).DB()
	errContains(t, err, "unsupported database")
	notContains(t, err.Error(), "hunter2")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "delivery:\n  workers: -1\nlog:\n  format: xml\n")
	_, err := Load(LoadOptions{Path: path})
	errContains(t, err, path+":2: delivery.workers:", path+":4: log.format:")
}

func TestEnvErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  string
		want string
	}{
		{"HOOKD_DELIVERY_TIMEOUT=soon", `HOOKD_DELIVERY_TIMEOUT: invalid duration "soon"`},
		{"HOOKD_DELIVERY_WORKERS=lots", `HOOKD_DELIVERY_WORKERS: invalid integer "lots"`},
		{"HOOKD_DELIVERY_MAX_BODY=1QB", `HOOKD_DELIVERY_MAX_BODY: invalid size "1QB"`},
		{"HOOKD_METRICS_REQUIRE_KEY=yes please", `HOOKD_METRICS_REQUIRE_KEY: invalid boolean "yes please"`},
		{"HOOKD_DELIVERY_RETRY_SCHEDULE=1s,-2s", `HOOKD_DELIVERY_RETRY_SCHEDULE: invalid duration "-2s": must not be negative`},
		{"HOOKD_DB=mysql://x", `HOOKD_DB: unsupported database`},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Parallel()
			_, err := Load(LoadOptions{Path: writeConfig(t, ""), Env: []string{tc.env}})
			errContains(t, err, tc.want)
		})
	}
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags map[string]string
		want  string
	}{
		{"bad CIDR", map[string]string{"ssrf.allow": "10.0.0.0/8,300.1.1.1"}, `--ssrf-allow: invalid CIDR "300.1.1.1"`},
		{"bad db", map[string]string{"db": "redis://x"}, `--db: unsupported database "redis://x"`},
		{"bad duration", map[string]string{"delivery.timeout": "x"}, `--delivery-timeout: invalid duration "x"`},
		{"unknown key", map[string]string{"nope": "1"}, `flags: unknown configuration key "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(LoadOptions{Path: writeConfig(t, ""), Flags: tc.flags})
			errContains(t, err, tc.want)
		})
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want int64
	}{
		{`"1MiB"`, 1 << 20},
		{`1MiB`, 1 << 20},
		{`"512KB"`, 512000},
		{`512KiB`, 512 << 10},
		{`1048576`, 1048576},
		{`"1048576"`, 1048576},
		{`2 MB`, 2000000},
		{`1.5KiB`, 1536},
		{`100B`, 100},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			t.Parallel()
			c, err := Load(LoadOptions{Path: writeConfig(t, "delivery:\n  max_body: "+tc.yaml+"\n")})
			noErr(t, err)
			equal(t, tc.want, int64(c.Delivery.MaxBody))
		})
	}
}

func TestDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want string
	}{
		{`30s`, "30s"},
		{`"5m"`, "5m"},
		{`1m30s`, "90s"},
		{`1h`, "1h"},
		{`250ms`, "250ms"},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			t.Parallel()
			c, err := Load(LoadOptions{Path: writeConfig(t, "server:\n  read_timeout: "+tc.yaml+"\n")})
			noErr(t, err)
			equal(t, dur(tc.want), c.Server.ReadTimeout)
		})
	}
}
