package goodwill

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/goodwill/shared"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/pkg/goodwill"
)

// PolicyOptions holds `goodwill policy`'s inputs.
type PolicyOptions struct {
	IO     *iostreams.IOStreams
	Policy goodwill.Policy
	Output cmdutil.OutputFlags
}

// NewCmdPolicy builds `goodwill policy`.
func NewCmdPolicy(f *cmdutil.Factory, runF func(*PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the goodwill policy in force",
		Long: `Print every setting goodwill suggest uses, with its configuration key, its
value (the default, or what the config file sets) and what it does.

Set them under goodwill: in the config file, e.g.

  goodwill:
    cap_bp: 15000            # per-case cap: 150% of a period's price
    monthly_budget: {USD: 500}
    gestures:
      - text: a call from the founder
        min_tenure_months: 6

Ratios are integers: _bp in basis points (10000 = 100%), _permille as
multipliers (1000 = ×1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if opts.Policy, err = shared.LoadPolicy(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return policyRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func policyRun(_ context.Context, opts *PolicyOptions) error {
	lines := opts.Policy.Describe()
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, lines)
	}
	if opts.IO.IsStdoutTTY() {
		// The meanings are the documentation: wrapped, never cut.
		var b strings.Builder
		for _, l := range lines {
			fmt.Fprintf(&b, "%s = %s\n", l.Key, l.Value)
			for _, m := range wrap(l.Meaning, opts.IO.TerminalWidth()-4) {
				fmt.Fprintf(&b, "    %s\n", m)
			}
		}
		_, err := fmt.Fprint(opts.IO.Out, b.String())
		return err
	}
	t := cmdutil.NewTable(opts.IO, false, "key", "value", "meaning")
	for _, l := range lines {
		t.Append(l.Key, l.Value, l.Meaning)
	}
	return t.Render()
}
