package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) sourcesCmd() *cobra.Command {
	return c.group("sources", "Manage inbound sources: where third parties send webhooks (/in/ID)",
		c.sourcesList(), c.sourcesGet(), c.sourcesCreate(), c.sourcesUpdate(), c.sourcesDelete())
}

func (c *apiCLI) showSource(s *httpapi.Source) error {
	return c.emit(s, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "id\t%s\nreceives at\t/in/%s\ndescription\t%s\nspec\t%s\ncreated\t%s\n",
			s.ID, s.ID, orDash(s.Description), short(orDash(string(s.Spec)), 200), ago(s.CreatedAt))
	})
}

func (c *apiCLI) sourcesList() *cobra.Command {
	var o httpapi.ListOptions
	cmd := &cobra.Command{Use: "list", Short: "List sources by id", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				ss, next, err := cl.ListSources(ctx, o)
				if err != nil {
					return err
				}
				return emitList(c, ss, next, "ID\tDESCRIPTION\tCREATED", func(s httpapi.Source) string {
					return fmt.Sprintf("%s\t%s\t%s", s.ID, short(orDash(s.Description), 60), ago(s.CreatedAt))
				})
			})
		}}
	pageFlags(cmd, &o)
	return cmd
}

func (c *apiCLI) sourcesGet() *cobra.Command {
	return &cobra.Command{Use: "get SOURCE", Short: "Show a source", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				s, err := cl.GetSource(ctx, args[0])
				if err != nil {
					return err
				}
				return c.showSource(s)
			})
		}}
}

func (c *apiCLI) sourcesCreate() *cobra.Command {
	var spec string
	cmd := &cobra.Command{Use: "create --spec JSON", Short: "Create a source from its JSON (as the API takes it)",
		Example: `  hookd sources create --spec '{"id":"github","provider":"github","secret":"…","destinations":[…]}'
  hookd sources create --spec @github-source.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := readData("spec", spec, cmd.InOrStdin())
			if err != nil {
				return err
			}
			var in httpapi.Source
			if err := json.Unmarshal(raw, &in); err != nil {
				return &usageError{fmt.Errorf("--spec: %w", err)}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				s, err := cl.CreateSource(ctx, in)
				if err != nil {
					return err
				}
				return c.showSource(s)
			})
		}}
	cmd.Flags().StringVar(&spec, "spec", "", "the source as JSON: JSON, @file or @- (required)")
	_ = cmd.MarkFlagRequired("spec")
	return cmd
}

func (c *apiCLI) sourcesUpdate() *cobra.Command {
	var p string
	cmd := &cobra.Command{Use: "update SOURCE --patch JSON", Short: "Change a source with a JSON Merge Patch",
		Example: `  hookd sources update github --patch '{"description":"GitHub org hooks"}'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readData("patch", p, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				s, err := cl.PatchSource(ctx, args[0], json.RawMessage(raw))
				if err != nil {
					return err
				}
				return c.showSource(s)
			})
		}}
	cmd.Flags().StringVar(&p, "patch", "", "JSON Merge Patch of the source: JSON, @file or @- (required)")
	_ = cmd.MarkFlagRequired("patch")
	return cmd
}

func (c *apiCLI) sourcesDelete() *cobra.Command {
	return &cobra.Command{Use: "delete SOURCE", Short: "Delete a source with its request log", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				if err := cl.DeleteSource(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted source " + args[0])
			})
		}}
}

func (c *apiCLI) requestsCmd() *cobra.Command {
	return c.group("requests", "Inspect and replay the inbound requests a source received",
		c.requestsList(), c.requestsReplay())
}

func (c *apiCLI) requestsList() *cobra.Command {
	var o httpapi.RequestListOptions
	var source string
	var accepted, rejected bool
	cmd := &cobra.Command{Use: "list --source SOURCE", Short: "List a source's requests, newest first, rejected ones too",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if accepted && rejected {
				return &usageError{fmt.Errorf("--accepted and --rejected exclude each other")}
			}
			if accepted || rejected {
				o.Accepted = &accepted
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				rs, next, err := cl.ListRequests(ctx, source, o)
				if err != nil {
					return err
				}
				return emitList(c, rs, next, "ID\tRECEIVED\tSTATUS\tACCEPTED\tREASON", func(r httpapi.Request) string {
					return fmt.Sprintf("%s\t%s\t%d\t%t\t%s", r.ID, ago(r.ReceivedAt), r.Status, r.Accepted, short(orDash(r.Reason), 60))
				})
			})
		}}
	f := cmd.Flags()
	f.StringVar(&source, "source", "", "the source (required)")
	f.BoolVar(&accepted, "accepted", false, "only accepted requests")
	f.BoolVar(&rejected, "rejected", false, "only rejected requests")
	f.IntVar(&o.Status, "status", 0, "only requests answered with this HTTP status")
	_ = cmd.MarkFlagRequired("source")
	pageFlags(cmd, &o.ListOptions)
	return cmd
}

func (c *apiCLI) requestsReplay() *cobra.Command {
	var source string
	cmd := &cobra.Command{Use: "replay --source SOURCE REQUEST", Short: "Route a stored request again (forwards and events)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				r, err := cl.ReplayRequest(ctx, source, args[0])
				if err != nil {
					return err
				}
				return c.emit(r, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "replayed as\t%s\nevents\t%d\n", r.ID, len(r.EventIDs))
				})
			})
		}}
	cmd.Flags().StringVar(&source, "source", "", "the source (required)")
	_ = cmd.MarkFlagRequired("source")
	return cmd
}
