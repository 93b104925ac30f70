package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd checks a running hookd's /healthz, for container
// health checks in images that have no curl.
func newHealthcheckCmd(env []string, stdout io.Writer) *cobra.Command {
	var base string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when a running hookd answers GET /healthz (for container health checks)",
		Long: `healthcheck asks a running hookd for GET /healthz and exits 0 when it
answers 200, 1 otherwise: a HEALTHCHECK for images without curl.
With --ready it asks GET /readyz, which also checks the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/healthz"
			if ready, _ := cmd.Flags().GetBool("ready"); ready {
				path = "/readyz"
			}
			return healthcheck(cmd.Context(), strings.TrimRight(base, "/")+path, timeout, stdout)
		},
	}
	def := "http://127.0.0.1" + localPort(env)
	cmd.Flags().StringVar(&base, "url", def, "hookd's base URL")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	cmd.Flags().Bool("ready", false, "check GET /readyz (the store answers) instead of /healthz")
	return cmd
}

// localPort is the port of HOOKD_ADDR (":8080" when unset), as the
// server in the same container listens on it.
func localPort(env []string) string {
	addr := ":8080"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOOKD_ADDR="); ok && v != "" {
			addr = v
		}
	}
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":8080"
}

func healthcheck(ctx context.Context, url string, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &usageError{fmt.Errorf("--url: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: GET %s answered %s", url, resp.Status)
	}
	_, err = fmt.Fprintf(stdout, "ok: GET %s answered %s\n", url, resp.Status)
	return err
}
