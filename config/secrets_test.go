package config

import (
	"strings"
	"testing"
)

// testSecretsKey is a well-formed master key (base64 of 32 bytes).
const testSecretsKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestSecretsConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string // "" for valid
	}{
		{"sqlite default", nil, ""},
		{"postgres without a key", []string{"HOOKD_DB=postgres://h/db"}, "secrets.key: PostgreSQL needs the master key"},
		{"postgres with a key", []string{"HOOKD_DB=postgres://h/db", "HOOKD_SECRETS_KEY=" + testSecretsKey}, ""},
		{"postgres with a key file", []string{"HOOKD_DB=postgres://h/db", "HOOKD_SECRETS_KEY_FILE=/k"}, ""},
		{"bad key", []string{"HOOKD_SECRETS_KEY=dev-key"}, "HOOKD_SECRETS_KEY: a key must be the base64 of 32 bytes"},
		{"both", []string{"HOOKD_SECRETS_KEY=" + testSecretsKey, "HOOKD_SECRETS_KEY_FILE=/k"}, "not both"},
		{"bad previous", []string{"HOOKD_SECRETS_PREVIOUS_KEYS=" + testSecretsKey + ",short"}, "entry 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(LoadOptions{Path: writeConfig(t, ""), Env: tc.env})
			if tc.want == "" {
				noErr(t, err)
				return
			}
			errContains(t, err, tc.want)
			if strings.Contains(err.Error(), "dev-key") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
	c := Default()
	if path, create := c.SecretsKeyFile(); path != "hookd.db.key" || !create {
		t.Errorf("SecretsKeyFile() = %q, %v", path, create)
	}
	c.Secrets.KeyFile = "/etc/hookd.key"
	if path, create := c.SecretsKeyFile(); path != "/etc/hookd.key" || create {
		t.Errorf("SecretsKeyFile() = %q, %v", path, create)
	}
}
