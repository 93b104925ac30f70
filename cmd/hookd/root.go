package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

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
	root.AddCommand(newKeysCmd(env, stdout, stderr), newSecretsCmd(env, stdout, stderr))
	root.AddCommand(newHealthcheckCmd(env, stdout))
	root.AddCommand(newCopyCmd(stdout, stderr), newBackupCmd(env, stdout), newRestoreCmd(env, stdout))
	addManagementCmds(root, env, stdout, stderr)
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			bi, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(stdout, versionLine(versionString(), bi))
			return err
		},
	}
}

// revision is the source revision, set at build time with
// -ldflags "-X main.revision=…" where the build sees no VCS (a Docker
// build without .git). When empty, the build info's vcs.revision is used.
var revision = ""

// versionLine describes the build: version, then the source revision (with
// its commit time, and "modified" when the tree had changes), the Go
// version and the platform.
func versionLine(v string, bi *debug.BuildInfo) string {
	rev, at, modified := revision, "", false
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = firstNonEmpty(rev, s.Value)
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var parts []string
	if rev != "" {
		parts = append(parts, "revision "+rev[:min(len(rev), 12)])
	}
	if at != "" {
		parts = append(parts, at)
	}
	if modified {
		parts = append(parts, "modified")
	}
	parts = append(parts, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return "hookd " + v + " (" + strings.Join(parts, ", ") + ")"
}
