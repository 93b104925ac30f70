package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/config"
)

// migrateTimeout bounds "hookd migrate", which may wait for another node
// that is migrating the same database.
const migrateTimeout = 10 * time.Minute

func newMigrateCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	var configPath, db string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations and exit",
		Long: "Apply the database migrations of the configured store (--db, else the " +
			"configuration as \"hookd serve\" reads it) and exit. \"hookd serve\" applies them " +
			"itself unless db_migrate is false or --no-migrate is given; with several nodes on " +
			"PostgreSQL, run this once per upgrade before starting them. Nodes migrating at " +
			"once take turns under a PostgreSQL advisory lock.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := map[string]string{}
			if cmd.Flags().Changed("db") {
				flags["db"] = db
			}
			cfg, err := config.Load(config.LoadOptions{Path: configPath, Env: env, Flags: flags})
			if err != nil {
				return fmt.Errorf("load config: %w", err)
			}
			logger, err := newLogger(cfg.Log, stderr)
			if err != nil {
				return err
			}
			return migrate(cmd.Context(), cfg, logger, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (default ./hookd.yaml if it exists)")
	cmd.Flags().StringVar(&db, "db", "", fmt.Sprintf("store: sqlite:PATH or postgres://… (default %q)", config.DefaultDatabase))
	return cmd
}

// migrate opens the store with its migrations applied, and closes it. It
// lists the migrations it applied on stdout, and says on stderr when it
// waits for another node's migration.
func migrate(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	cfg.DBMigrate = config.SwitchOn
	db := describeDatabase(cfg)
	applied := 0
	c, err := storeCipher(cfg, nil)
	if err != nil {
		return err
	}
	store, err := openStoreWith(ctx, cfg, c, logger, migrateHooks{
		appliedFunc: func(version int64, name string) {
			applied++
			fmt.Fprintf(stdout, "applied %s\n", name)
		},
		lockWaitFunc: func() {
			fmt.Fprintf(stderr, "waiting for another node to finish migrating %s (PostgreSQL advisory lock; up to 5 minutes)…\n", db)
		},
	})
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	switch applied {
	case 0:
		_, err = fmt.Fprintf(stdout, "%s was up to date: no migration to apply\n", db)
	default:
		_, err = fmt.Fprintf(stdout, "%s is up to date: %d migration(s) applied\n", db, applied)
	}
	return err
}

// describeDatabase names the configured database without its password.
func describeDatabase(cfg *config.Config) string {
	driver, dsn, err := cfg.DB()
	if err != nil || driver == config.DriverSQLite {
		return cfg.Database
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL database"
	}
	return u.Redacted()
}
