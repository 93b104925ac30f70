package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/secrets"
	"github.com/hookd/hookd/store/postgres"
	"github.com/hookd/hookd/store/sqlite"
)

// openStore opens the store that cfg.Database names, applying its
// migrations unless cfg.DBMigrate is off. Each backend is one case; logger
// receives what a store reports in the background.
func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (hookd.Store, error) {
	c, err := storeCipher(cfg, nil)
	if err != nil {
		return nil, err
	}
	return openStoreWith(ctx, cfg, c, logger, migrateHooks{})
}

// migrateHooks report what opening a store migrates ("hookd migrate").
type migrateHooks struct {
	appliedFunc  func(version int64, name string) // each migration applied
	lockWaitFunc func()                           // another node holds the migration lock
}

// openStoreWith is openStore with the cipher that seals secrets at rest
// and hooks on its migrations.
func openStoreWith(ctx context.Context, cfg *config.Config, c *secrets.Cipher, logger *slog.Logger, hooks migrateHooks) (hookd.Store, error) {
	driver, dsn, err := cfg.DB()
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	switch driver {
	case config.DriverSQLite:
		s, err := sqlite.Open(ctx, dsn, sqlite.Options{Cipher: c, MigratedFunc: hooks.appliedFunc})
		if err != nil {
			return nil, err // it names the file, and the lock when it is held
		}
		return s, nil
	case config.DriverPostgres:
		s, err := postgres.Open(ctx, dsn, postgres.Options{
			MaxConns:       int32(cfg.DBMaxConns),
			SkipMigrations: !cfg.DBMigrate.On(),
			Logger:         logger,
			Cipher:         c,
			MigratedFunc:   hooks.appliedFunc,
			LockWaitFunc:   hooks.lockWaitFunc,
		})
		if err != nil {
			return nil, err // it names the database, without the password
		}
		return s, nil
	}
	return nil, fmt.Errorf("db: unsupported driver %q", driver)
}
