package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/store/sqlite"
)

// errNoPostgres is returned for a postgres:// database until the
// PostgreSQL store is wired in.
var errNoPostgres = errors.New("the PostgreSQL store is not available in this build")

// openStore opens the store that cfg.Database names. Each backend is one
// case.
func openStore(ctx context.Context, cfg *config.Config) (hookd.Store, error) {
	driver, dsn, err := cfg.DB()
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	switch driver {
	case config.DriverSQLite:
		s, err := sqlite.Open(ctx, dsn, sqlite.Options{})
		if err != nil {
			return nil, err // it names the file, and the lock when it is held
		}
		return s, nil
	case config.DriverPostgres:
		return nil, errNoPostgres
	}
	return nil, fmt.Errorf("db: unsupported driver %q", driver)
}
