package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

func (c *apiCLI) endpointsCmd() *cobra.Command {
	return c.group("endpoints", "Manage a tenant's endpoints: the URLs webhooks are sent to",
		c.endpointsList(), c.endpointsCreate(), c.endpointsGet(), c.endpointsUpdate(), c.endpointsDelete(),
		c.endpointsTest(), c.endpointsRotate(), c.endpointsRecover())
}

func (c *apiCLI) showEndpoint(e *httpapi.Endpoint) error {
	return c.emit(e, func(w *tabwriter.Writer) {
		timeout := "-"
		if e.Timeout != nil {
			timeout = time.Duration(*e.Timeout).String()
		}
		state := "enabled"
		if !e.Enabled {
			state = "disabled: " + e.DisabledReason
		}
		fmt.Fprintf(w, "id\t%s\nurl\t%s\nstate\t%s\nevent types\t%s\ndescription\t%s\n", e.ID, e.URL, state,
			orDash(strings.Join(e.EventTypes, ", ")), orDash(e.Description))
		fmt.Fprintf(w, "signature\t%s\ntimeout\t%s\nrate limit\t%g/s\nmax concurrency\t%d\nfailing since\t%s\n",
			e.Signature.Scheme, timeout, e.RateLimit, e.MaxConcurrency, optAgo(e.FailingSince))
		fmt.Fprintf(w, "created\t%s\nsecret prefix\t%s\n", ago(e.CreatedAt), e.SecretPrefix)
		if e.Secret != "" {
			fmt.Fprintf(w, "secret\t%s\t(shown once: give it to the receiver to verify signatures)\n", e.Secret)
		}
	})
}

func (c *apiCLI) endpointsList() *cobra.Command {
	var o httpapi.ListOptions
	var tenant string
	cmd := &cobra.Command{Use: "list", Short: "List a tenant's endpoints", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				es, next, err := cl.ListEndpoints(ctx, tenant, o)
				if err != nil {
					return err
				}
				return emitList(c, es, next, "ID\tURL\tENABLED\tEVENT TYPES", func(e httpapi.Endpoint) string {
					return fmt.Sprintf("%s\t%s\t%t\t%s", e.ID, short(e.URL, 60), e.Enabled, short(orDash(strings.Join(e.EventTypes, ",")), 40))
				})
			})
		}}
	tenantFlag(cmd, &tenant)
	pageFlags(cmd, &o)
	return cmd
}

// endpointFlags are the flags of create and update, named after the API's
// fields.
type endpointFlags struct {
	url, description, payload, timeout, metadata, secret string
	eventTypes, retrySchedule                            []string
	headers                                              map[string]string
	rateLimit                                            float64
	maxConcurrency                                       int
	enabled                                              bool
	scheme, sigHeader, sigPrefix                         string
}

func (f *endpointFlags) add(fs *pflag.FlagSet, update bool) {
	fs.StringVar(&f.url, "url", "", "the URL webhooks are POSTed to")
	fs.StringVar(&f.description, "description", "", "a note for people")
	fs.StringSliceVar(&f.eventTypes, "event-types", nil, "event types to receive: names, prefix.* or * (default all)")
	fs.StringToStringVar(&f.headers, "headers", nil, "custom headers sent with every webhook: Name=value,…")
	fs.Float64Var(&f.rateLimit, "rate-limit", 0, "requests per second at most (0: no limit)")
	fs.IntVar(&f.maxConcurrency, "max-concurrency", 0, "requests in flight at most (0: the default)")
	fs.StringVar(&f.timeout, "timeout", "", "time a request may take, such as 15s")
	fs.StringSliceVar(&f.retrySchedule, "retry-schedule", nil, "delays between attempts, such as 5s,5m,1h")
	fs.StringVar(&f.payload, "payload", "", "body shape: standard (default) or raw")
	fs.StringVar(&f.metadata, "metadata", "", "a JSON object kept with the endpoint (or @file)")
	fs.StringVar(&f.scheme, "signature-scheme", "", "standard-webhooks (default) or hmac-sha256")
	fs.StringVar(&f.sigHeader, "signature-header", "", "header of the hmac-sha256 signature, such as X-Signature")
	fs.StringVar(&f.sigPrefix, "signature-prefix", "", "prefix of the hmac-sha256 signature, such as sha256=")
	fs.BoolVar(&f.enabled, "enabled", true, "whether webhooks are sent to it")
	if !update {
		fs.StringVar(&f.secret, "secret", "", "the signing secret (whsec_…; default: a new one)")
	}
}

// patch returns the JSON Merge Patch of the flags that were given.
func (f *endpointFlags) patch(fs *pflag.FlagSet, cmd *cobra.Command) (map[string]any, error) {
	p := map[string]any{}
	set := func(flag, field string, v any) {
		if fs.Changed(flag) {
			p[field] = v
		}
	}
	set("url", "url", f.url)
	set("description", "description", f.description)
	set("event-types", "event_types", f.eventTypes)
	set("headers", "headers", f.headers)
	set("rate-limit", "rate_limit", f.rateLimit)
	set("max-concurrency", "max_concurrency", f.maxConcurrency)
	set("timeout", "timeout", f.timeout)
	set("retry-schedule", "retry_schedule", f.retrySchedule)
	set("payload", "payload", f.payload)
	set("enabled", "enabled", f.enabled)
	set("secret", "secret", f.secret)
	if fs.Changed("metadata") {
		m, err := readData("metadata", f.metadata, cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		p["metadata"] = m
	}
	if fs.Changed("signature-scheme") || fs.Changed("signature-header") || fs.Changed("signature-prefix") {
		p["signature"] = httpapi.Signature{Scheme: f.scheme, Header: f.sigHeader, Prefix: f.sigPrefix}
	}
	return p, nil
}

func (c *apiCLI) endpointsCreate() *cobra.Command {
	var f endpointFlags
	var tenant string
	cmd := &cobra.Command{Use: "create --url URL", Short: "Create an endpoint; prints its secret once",
		Example: `  hookd endpoints create --url https://example.com/hooks --event-types 'invoice.*,customer.created'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.patch(cmd.Flags(), cmd)
			if err != nil {
				return err
			}
			var in httpapi.EndpointInput
			if err := remarshal(p, &in); err != nil {
				return err
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				e, err := cl.CreateEndpoint(ctx, tenant, in)
				if err != nil {
					return err
				}
				return c.showEndpoint(e)
			})
		}}
	f.add(cmd.Flags(), false)
	_ = cmd.MarkFlagRequired("url")
	tenantFlag(cmd, &tenant)
	return cmd
}

// remarshal turns the patch of the flags into the creation input; the API
// checks the values (a bad --timeout is its 422).
func remarshal(p map[string]any, in *httpapi.EndpointInput) error {
	if t, ok := p["timeout"].(string); ok {
		d, err := time.ParseDuration(t)
		if err != nil {
			return &usageError{fmt.Errorf("--timeout %q: give a duration such as 15s", t)}
		}
		p["timeout"] = hookd.Duration(d).String()
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, in); err != nil {
		return &usageError{fmt.Errorf("endpoint flags: %w", err)}
	}
	return nil
}

func (c *apiCLI) endpointsUpdate() *cobra.Command {
	var f endpointFlags
	var tenant string
	cmd := &cobra.Command{Use: "update ENDPOINT", Short: "Change the fields of an endpoint that the flags name",
		Example: `  hookd endpoints update ep_… --enabled=false
  hookd endpoints update ep_… --event-types '*' --timeout 10s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.patch(cmd.Flags(), cmd)
			if err != nil {
				return err
			}
			if len(p) == 0 {
				return &usageError{fmt.Errorf("nothing to change: give the flags of the fields to change (see --help)")}
			}
			return c.call(cmd, func(ctx context.Context, cl *httpapi.Client) error {
				e, err := cl.PatchEndpoint(ctx, tenant, args[0], p)
				if err != nil {
					return err
				}
				return c.showEndpoint(e)
			})
		}}
	f.add(cmd.Flags(), true)
	tenantFlag(cmd, &tenant)
	return cmd
}
