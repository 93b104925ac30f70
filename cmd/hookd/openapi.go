package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/httpapi"
)

// newOpenAPICmd builds "hookd openapi", which prints the OpenAPI 3.1
// document: the REST API and the webhooks of the event types declared in
// the configuration file and, with --db, of those stored in the database
// (the types created through the API too, as GET /openapi.json shows).
func newOpenAPICmd(env []string, stdout io.Writer) *cobra.Command {
	var configPath, db string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI 3.1 document",
		Long: "Print the OpenAPI 3.1 document of hookd: the REST API, and a webhooks section with the " +
			"event types declared in the configuration file (--config, else ./hookd.yaml if it exists). " +
			"With --db it adds the event types stored in that database, those created through the API " +
			"included (a SQLite file can be read only while no server holds it); a running server's " +
			"GET /openapi.json shows the same.",
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
			types, err := configEventTypes(cfg)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("db") {
				if types, err = withStoredTypes(cmd.Context(), cfg, types); err != nil {
					return err
				}
			}
			doc, err := httpapi.OpenAPIShaped(versionString(), types, cfg.Delivery.Payload)
			if err != nil {
				return err
			}
			_, err = stdout.Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (default ./hookd.yaml if it exists)")
	cmd.Flags().StringVar(&db, "db", "", "also document the event types stored in this database (sqlite:PATH or postgres://…)")
	return cmd
}

// withStoredTypes adds to the configured types those stored in the
// database that the configuration does not declare (a server stores the
// configured ones at start, replacing what the API changed in them).
func withStoredTypes(ctx context.Context, cfg *config.Config, types []*hookd.EventType) ([]*hookd.EventType, error) {
	cfg.DBMigrate = config.SwitchOff
	store, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	stored, err := store.ListEventTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	declared := make(map[string]bool, len(types))
	for _, t := range types {
		declared[t.Name] = true
	}
	for _, t := range stored {
		if !declared[t.Name] {
			types = append(types, t)
		}
	}
	slices.SortFunc(types, func(a, b *hookd.EventType) int { return strings.Compare(a.Name, b.Name) })
	return types, nil
}
