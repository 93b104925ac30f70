package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) deliveriesCmd() *cobra.Command {
	return c.group("deliveries", "List deliveries across events and retry them in bulk",
		c.deliveriesList(), c.deliveriesRetry(), c.deliveriesRetryStatus())
}

// filterFlags are the filters of deliveries list and retry.
type filterFlags struct {
	status, eventType []string
	endpoint          string
	since, until      string
}

func (f *filterFlags) add(cmd *cobra.Command, states []string) {
	fs := cmd.Flags()
	fs.StringSliceVar(&f.status, "status", nil, "only these states: "+strings.Join(states, ", ")+" (repeat, or separate with commas)")
	fs.StringVar(&f.endpoint, "endpoint", "", "only deliveries to this endpoint (ep_…)")
	fs.StringSliceVar(&f.eventType, "event-type", nil, "only deliveries of events of these types")
	fs.StringVar(&f.since, "since", "", "only deliveries created at or after: RFC 3339, or a duration ago (24h)")
	fs.StringVar(&f.until, "until", "", "only deliveries created before: RFC 3339, or a duration ago")
	_ = cmd.RegisterFlagCompletionFunc("status", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return states, cobra.ShellCompDirectiveNoFileComp
	})
}

// filter is the API's filter; the server checks the states and types.
func (f *filterFlags) filter(now time.Time) (httpapi.DeliveryFilter, error) {
	out := httpapi.DeliveryFilter{EndpointID: f.endpoint, EventType: f.eventType}
	for _, st := range f.status {
		out.Status = append(out.Status, httpapi.DeliveryStatus(st))
	}
	for _, b := range []struct {
		flag, v string
		dst     **time.Time
	}{{"since", f.since, &out.Since}, {"until", f.until, &out.Until}} {
		if b.v == "" {
			continue
		}
		t, err := parseTime(b.flag, b.v, now)
		if err != nil {
			return out, err
		}
		*b.dst = &t
	}
	return out, nil
}

func stateNames() []string {
	var out []string
	for _, st := range hookd.DeliveryStates() {
		out = append(out, st.Name)
	}
	return out
}

func (c *apiCLI) deliveriesList() *cobra.Command {
	var ff filterFlags
	var o httpapi.ListOptions
	var tenant string
	cmd := &cobra.Command{Use: "list", Short: "List a tenant's deliveries, newest first",
		Example: `  hookd deliveries list --status failed,dead --since 24h
  hookd deliveries list --endpoint ep_… --event-type invoice.paid`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				ds, next, err := cl.ListDeliveries(ctx, tenant, httpapi.DeliveryListOptions{ListOptions: o, DeliveryFilter: f})
				if err != nil {
					return err
				}
				return emitList(c, ds, next, "ID\tEVENT\tENDPOINT\tSTATUS\tATTEMPTS\tLAST ATTEMPT\tNEXT ATTEMPT", func(d httpapi.Delivery) string {
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s\t%s", d.ID, d.EventID, d.EndpointID, d.Status, d.AttemptCount,
						optAgo(d.LastAttemptAt), optAgo(d.NextAttemptAt))
				})
			})
		}}
	ff.add(cmd, stateNames())
	_ = cmd.RegisterFlagCompletionFunc("event-type", c.completeEventTypes)
	tenantFlag(cmd, &tenant)
	pageFlags(cmd, &o)
	return cmd
}

func (c *apiCLI) showRetryJob(j *httpapi.RetryJob) error {
	return c.emit(j, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "id\t%s\nstatus\t%s\nselected\t%d\nqueued\t%d\nstarted\t%s\nfinished\t%s\n",
			j.ID, j.Status, j.Total, j.Queued, ago(j.CreatedAt), optAgo(j.FinishedAt))
		if j.Error != "" {
			fmt.Fprintf(w, "error\t%s\n", j.Error)
		}
	})
}

func (c *apiCLI) deliveriesRetry() *cobra.Command {
	var ff filterFlags
	var tenant string
	var wait bool
	cmd := &cobra.Command{Use: "retry", Short: "Send again, in the background, the failed and dead deliveries a filter selects",
		Example: `  hookd deliveries retry --status dead --endpoint ep_… --since 48h --wait`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				j, err := cl.RetryDeliveries(ctx, tenant, f)
				if err == nil && wait {
					j, err = waitRetryJob(ctx, cl, tenant, j)
				}
				if err != nil {
					return err
				}
				return c.showRetryJob(j)
			})
		}}
	ff.add(cmd, []string{hookd.StatusFailed, hookd.StatusDead})
	_ = cmd.RegisterFlagCompletionFunc("event-type", c.completeEventTypes)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the retry has queued every delivery")
	tenantFlag(cmd, &tenant)
	return cmd
}

// waitRetryJob polls a bulk retry until it ends.
func waitRetryJob(ctx context.Context, cl *httpapi.Client, tenant string, j *httpapi.RetryJob) (*httpapi.RetryJob, error) {
	for j.Status == hookd.RetryJobRunning {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("retry %s still running: %w (see hookd deliveries retry-status %s)", j.ID, ctx.Err(), j.ID)
		case <-time.After(500 * time.Millisecond):
		}
		var err error
		if j, err = cl.GetRetryJob(ctx, tenant, j.ID); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func (c *apiCLI) deliveriesRetryStatus() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{Use: "retry-status RETRY", Short: "Show the progress of a bulk retry (rtj_…)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				j, err := cl.GetRetryJob(ctx, tenant, args[0])
				if err != nil {
					return err
				}
				return c.showRetryJob(j)
			})
		}}
	tenantFlag(cmd, &tenant)
	return cmd
}
