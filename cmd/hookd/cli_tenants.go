package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) tenantsCmd() *cobra.Command {
	return c.group("tenants", "Manage tenants: whoever owns endpoints (one of your customers)",
		c.tenantsList(), c.tenantsGet(), c.tenantsCreate(), c.tenantsDelete())
}

func (c *apiCLI) showTenant(t *httpapi.Tenant) error {
	return c.emit(t, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "id\t%s\nmetadata\t%s\ncreated\t%s\nupdated\t%s\n", t.ID, orDash(string(t.Metadata)), ago(t.CreatedAt), ago(t.UpdatedAt))
	})
}

func (c *apiCLI) tenantsList() *cobra.Command {
	var o httpapi.ListOptions
	cmd := &cobra.Command{Use: "list", Short: "List tenants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				ts, next, err := cl.ListTenants(ctx, o)
				if err != nil {
					return err
				}
				return emitList(c, ts, next, "ID\tCREATED\tMETADATA", func(t httpapi.Tenant) string {
					return fmt.Sprintf("%s\t%s\t%s", t.ID, ago(t.CreatedAt), short(orDash(string(t.Metadata)), 60))
				})
			})
		}}
	pageFlags(cmd, &o)
	return cmd
}

func (c *apiCLI) tenantsGet() *cobra.Command {
	return &cobra.Command{Use: "get TENANT", Short: "Show a tenant", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				t, err := cl.GetTenant(ctx, args[0])
				if err != nil {
					return err
				}
				return c.showTenant(t)
			})
		}}
}

func (c *apiCLI) tenantsCreate() *cobra.Command {
	var metadata string
	cmd := &cobra.Command{Use: "create TENANT", Short: "Create a tenant, or update its metadata (PUT: safe to repeat)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in *httpapi.TenantInput
			if metadata != "" {
				m, err := readData("metadata", metadata, cmd.InOrStdin())
				if err != nil {
					return err
				}
				in = &httpapi.TenantInput{Metadata: m}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				t, _, err := cl.PutTenant(ctx, args[0], in)
				if err != nil {
					return err
				}
				return c.showTenant(t)
			})
		}}
	cmd.Flags().StringVar(&metadata, "metadata", "", `a JSON object kept with the tenant, such as '{"plan":"pro"}' (or @file)`)
	return cmd
}

func (c *apiCLI) tenantsDelete() *cobra.Command {
	return &cobra.Command{Use: "delete TENANT", Short: "Delete a tenant with its endpoints, events and deliveries",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				if err := cl.DeleteTenant(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted tenant " + args[0])
			})
		}}
}

// done confirms an action that answers nothing: a line for people, {} for
// scripts.
func (c *apiCLI) done(msg string) error {
	if c.json {
		_, err := fmt.Fprintln(c.stdout, "{}")
		return err
	}
	_, err := fmt.Fprintln(c.stdout, msg)
	return err
}

func orDash(s string) string {
	if s == "" || s == "null" {
		return "-"
	}
	return s
}
