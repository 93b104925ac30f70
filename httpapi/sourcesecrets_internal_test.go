package httpapi

import (
	"testing"

	"github.com/hookd/hookd"
)

func TestRedactRestore(t *testing.T) {
	t.Parallel()
	paths := secretPaths(hookd.SourceSecretPointers())
	tests := []struct {
		name, spec, stored, redacted, restored string
	}{
		{"no secrets", `{"methods":["POST"]}`, ``, `{"methods":["POST"]}`, `{"methods":["POST"]}`},
		{"order kept", `{"verify":[{"provider":"github","secret":"whsec_QUJDREVGR0hJSktMTU5PUFFSU1Q","tolerance":"5m"}]}`, ``,
			`{"verify":[{"provider":"github","secret_prefix":"whsec_QUJD","tolerance":"5m"}]}`,
			`{"verify":[{"provider":"github","secret":"whsec_QUJDREVGR0hJSktMTU5PUFFSU1Q","tolerance":"5m"}]}`},
		{"prefix back in place", `{"verify":[{"provider":"github","secret_prefix":"whsec_QUJD","tolerance":"5m"}]}`,
			`{"verify":[{"provider":"github","secret":"s1-secret-value-xyz","tolerance":"5m"}]}`, ``,
			`{"verify":[{"provider":"github","secret":"s1-secret-value-xyz","tolerance":"5m"}]}`},
		{"a longer list than stored", `{"verify":[{"token":{"value":"t"}},{"token":{"header":"X"}}]}`,
			`{"verify":[{"token":{"value":"old-token"}}]}`, ``,
			`{"verify":[{"token":{"value":"t"}},{"token":{"header":"X"}}]}`},
		{"odd shapes left alone", `{"verify":"nope","destinations":[1,{"forward":{"secret":7}}]}`, ``,
			`{"verify":"nope","destinations":[1,{"forward":{"secret_prefix":""}}]}`,
			`{"verify":"nope","destinations":[1,{"forward":{"secret":7}}]}`},
		{"lists of secrets", `{"verify":[{"hmac":{"header":"X","secrets":["0123456789abcdefXYZ","short"]}}]}`, ``,
			`{"verify":[{"hmac":{"header":"X","secrets_prefix":["0123",""]}}]}`,
			`{"verify":[{"hmac":{"header":"X","secrets":["0123456789abcdefXYZ","short"]}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.redacted != "" {
				got, err := redactSpec([]byte(tc.spec), paths)
				if err != nil || string(got) != tc.redacted {
					t.Errorf("redact = %s, %v; want %s", got, err, tc.redacted)
				}
			}
			got, err := restoreSpec([]byte(tc.spec), []byte(tc.stored), paths)
			if err != nil || string(got) != tc.restored {
				t.Errorf("restore = %s, %v; want %s", got, err, tc.restored)
			}
		})
	}
}
