package secrets_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/hookd/secrets"
)

func mustKey(t *testing.T) secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	c, err := secrets.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := c.Seal([]byte("whsec_plain"), "endpoint:ep_1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "whsec_plain") || !strings.HasPrefix(sealed, "hkenc:v1:"+k.ID()+":") || !c.Current(sealed) {
		t.Fatalf("sealed = %q", sealed)
	}
	again, _ := c.Seal([]byte("whsec_plain"), "endpoint:ep_1")
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	plain, err := c.Open(sealed, "endpoint:ep_1")
	if err != nil || string(plain) != "whsec_plain" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := c.Open(sealed, "endpoint:ep_2"); !errors.Is(err, secrets.ErrCorrupt) {
		t.Fatalf("Open with another ad = %v, want ErrCorrupt", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := c.Open(tampered, "endpoint:ep_1"); !errors.Is(err, secrets.ErrCorrupt) {
		t.Fatalf("Open tampered = %v, want ErrCorrupt", err)
	}
	if _, err := c.Open("whsec_plain", "endpoint:ep_1"); !errors.Is(err, secrets.ErrCorrupt) {
		t.Fatalf("Open clear text = %v, want ErrCorrupt", err)
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t), mustKey(t)
	oldC, _ := secrets.NewCipher(oldKey)
	sealed, _ := oldC.Seal([]byte("s3cret"), "x")
	newOnly, _ := secrets.NewCipher(newKey)
	if _, err := newOnly.Open(sealed, "x"); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Fatalf("Open under another key = %v, want ErrUnknownKey", err)
	}
	both, _ := secrets.NewCipher(newKey, oldKey)
	if both.Current(sealed) {
		t.Fatal("a value sealed under the previous key is Current")
	}
	plain, err := both.Open(sealed, "x")
	if err != nil || string(plain) != "s3cret" {
		t.Fatalf("Open with the previous key = %q, %v", plain, err)
	}
	resealed, _ := both.Seal(plain, "x")
	if !both.Current(resealed) || !strings.HasPrefix(resealed, both.CurrentPrefix()) {
		t.Fatalf("resealed %q is not under the new key", resealed)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	for _, text := range []string{k.String(), " " + k.String() + "\n", strings.TrimRight(k.String(), "=")} {
		got, err := secrets.ParseKey(text)
		if err != nil || got != k {
			t.Fatalf("ParseKey(%q) = %v", text, err)
		}
	}
	for _, bad := range []string{"", "dev-key", k.String()[:20]} {
		if _, err := secrets.ParseKey(bad); err == nil {
			t.Fatalf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	a, b := mustKey(t), mustKey(t)
	h := secrets.Hash(a[:], "dev-key")
	if !bytes.Equal(h, secrets.Hash(a[:], "dev-key")) || bytes.Equal(h, secrets.Hash(b[:], "dev-key")) || len(h) != 32 {
		t.Fatal("Hash is not a keyed hash")
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookd.db.key")
	if _, _, err := secrets.LoadKeyFile(path, false); err == nil {
		t.Fatal("a missing key file was accepted without create")
	}
	k, created, err := secrets.LoadKeyFile(path, true)
	if err != nil || !created {
		t.Fatalf("LoadKeyFile = %v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	again, created, err := secrets.LoadKeyFile(path, true)
	if err != nil || created || again != k {
		t.Fatalf("second LoadKeyFile = %v, %v (same key: %v)", created, err, again == k)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secrets.LoadKeyFile(path, false); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file = %v, want refused", err)
	}
}
