package apology

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/apology/shared"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/pkg/apology"
)

// CheckOptions holds `apology check`'s inputs.
type CheckOptions struct {
	IO     *iostreams.IOStreams
	Rules  apology.Rules
	File   string // a path, or "-" for standard input
	Output cmdutil.OutputFlags
}

// NewCmdCheck builds `apology check`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "check [FILE|-]",
		Short: "Flag excuses, stock phrases, passive voice and hedging in an apology",
		Long: `Check an apology for blame-shifting (a supplier, a provider, a third party,
another team or department, "circumstances beyond our control", "due to..."
aimed away from you), stock phrases ("we apologize for any inconvenience",
"we value your business"), passive voice that hides who did it ("mistakes
were made", "an error occurred") and hedging ("may have experienced", "some
users", "a small number of").

Each finding is one line, line:col: kind: phrase — suggestion. The exit
status is the answer, so a script can use it as a gate: 0 when the text is
clean, 1 when anything was found (an empty text too: nothing to send is not
a clean apology), 2 when the text could not be read.

The check reads FILE, or standard input for - or when no FILE is given and
standard input is not a terminal. It is case-insensitive and tolerates
punctuation and line breaks. The phrase lists are data: apology.rules in the
config file (blame_shifting, stock_phrases, passive_voice and hedging, each
a list of {pattern, suggestion}) replaces a built-in list.`,
		Example: `  makegood apology check draft.txt
  makegood apology draft --customer alice@example.com --incident 3 | makegood apology check -
  makegood apology check --json reply.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1:
				opts.File = args[0]
			case opts.IO.IsStdinTTY():
				return cmdutil.FlagErrorf("FILE is required: name a file, or - to read standard input")
			default:
				opts.File = "-"
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if opts.Rules, err = shared.LoadRules(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func checkRun(_ context.Context, opts *CheckOptions) error {
	text, err := readText(opts.IO, "FILE", opts.File)
	if err != nil {
		return err
	}
	findings := apology.Check(text, opts.Rules)
	if opts.Output.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, findings); err != nil {
			return err
		}
	} else {
		for _, fd := range findings {
			if _, err := fmt.Fprintln(opts.IO.Out, fd); err != nil {
				return err
			}
		}
	}
	if len(findings) > 0 {
		return &cmdutil.ExitCodeError{Code: cmdutil.ExitFailure}
	}
	if opts.IO.IsStderrTTY() && !opts.Output.JSON {
		fmt.Fprintln(opts.IO.ErrOut, "No excuses or stock phrases found.")
	}
	return nil
}
