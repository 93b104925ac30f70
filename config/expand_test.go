package config

import (
	"testing"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOST": "db.internal", "EMPTY": "", "KEY": "sk_1", "N": "8"}
	tests := []struct {
		name, in, want string
	}{
		{"no references", "addr: :8080\n", "addr: :8080\n"},
		{"variable", "db: postgres://${HOST}/hookd\n", "db: postgres://db.internal/hookd\n"},
		{"two on a line", "x: ${KEY}-${N}\n", "x: sk_1-8\n"},
		{"default when unset", "addr: ${ADDR:-:9000}\n", "addr: :9000\n"},
		{"default when empty", "addr: ${EMPTY:-:9000}\n", "addr: :9000\n"},
		{"default ignored when set", "x: ${HOST:-other}\n", "x: db.internal\n"},
		{"empty default", "x: '${UNSET:-}'\n", "x: ''\n"},
		{"set but empty", "x: '${EMPTY}'\n", "x: ''\n"},
		{"dollar escape", "x: $${HOST}\n", "x: ${HOST}\n"},
		{"double escape", "x: a$$$$b\n", "x: a$$b\n"},
		{"lone dollar", "x: cost $5 $\n", "x: cost $5 $\n"},
		{"dollar at end without newline", "x: $", "x: $"},
		{"comment line untouched", "# api_key: ${UNSET}\n  # ${ALSO_UNSET}\naddr: ${N}\n", "# api_key: ${UNSET}\n  # ${ALSO_UNSET}\naddr: 8\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := expand("hookd.yaml", []byte(tc.in), env)
			noErr(t, err)
			equal(t, tc.want, string(got))
		})
	}
}

func TestExpandErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"MULTI": "a\nb: c"}
	tests := []struct {
		name, in, want string
	}{
		{"missing variable", "addr: :1\n\napi_key: ${API_KEY}\n", "hookd.yaml:3: environment variable API_KEY is not set"},
		{"unterminated", "x: ${HOST\n", `hookd.yaml:1: unterminated ${ in "${HOST"`},
		{"invalid name", "x: ${1ABC}\n", "hookd.yaml:1: invalid variable reference ${1ABC}"},
		{"empty name", "x: ${}\n", "invalid variable reference ${}"},
		{"line break in value", "x: ${MULTI}\n", "hookd.yaml:1: environment variable MULTI contains a line break"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := expand("hookd.yaml", []byte(tc.in), env)
			errContains(t, err, tc.want)
		})
	}
}

func TestLoadExpandsFromInjectedEnv(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "db: postgres://hookd:${PGPASS}@${PGHOST:-localhost}/hookd\n"+
		"delivery:\n  workers: ${WORKERS:-4}\n  max_body: ${BODY}\nsecrets:\n  key_file: /etc/hookd/key\n")
	c, err := Load(LoadOptions{Path: path, Env: []string{"PGPASS=s3cret", "BODY=2MiB"}})
	noErr(t, err)
	equal(t, "postgres://hookd:s3cret@localhost/hookd", c.Database)
	equal(t, 4, c.Delivery.Workers)
	equal(t, int64(2<<20), int64(c.Delivery.MaxBody))

	_, err = Load(LoadOptions{Path: path, Env: []string{"PGPASS=s3cret"}})
	errContains(t, err, path+":4: environment variable BODY is not set")
}
