package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is hookd's version, set at build time with
// -ldflags "-X main.version=v1.2.3". When empty, the module version from
// the build info is used ("go install …@v1.2.3"), else "devel".
var version = ""

// versionString returns the version hookd reports.
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// newRootCmd builds the command tree. env is the environment the commands
// see (for configuration); stdout receives command output, stderr logs and
// errors.
func newRootCmd(env []string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "hookd",
		Short: "A self-hosted webhook platform: send and receive webhooks",
		// run prints the error once; usage only for usage errors.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.HiddenDefaultCmd = false
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see 'hookd %s --help')", err, cmd.Name())}
	})
	root.AddCommand(newServeCmd(env, stderr), newListenCmd(stdout, stderr), newBenchCmd(stdout, stderr), newVersionCmd(stdout))
	root.AddCommand(newMigrateCmd(env, stdout, stderr))
	root.AddCommand(newOpenAPICmd(env, stdout))
	addManagementCmds(root, env, stdout, stderr)
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdout, "hookd %s (%s)\n", versionString(), runtime.Version())
			return err
		},
	}
}
