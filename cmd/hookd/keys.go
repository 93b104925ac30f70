package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// keysTimeout bounds one "hookd keys" command.
const keysTimeout = time.Minute

func newKeysCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys, working on the store directly",
		Long: "Create, list and revoke the REST API's keys in the configured store (--db, else the " +
			"configuration as \"hookd serve\" reads it), without a running server: the way back in " +
			"when no key is at hand. On SQLite, stop hookd first: one process owns the file.",
	}
	cmd.AddCommand(newKeysCreateCmd(env, stdout, stderr), newKeysListCmd(env, stdout, stderr),
		newKeysRevokeCmd(env, stdout, stderr))
	return cmd
}

// withStore loads the configuration, opens the store and runs fn.
// fn's logger is the configured one: it logs each change to a key.
func withStore(cmd *cobra.Command, sf *storeFlags, env []string, stderr io.Writer, fn func(context.Context, hookd.Store, *slog.Logger) error) error {
	cfg, err := sf.load(cmd, env)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), keysTimeout)
	defer cancel()
	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	err = fn(ctx, store, logger)
	if cerr := store.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	return err
}

func newKeysCreateCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	var (
		sf       storeFlags
		k        hookd.APIKey
		tenant   string
		expireIn time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME [--tenant ID] [--read-only] [--expires-in DURATION]",
		Short: "Create an API key and print it, once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k.Scope = hookd.ScopeAdmin
			if tenant != "" {
				k.Scope = hookd.TenantScope(tenant)
			}
			if expireIn < 0 {
				return &usageError{fmt.Errorf("--expires-in must be positive")}
			}
			if expireIn > 0 {
				k.ExpiresAt = time.Now().Add(expireIn).UTC()
			}
			if err := k.Validate(); err != nil {
				return &usageError{err}
			}
			return withStore(cmd, &sf, env, stderr, func(ctx context.Context, store hookd.Store, logger *slog.Logger) error {
				return createKeyCLI(ctx, store, logger, &k, stdout)
			})
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&k.Name, "name", "", "what the key is for (required)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "limit the key to this tenant (default: an admin key)")
	cmd.Flags().BoolVar(&k.ReadOnly, "read-only", false, "the key may only read (GET)")
	cmd.Flags().DurationVar(&expireIn, "expires-in", 0, "the key stops working after this long, such as 720h (default: never)")
	return cmd
}

func createKeyCLI(ctx context.Context, store hookd.Store, logger *slog.Logger, k *hookd.APIKey, stdout io.Writer) error {
	if t := k.TenantID(); t != "" {
		if _, err := store.GetTenant(ctx, t); err != nil {
			return fmt.Errorf("tenant %q: %w", t, err)
		}
	}
	key, stored, err := httpapi.CreateAPIKey(ctx, store, k)
	if err != nil {
		return err
	}
	httpapi.LogKeyChange(ctx, logger, hookd.LogActorCLI, hookd.LogActionCreated, stored)
	_, err = fmt.Fprintf(stdout, "created API key %s (%s, scope %s%s). It is shown only now:\n\n    %s\n\n",
		stored.ID, stored.Name, stored.Scope, readOnlyNote(stored.ReadOnly), key)
	return err
}

func readOnlyNote(ro bool) string {
	if ro {
		return ", read-only"
	}
	return ""
}

func newKeysListCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, &sf, env, stderr, func(ctx context.Context, store hookd.Store, logger *slog.Logger) error {
				keys, err := store.ListAPIKeys(ctx)
				if err != nil {
					return err
				}
				return printKeys(stdout, keys)
			})
		},
	}
	sf.add(cmd)
	return cmd
}

func printKeys(w io.Writer, keys []*hookd.APIKey) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPE\tREAD-ONLY\tEXPIRES\tCREATED\tLAST USED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n", k.ID, k.Name, orDash(k.Prefix), k.Scope, k.ReadOnly,
			when(k.ExpiresAt), when(k.CreatedAt), when(k.LastUsedAt))
	}
	return tw.Flush()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newKeysRevokeCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key: every node refuses it within 2 seconds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, &sf, env, stderr, func(ctx context.Context, store hookd.Store, logger *slog.Logger) error {
				k, err := store.GetAPIKey(ctx, args[0])
				if err != nil {
					return err
				}
				if err := store.DeleteAPIKey(ctx, args[0]); err != nil {
					return err
				}
				httpapi.LogKeyChange(ctx, logger, hookd.LogActorCLI, hookd.LogActionRevoked, k)
				_, err = fmt.Fprintf(stdout, "revoked API key %s\n", args[0])
				return err
			})
		},
	}
	sf.add(cmd)
	return cmd
}
