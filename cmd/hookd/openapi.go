package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hookd/hookd/config"
	"github.com/hookd/hookd/httpapi"
)

// newOpenAPICmd builds "hookd openapi", which prints the OpenAPI 3.1
// document: the REST API and the webhooks of the event types declared in
// the configuration file. It opens no store: a running server's GET
// /openapi.json also shows the types created through the API.
func newOpenAPICmd(env []string, stdout io.Writer) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI 3.1 document",
		Long: "Print the OpenAPI 3.1 document of hookd: the REST API, and a webhooks section with the " +
			"event types declared in the configuration file (--config, else ./hookd.yaml if it exists). " +
			"A running server's GET /openapi.json also includes the event types created through the API.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(config.LoadOptions{Path: configPath, Env: env})
			if err != nil {
				return fmt.Errorf("load config: %w", err)
			}
			types, err := configEventTypes(cfg)
			if err != nil {
				return err
			}
			doc, err := httpapi.OpenAPI(versionString(), types)
			if err != nil {
				return err
			}
			_, err = stdout.Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (default ./hookd.yaml if it exists)")
	return cmd
}
