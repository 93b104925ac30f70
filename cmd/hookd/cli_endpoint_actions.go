package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/httpapi"
)

// endpointCmd makes a subcommand that takes one endpoint id and --tenant.
func (c *apiCLI) endpointCmd(use, short string, run func(ctx context.Context, cl *httpapi.Client, tenant, id string) error) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{Use: use + " ENDPOINT", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				return run(ctx, cl, tenant, args[0])
			})
		}}
	tenantFlag(cmd, &tenant)
	return cmd
}

func (c *apiCLI) endpointsGet() *cobra.Command {
	return c.endpointCmd("get", "Show an endpoint", func(ctx context.Context, cl *httpapi.Client, tenant, id string) error {
		e, err := cl.GetEndpoint(ctx, tenant, id)
		if err != nil {
			return err
		}
		return c.showEndpoint(e)
	})
}

func (c *apiCLI) endpointsDelete() *cobra.Command {
	return c.endpointCmd("delete", "Delete an endpoint", func(ctx context.Context, cl *httpapi.Client, tenant, id string) error {
		if err := cl.DeleteEndpoint(ctx, tenant, id); err != nil {
			return err
		}
		return c.done("deleted endpoint " + id)
	})
}

func (c *apiCLI) endpointsTest() *cobra.Command {
	cmd := c.endpointCmd("test", "Send a test event to an endpoint, whatever its filter (webhook.test, or --type with its example or --data)", nil)
	var in httpapi.TestEventInput
	var data string
	cmd.Flags().StringVar(&in.EventType, "type", "", "a type of the event catalog (default: webhook.test)")
	cmd.Flags().StringVar(&data, "data", "", "the event's data as JSON (default: the type's first example)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, _ := cmd.Flags().GetString("tenant")
		if data != "" {
			if !json.Valid([]byte(data)) {
				return fmt.Errorf("--data must be JSON")
			}
			in.Data = json.RawMessage(data)
		}
		return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
			ev, err := cl.SendTestEvent(ctx, tenant, args[0], in)
			if err != nil {
				return err
			}
			return c.emit(ev, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "sent %s (%s): see hookd events get %s --tenant %s\n", ev.ID, ev.Type, ev.ID, tenant)
			})
		})
	}
	return cmd
}

func (c *apiCLI) endpointsRotate() *cobra.Command {
	cmd := c.endpointCmd("rotate-secret", "Give an endpoint a new secret; the old ones keep signing for 24 hours", nil)
	var secret string
	cmd.Flags().StringVar(&secret, "secret", "", "the new secret (whsec_…; default: a new one)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, _ := cmd.Flags().GetString("tenant")
		return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
			s, err := rotateSecret(ctx, cl, tenant, args[0], secret)
			if err != nil {
				return err
			}
			return c.emit(httpapi.SecretResult{Secret: s}, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "new secret\t%s\t(shown once)\n", s)
			})
		})
	}
	return cmd
}

// rotateSecret rotates to secret, or to a generated one when it is "".
func rotateSecret(ctx context.Context, cl *httpapi.Client, tenant, id, secret string) (string, error) {
	if secret == "" {
		return cl.RotateSecret(ctx, tenant, id)
	}
	return cl.RotateSecretTo(ctx, tenant, id, secret)
}

func (c *apiCLI) endpointsRecover() *cobra.Command {
	cmd := c.endpointCmd("recover", "Send again an endpoint's failed and dead deliveries created since a time", nil)
	var since string
	cmd.Flags().StringVar(&since, "since", "", "RFC 3339 time, or a duration ago such as 24h (required)")
	_ = cmd.MarkFlagRequired("since")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, _ := cmd.Flags().GetString("tenant")
		t, err := parseTime("since", since, time.Now())
		if err != nil {
			return err
		}
		return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
			n, err := cl.RecoverEndpoint(ctx, tenant, args[0], t)
			if err != nil {
				return err
			}
			return c.emit(httpapi.Queued{Queued: n}, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "%d deliveries queued again\n", n)
			})
		})
	}
	return cmd
}
