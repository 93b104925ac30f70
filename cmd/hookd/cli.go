package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/httpapi"
)

// defaultURL is the server the management commands talk to when neither
// --url nor HOOKD_URL says otherwise: "hookd serve" with no flags.
const defaultURL = "http://127.0.0.1:8080"

// cliTimeout bounds one management command.
const cliTimeout = 2 * time.Minute

// apiCLI holds what every management command shares: the connection
// flags, the output streams and the output mode.
type apiCLI struct {
	env    []string
	stdout io.Writer
	stderr io.Writer
	url    string
	apiKey string
	json   bool
}

// lookup returns the environment variable name, "" when unset.
func (c *apiCLI) lookup(name string) string {
	for _, kv := range c.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// group makes the command of one resource ("hookd endpoints"), whose
// subcommands take the connection flags.
func (c *apiCLI) group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, GroupID: "manage",
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	f := cmd.PersistentFlags()
	f.StringVar(&c.url, "url", "", "hookd's base URL (default $HOOKD_URL, else "+defaultURL+")")
	f.StringVar(&c.apiKey, "api-key", "", "API key (default $HOOKD_API_KEY; prefer the variable: flags show in ps)")
	f.BoolVar(&c.json, "json", false, "print the API's JSON instead of a table")
	cmd.AddCommand(subs...)
	return cmd
}

// client returns the API client the flags and environment describe.
func (c *apiCLI) client() (*httpapi.Client, error) {
	base := firstNonEmpty(c.url, c.lookup("HOOKD_URL"), defaultURL)
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, &usageError{fmt.Errorf("--url %q: must start with http:// or https://", base)}
	}
	key := firstNonEmpty(c.apiKey, c.lookup("HOOKD_API_KEY"))
	if key == "" {
		return nil, &usageError{errors.New("no API key: set HOOKD_API_KEY (or pass --api-key); " +
			"\"hookd serve\" prints one at its first start")}
	}
	return httpapi.NewClient(base, key, httpapi.WithUserAgent("hookd-cli/"+versionString())), nil
}

// call runs fn with a client and a bounded context, and turns an API
// problem into an error that shows its details.
func (c *apiCLI) call(cmd *cobra.Command, fn func(ctx context.Context, cl *httpapi.Client) error) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), cliTimeout)
	defer cancel()
	return problemError(fn(ctx, cl))
}

// problemError shows an API problem on several lines: status, code and
// detail, then each field error with its JSON Pointer.
func problemError(err error) error {
	var p *httpapi.Problem
	if !errors.As(err, &p) {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, firstNonEmpty(p.Code, p.Title))
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, f := range p.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", firstNonEmpty(f.Pointer, "(request)"), f.Message)
	}
	return errors.New(b.String())
}

// emit prints v as the API's JSON with --json, else as a table.
func (c *apiCLI) emit(v any, table func(t *tabwriter.Writer)) error {
	if c.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	t := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	table(t)
	return t.Flush()
}

// emitList prints a page of a listing; a table is followed by how to get
// the next page.
func emitList[T any](c *apiCLI, items []T, next string, header string, row func(T) string) error {
	l := httpapi.List[T]{Data: items}
	if l.Data == nil {
		l.Data = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	err := c.emit(l, func(t *tabwriter.Writer) {
		fmt.Fprintln(t, header)
		for _, it := range items {
			fmt.Fprintln(t, row(it))
		}
	})
	if err == nil && next != "" && !c.json {
		fmt.Fprintf(c.stderr, "more: add --cursor %s\n", next)
	}
	return err
}

// pageFlags adds --limit and --cursor.
func pageFlags(cmd *cobra.Command, o *httpapi.ListOptions) {
	cmd.Flags().IntVar(&o.Limit, "limit", 0, "items per page, 1 to 250 (default 50)")
	cmd.Flags().StringVar(&o.Cursor, "cursor", "", "the cursor a previous page printed")
}

// tenantFlag adds --tenant, default "default".
func tenantFlag(cmd *cobra.Command, tenant *string) {
	cmd.Flags().StringVar(tenant, "tenant", "default", "tenant")
}

// readData reads a JSON flag value: inline JSON, @file, or @- for stdin.
func readData(flag, v string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	switch {
	case v == "@-":
		var err error
		if b, err = io.ReadAll(io.LimitReader(stdin, 16<<20)); err != nil {
			return nil, fmt.Errorf("--%s: read stdin: %w", flag, err)
		}
	case strings.HasPrefix(v, "@"):
		var err error
		if b, err = os.ReadFile(v[1:]); err != nil {
			return nil, &usageError{fmt.Errorf("--%s: %w", flag, err)}
		}
	default:
		b = []byte(v)
	}
	if !json.Valid(b) {
		return nil, &usageError{fmt.Errorf("--%s: not valid JSON (give JSON, @file or @- for stdin)", flag)}
	}
	return b, nil
}

// parseTime reads a time flag: RFC 3339, or a duration meaning that long
// ago ("24h").
func parseTime(flag, v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, &usageError{fmt.Errorf("--%s %q: give an RFC 3339 time (2024-05-01T12:00:00Z) or a duration ago (24h)", flag, v)}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// ago shows a time for people: RFC 3339 in UTC, seconds.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func optAgo(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ago(*t)
}

// short cuts a string for a table cell.
func short(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// addManagementCmds adds the commands that manage a running hookd through
// its REST API.
func addManagementCmds(root *cobra.Command, env []string, stdout, stderr io.Writer) {
	c := &apiCLI{env: env, stdout: stdout, stderr: stderr}
	root.AddGroup(&cobra.Group{ID: "manage", Title: "Manage a running hookd (through its API: --url, HOOKD_API_KEY):"})
	root.AddCommand(c.tenantsCmd(), c.endpointsCmd(), c.eventsCmd(), c.deliveriesCmd(), c.eventTypesCmd(),
		c.sourcesCmd(), c.requestsCmd(), c.triggerCmd())
}
