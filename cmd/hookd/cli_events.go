package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) eventsCmd() *cobra.Command {
	return c.group("events", "Publish events and inspect their deliveries",
		c.eventsPublish(), c.eventsList(), c.eventsGet(), c.eventsRetry())
}

func (c *apiCLI) showEvent(ev *httpapi.Event) error {
	return c.emit(ev, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "id\t%s\ntenant\t%s\ntype\t%s\ncreated\t%s\ndata\t%s\n", ev.ID, ev.Tenant, ev.Type, ago(ev.CreatedAt), short(string(ev.Data), 200))
	})
}

func (c *apiCLI) eventsPublish() *cobra.Command {
	var tenant, typ, data, key, file string
	cmd := &cobra.Command{Use: "publish --type TYPE --data JSON | --file FILE",
		Short: "Publish an event, or a file of events, to the tenant's subscribed endpoints",
		Long: `Publish one event (--type, --data), or every event of a file (--file): a JSON
array of events, or one event per line (NDJSON), each {"type", "data", "id"?}
with id its idempotency key. A file goes in batches of up to 1000 events,
each stored all or none; a refused batch stops the run, and the error
points at its events counted from the file's first.`,
		Example: `  hookd events publish --type invoice.paid --data '{"invoice":"in_1","amount":4200}'
  hookd events publish --type invoice.paid --data @invoice.json --id order-1234-paid
  hookd events publish --file events.ndjson
  producer | hookd events publish --file -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				if typ != "" || data != "" || key != "" {
					return &usageError{errors.New("--file gives every event's type, data and id: leave out --type, --data and --id")}
				}
				cl, err := c.client()
				if err != nil {
					return err
				}
				return problemError(c.publishFile(cmd.Context(), cl, tenant, file, cmd.InOrStdin()))
			}
			if typ == "" || data == "" {
				return &usageError{errors.New("--type and --data are required (or --file to publish events from a file)")}
			}
			raw, err := readData("data", data, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				return c.publish(ctx, cl, tenant, typ, raw, key)
			})
		}}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "event type, such as invoice.paid")
	f.StringVar(&data, "data", "", "the event's data: JSON, @file or @- for stdin")
	f.StringVar(&key, "id", "", "idempotency key: a repeat within 24 h returns the first event")
	f.StringVar(&file, "file", "", "publish the events of this file (- for stdin): a JSON array or NDJSON")
	tenantFlag(cmd, &tenant)
	_ = cmd.RegisterFlagCompletionFunc("type", c.completeEventTypes)
	return cmd
}

// publish publishes and shows the event.
func (c *apiCLI) publish(ctx context.Context, cl *httpapi.Client, tenant, typ string, data []byte, key string) error {
	var opts []httpapi.PublishOption
	if key != "" {
		opts = append(opts, httpapi.WithIdempotencyKey(key))
	}
	ev, err := cl.Publish(ctx, tenant, typ, json.RawMessage(data), opts...)
	if err != nil {
		return err
	}
	return c.showEvent(ev)
}

func (c *apiCLI) eventsList() *cobra.Command {
	var o httpapi.EventListOptions
	var tenant, after, before string
	cmd := &cobra.Command{Use: "list", Short: "List a tenant's events, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if after != "" {
				if o.After, err = parseTime("after", after, time.Now()); err != nil {
					return err
				}
			}
			if before != "" {
				if o.Before, err = parseTime("before", before, time.Now()); err != nil {
					return err
				}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				es, next, err := cl.ListEvents(ctx, tenant, o)
				if err != nil {
					return err
				}
				return emitList(c, es, next, "ID\tTYPE\tCREATED\tDATA", func(e httpapi.Event) string {
					return fmt.Sprintf("%s\t%s\t%s\t%s", e.ID, e.Type, ago(e.CreatedAt), short(string(e.Data), 50))
				})
			})
		}}
	f := cmd.Flags()
	f.StringSliceVar(&o.Types, "type", nil, "only these event types (repeat, or separate with commas)")
	f.StringVar(&after, "after", "", "only events created at or after: RFC 3339, or a duration ago (24h)")
	f.StringVar(&before, "before", "", "only events created before: RFC 3339, or a duration ago")
	tenantFlag(cmd, &tenant)
	pageFlags(cmd, &o.ListOptions)
	return cmd
}

func (c *apiCLI) eventsGet() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{Use: "get EVENT", Short: "Show an event with its deliveries and their attempts", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				ev, err := cl.GetEvent(ctx, tenant, args[0])
				if err != nil {
					return err
				}
				return c.emit(ev, func(w *tabwriter.Writer) { eventDetailTable(w, ev) })
			})
		}}
	tenantFlag(cmd, &tenant)
	return cmd
}

func eventDetailTable(w *tabwriter.Writer, ev *httpapi.EventDetail) {
	fmt.Fprintf(w, "id\t%s\ntype\t%s\ncreated\t%s\ndata\t%s\n\n", ev.ID, ev.Type, ago(ev.CreatedAt), short(string(ev.Data), 200))
	fmt.Fprintln(w, "DELIVERY\tENDPOINT\tSTATUS\tATTEMPTS\tNEXT ATTEMPT")
	for _, d := range ev.Deliveries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", d.ID, d.EndpointID, d.Status, d.AttemptCount, optAgo(d.NextAttemptAt))
		for _, a := range d.Attempts {
			outcome := fmt.Sprintf("%d", a.ResponseStatus)
			if a.Error != "" {
				outcome = short(a.Error, 60)
			}
			fmt.Fprintf(w, "  #%d\t%s\t%s\t%.0f ms\t%s\n", a.Number, ago(a.StartedAt), outcome, a.LatencyMS,
				short(strings.TrimSpace(a.ResponseBody), 40))
		}
	}
}

func (c *apiCLI) eventsRetry() *cobra.Command {
	var tenant string
	var in httpapi.RetryEventInput
	cmd := &cobra.Command{Use: "retry EVENT", Short: "Send again an event's failed and dead deliveries (--endpoint: one delivery, --include-succeeded: a succeeded one too)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				n, err := retryEvent(ctx, cl, tenant, args[0], in)
				if err != nil {
					return err
				}
				return c.emit(httpapi.Queued{Queued: n}, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "%d deliveries queued again\n", n)
				})
			})
		}}
	tenantFlag(cmd, &tenant)
	cmd.Flags().StringVar(&in.EndpointID, "endpoint", "", "only the event's delivery to this endpoint")
	cmd.Flags().BoolVar(&in.IncludeSucceeded, "include-succeeded", false, "send a succeeded delivery again too")
	return cmd
}

// retryEvent retries an event's deliveries, or the one to in.EndpointID.
func retryEvent(ctx context.Context, cl *httpapi.Client, tenant, id string, in httpapi.RetryEventInput) (int, error) {
	if in.EndpointID == "" && !in.IncludeSucceeded {
		return cl.RetryEvent(ctx, tenant, id)
	}
	return cl.RetryDelivery(ctx, tenant, id, in.EndpointID, in.IncludeSucceeded)
}
