package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookd/hookd/config"
)

// serveFlags are the configuration keys that "hookd serve" takes as flags,
// named config.FlagName(key). Every other key is set in the file or the
// environment.
var serveFlags = []struct{ key, usage string }{
	{"addr", fmt.Sprintf("address to listen on (default %q)", config.DefaultAddr)},
	{"db", fmt.Sprintf("store: sqlite:PATH or postgres://… (default %q)", config.DefaultDatabase)},
	{"api_key", "API key of the REST API (prefer HOOKD_API_KEY: flags show in ps)"},
	{"ssrf.allow", "comma-separated CIDRs outbound requests may reach although the SSRF guard blocks them"},
	{"receive.addr", "address of a listener of its own for inbound sources (default: sources are served on --addr)"},
}

func newServeCmd(env []string, stderr io.Writer) *cobra.Command {
	var (
		configPath string
		noMigrate  bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hookd server",
		Long: "Run the hookd server. Configuration comes from the YAML file " +
			"(--config, else ./hookd.yaml if it exists), then HOOKD_* environment " +
			"variables, then flags. With no configuration it stores its data in ./hookd.db.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.LoadOptions{
				Path:  configPath,
				Env:   env,
				Flags: changedFlags(cmd.Flags()),
			})
			if err != nil {
				return fmt.Errorf("load config: %w", err)
			}
			if noMigrate {
				cfg.DBMigrate = config.SwitchOff
			}
			return serve(cmd.Context(), cfg, stderr)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (default ./hookd.yaml if it exists)")
	cmd.Flags().BoolVar(&noMigrate, "no-migrate", false, `do not apply database migrations (as db_migrate: false); see "hookd migrate"`)
	for _, f := range serveFlags {
		cmd.Flags().String(config.FlagName(f.key), "", f.usage)
	}
	return cmd
}

// changedFlags returns the configuration keys whose flags were given, with
// their values, so that flags left out do not override the file or the
// environment.
func changedFlags(fs *pflag.FlagSet) map[string]string {
	m := map[string]string{}
	for _, f := range serveFlags {
		if fl := fs.Lookup(config.FlagName(f.key)); fl != nil && fl.Changed {
			m[f.key] = fl.Value.String()
		}
	}
	return m
}

// serve runs hookd until ctx is done, then shuts down gracefully: it stops
// accepting, drains requests in flight within server.shutdown_timeout and
// closes the store. Logs go to stderr.
func serve(ctx context.Context, cfg *config.Config, stderr io.Writer) (err error) {
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	if cfg.NodeID == "" {
		cfg.NodeID = defaultNodeID()
	}
	// cfg's LogValue leaves the API key and database password out.
	logger.Info("starting", "version", versionString(), "config", cfg)

	// The certificate is read before the store opens: a bad one fails fast.
	door, err := newFrontDoor(ctx, cfg, logger)
	if err != nil {
		return err
	}
	n, err := startNode(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, n.close(ctx))
		if err == nil {
			logger.Info("stopped")
		}
	}()
	return runHTTP(ctx, cfg, door, n.handler, n.receiveHandler, logger)
}

// newLogger returns a logger writing to w in the configured format and
// level.
func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	level, err := c.SlogLevel()
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// defaultNodeID returns the host name with a random suffix, so that two
// processes on one host never share an id.
func defaultNodeID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return -1
	}, host)
	if len(host) > 50 {
		host = host[:50]
	}
	if host == "" {
		host = "hookd"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return host + "-" + hex.EncodeToString(b)
}
