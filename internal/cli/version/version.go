// Package version prints makegood's version.
package version

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
)

// String formats the version and commit, filling in what `go install`
// recorded in the binary when the release ldflags were not set.
func String(ver, commit string) string {
	if ver == "" || ver == "dev" || commit == "" || commit == "none" {
		if info, ok := debug.ReadBuildInfo(); ok {
			if (ver == "" || ver == "dev") && info.Main.Version != "" && info.Main.Version != "(devel)" {
				ver = info.Main.Version
			}
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && (commit == "" || commit == "none") {
					commit = s.Value
				}
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if commit == "" {
		commit = "none"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return fmt.Sprintf("%s (commit %s)", ver, commit)
}

// NewCmdVersion builds `makegood version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print makegood's version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(f.IOStreams.Out, "makegood %s\n", String(f.Version, f.Commit))
			return err
		},
	}
}
