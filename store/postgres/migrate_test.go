package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/store/postgres"
)

// TestMigrationReportsLockWaitAndApplied holds the migration lock while a
// store opens: Open says that it waits, then applies every migration once
// the lock is free, and reports each.
func TestMigrationReportsLockWaitAndApplied(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	holder, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer holder.Close(context.Background())
	var schema string
	require.NoError(t, holder.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	_, err = holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, postgres.LockID(schema))
	require.NoError(t, err)

	waiting := make(chan struct{})
	var mu sync.Mutex
	var applied []string
	opened := make(chan error, 1)
	go func() {
		s, err := postgres.Open(ctx, dsn, withCipher(postgres.Options{
			LockWaitFunc: func() { close(waiting) },
			MigratedFunc: func(_ int64, name string) { mu.Lock(); applied = append(applied, name); mu.Unlock() },
		}))
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		opened <- err
	}()
	select {
	case <-waiting:
	case err := <-opened:
		t.Fatalf("Open returned (%v) while another session held the lock", err)
	case <-ctx.Done():
		t.Fatal("Open never said it waits for the lock")
	}
	mu.Lock()
	assert.Empty(t, applied, "nothing applied while the lock is held")
	mu.Unlock()
	_, err = holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, postgres.LockID(schema))
	require.NoError(t, err)
	require.NoError(t, <-opened)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, applied)
	assert.Equal(t, "00001_init.sql", applied[0])
	assert.Contains(t, applied, "00007_retry_jobs.sql")

	var again []string
	s := open(t, dsn, postgres.Options{MigratedFunc: func(_ int64, name string) { again = append(again, name) }})
	require.NoError(t, s.Ping(ctx))
	assert.Empty(t, again, "a second Open applies nothing")
}
