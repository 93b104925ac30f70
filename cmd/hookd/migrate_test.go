package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMigrateSQLite(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "hookd.db")
	env := []string{"HOOKD_SECRETS_KEY=" + testSecretsKey}
	code, out, errOut := runInProcess(t, env, "migrate", "--db", db)
	if code != exitOK {
		t.Fatalf("hookd migrate: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "applied 00001_init.sql\n") || !strings.Contains(out, "\napplied 00002_") ||
		!strings.HasSuffix(out, " migration(s) applied\n") || !strings.Contains(out, db+" is up to date: ") {
		t.Errorf("first hookd migrate printed %q", out)
	}
	code, out, errOut = runInProcess(t, env, "migrate", "--db", db)
	if code != exitOK || out != db+" was up to date: no migration to apply\n" {
		t.Errorf("second hookd migrate: exit %d, printed %q %s", code, out, errOut)
	}
}

// TestMigrateThenServeNoMigrate checks that "serve --no-migrate" refuses a
// PostgreSQL database that "hookd migrate" has not migrated, and serves
// one it has.
func TestMigrateThenServeNoMigrate(t *testing.T) {
	db := newTestDatabase(t)
	code, _, errOut := runInProcess(t, []string{"HOOKD_SECRETS_KEY=" + testSecretsKey}, "serve", "--addr", "127.0.0.1:0", "--db", db, "--no-migrate")
	if code != exitError || !strings.Contains(errOut, `run "hookd migrate"`) {
		t.Fatalf("serve --no-migrate on an empty database: exit %d: %s", code, errOut)
	}
	code, out, errOut := runInProcess(t, []string{"HOOKD_DB=" + db, "HOOKD_SECRETS_KEY=" + testSecretsKey}, "migrate")
	if code != exitOK || !strings.Contains(out, "applied 00001_init.sql") || !strings.Contains(out, "is up to date") {
		t.Fatalf("hookd migrate: exit %d: %s%s", code, out, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := newLineBuffer()
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		code = run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--no-migrate"},
			[]string{"HOOKD_DB=" + db, "HOOKD_DB_MAX_CONNS=3", "HOOKD_SECRETS_KEY=" + testSecretsKey}, &strings.Builder{}, stderr)
	}()
	if _, err := stderr.waitFor(listeningAddr, exited, startTimeout); err != nil {
		t.Fatalf("serve --no-migrate did not listen on a migrated database: %v\n%s", err, stderr)
	}
	cancel()
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Fatal("serve did not return after its context ended")
	}
	if code != exitOK {
		t.Errorf("exit code = %d\n%s", code, stderr)
	}
}
