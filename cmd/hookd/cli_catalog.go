package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) eventTypesCmd() *cobra.Command {
	return c.group("event-types", "Manage the event catalog: event types with their schemas and examples",
		c.eventTypesList(), c.eventTypesGet(), c.eventTypesCreate(), c.eventTypesUpdate(), c.eventTypesDelete())
}

func (c *apiCLI) showEventType(t *httpapi.EventType) error {
	return c.emit(t, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "name\t%s\ndescription\t%s\ngroup\t%s\nmethod\t%s\ndeprecated\t%t\nschema\t%s\nexamples\t%d\n",
			t.Name, orDash(t.Description), orDash(t.Group), t.Method, t.Deprecated, short(orDash(string(t.Schema)), 120), len(t.Examples))
	})
}

func (c *apiCLI) eventTypesList() *cobra.Command {
	var o httpapi.ListOptions
	cmd := &cobra.Command{Use: "list", Short: "List event types by name", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				ts, next, err := cl.ListEventTypes(ctx, o)
				if err != nil {
					return err
				}
				return emitList(c, ts, next, "NAME\tGROUP\tDEPRECATED\tDESCRIPTION", func(t httpapi.EventType) string {
					return fmt.Sprintf("%s\t%s\t%t\t%s", t.Name, orDash(t.Group), t.Deprecated, short(orDash(t.Description), 60))
				})
			})
		}}
	pageFlags(cmd, &o)
	return cmd
}

func (c *apiCLI) eventTypesGet() *cobra.Command {
	return &cobra.Command{Use: "get NAME", Short: "Show an event type", Args: cobra.ExactArgs(1),
		ValidArgsFunction: c.completeEventTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				t, err := cl.GetEventType(ctx, args[0])
				if err != nil {
					return err
				}
				return c.showEventType(t)
			})
		}}
}

// typeFlags are the flags of event-types create and update.
type typeFlags struct {
	description, group, schema, examples, method string
	deprecated                                   bool
}

func (f *typeFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.description, "description", "", "what the event means")
	fs.StringVar(&f.group, "group", "", "a group for the docs, such as billing")
	fs.StringVar(&f.schema, "schema", "", "JSON Schema (2020-12) of the data: JSON, @file or @-")
	fs.StringVar(&f.examples, "examples", "", "a JSON array of example data values (or @file)")
	fs.StringVar(&f.method, "method", "", "HTTP method of deliveries: POST (default), PUT or PATCH")
	fs.BoolVar(&f.deprecated, "deprecated", false, "mark the type deprecated")
}

// patch returns the members of the flags that were given.
func (f *typeFlags) patch(cmd *cobra.Command) (map[string]any, error) {
	fs, p := cmd.Flags(), map[string]any{}
	for flag, v := range map[string]any{"description": f.description, "group": f.group, "method": f.method, "deprecated": f.deprecated} {
		if fs.Changed(flag) {
			p[flag] = v
		}
	}
	for _, flag := range []string{"schema", "examples"} {
		if !fs.Changed(flag) {
			continue
		}
		v, _ := fs.GetString(flag)
		raw, err := readData(flag, v, cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		p[flag] = raw
	}
	return p, nil
}

func (c *apiCLI) eventTypesCreate() *cobra.Command {
	var f typeFlags
	cmd := &cobra.Command{Use: "create NAME", Short: "Create an event type", Args: cobra.ExactArgs(1),
		Example: `  hookd event-types create invoice.paid --description "An invoice was paid" --schema @invoice.schema.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.patch(cmd)
			if err != nil {
				return err
			}
			p["name"] = args[0]
			var in httpapi.EventTypeInput
			if b, err := json.Marshal(p); err != nil || json.Unmarshal(b, &in) != nil {
				return &usageError{fmt.Errorf("--examples: must be a JSON array")}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				t, err := cl.CreateEventType(ctx, in)
				if err != nil {
					return err
				}
				return c.showEventType(t)
			})
		}}
	f.add(cmd.Flags())
	return cmd
}

func (c *apiCLI) eventTypesUpdate() *cobra.Command {
	var f typeFlags
	cmd := &cobra.Command{Use: "update NAME", Short: "Change the fields of an event type that the flags name", Args: cobra.ExactArgs(1),
		ValidArgsFunction: c.completeEventTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.patch(cmd)
			if err != nil {
				return err
			}
			if len(p) == 0 {
				return &usageError{fmt.Errorf("nothing to change: give the flags of the fields to change (see --help)")}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				t, err := cl.PatchEventType(ctx, args[0], p)
				if err != nil {
					return err
				}
				return c.showEventType(t)
			})
		}}
	f.add(cmd.Flags())
	return cmd
}

func (c *apiCLI) eventTypesDelete() *cobra.Command {
	return &cobra.Command{Use: "delete NAME", Short: "Delete an event type", Args: cobra.ExactArgs(1),
		ValidArgsFunction: c.completeEventTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				if err := cl.DeleteEventType(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted event type " + args[0])
			})
		}}
}

// completeEventTypes completes event type names from the server.
func (c *apiCLI) completeEventTypes(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	var names []string
	_ = c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
		ts, _, err := cl.ListEventTypes(ctx, httpapi.ListOptions{Limit: 250})
		for _, t := range ts {
			if strings.HasPrefix(t.Name, prefix) {
				names = append(names, t.Name)
			}
		}
		return err
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}

// triggerCmd publishes an event type's example ("stripe trigger").
func (c *apiCLI) triggerCmd() *cobra.Command {
	var tenant, data, key string
	cmd := &cobra.Command{Use: "trigger TYPE", Short: "Publish an event of a type with the catalog's example data",
		Long: `trigger publishes an event of TYPE to a tenant: with --data, that data;
otherwise the event type's first example, or, when it has none, a sample
made from its schema. Use it to see a webhook arrive ("hookd listen").`,
		Example: `  hookd trigger invoice.paid
  hookd trigger invoice.paid --tenant acme --data @paid.json`,
		GroupID: "manage", Args: cobra.ExactArgs(1), ValidArgsFunction: c.completeEventTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw []byte
			if data != "" {
				var err error
				if raw, err = readData("data", data, cmd.InOrStdin()); err != nil {
					return err
				}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				if raw == nil {
					t, err := cl.GetEventType(ctx, args[0])
					if err != nil {
						return err
					}
					raw = exampleOf(t)
				}
				return c.publish(ctx, cl, tenant, args[0], raw, key)
			})
		}}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "the event's data instead of the example: JSON, @file or @-")
	f.StringVar(&key, "id", "", "idempotency key: a repeat within 24 h returns the first event")
	f.StringVar(&c.url, "url", "", "hookd's base URL (default $HOOKD_URL, else "+defaultURL+")")
	f.StringVar(&c.apiKey, "api-key", "", "API key (default $HOOKD_API_KEY)")
	f.BoolVar(&c.json, "json", false, "print the API's JSON")
	tenantFlag(cmd, &tenant)
	return cmd
}

// exampleOf is the data trigger publishes: the first example, else a
// sample of the schema, else {}.
func exampleOf(t *httpapi.EventType) []byte {
	if len(t.Examples) > 0 {
		return t.Examples[0]
	}
	if len(t.Schema) > 0 && string(t.Schema) != "null" {
		if s := catalog.SampleData(t.Schema); len(s) > 0 {
			return s
		}
	}
	return []byte(`{}`)
}
