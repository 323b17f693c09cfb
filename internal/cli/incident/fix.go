package incident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
)

// FixOptions holds `incident fix`'s inputs.
type FixOptions struct {
	IO      *iostreams.IOStreams
	Store   func(context.Context) (ledger.Store, error)
	Now     func() time.Time
	ID      int64
	At      string
	Correct bool
	Output  cmdutil.OutputFlags
}

// NewCmdFix builds `incident fix`.
func NewCmdFix(f *cmdutil.Factory, runF func(*FixOptions) error) *cobra.Command {
	opts := &FixOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "fix ID",
		Short: "Record when an incident was fixed, or correct a fix recorded wrongly",
		Long: `Record when an incident was fixed: now, or --at a time in the past. A fix is
a fact and is recorded once; fixing a fixed incident is refused.

A fix recorded with the wrong time is corrected with --correct --at TIME: the
correction is appended beside the fix, never written over it, and the latest
correction is the fix time in every figure (status, time to fix, downtime,
goodwill). incident show lists the fix and its corrections.

Time to fix runs from when the incident was reported to the fix.`,
		Example: `  makegood incident fix 3
  makegood incident fix 3 --at 2026-11-24T17:30:00Z
  makegood incident fix 3 --at 2026-11-24T16:10:00Z --correct`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
			if opts.Correct && opts.At == "" {
				return cmdutil.FlagErrorf("--correct needs --at: say when it was really fixed")
			}
			if runF != nil {
				return runF(opts)
			}
			return fixRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.At, "at", "", "When it was fixed (default: now)")
	cmd.Flags().BoolVar(&opts.Correct, "correct", false, "Correct the recorded fix time (appends a correction; needs --at)")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func fixRun(ctx context.Context, opts *FixOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	now := opts.Now()
	at, err := pastTime("--at", opts.At, now)
	if err != nil {
		return err
	}
	if opts.Correct {
		return correctRun(ctx, opts, st, at, now)
	}
	inc, err := st.Incident(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err = inc.CheckFix("--at", at); err == nil {
		inc, err = st.FixIncident(ctx, opts.ID, at, now)
	}
	if errors.Is(err, ledger.ErrConflict) {
		return fmt.Errorf("%w; if that time is wrong, correct it: makegood incident fix %d --at TIME --correct", err, opts.ID)
	}
	if err != nil {
		return err
	}
	ttf, _ := inc.TimeToFix()
	fmt.Fprintf(opts.IO.ErrOut, "Fixed incident %d at %s: %s after it was reported, %s of downtime.\n",
		inc.ID, view.Time(*inc.FixedAt), view.Duration(ttf), view.Duration(inc.Downtime(now)))
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, view.NewIncident(inc, now))
	}
	return nil
}

// correctRun appends a correction of the incident's fix.
func correctRun(ctx context.Context, opts *FixOptions, st ledger.Store, at, now time.Time) error {
	before, err := st.Incident(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err := before.CheckCorrection("--at", at); err != nil {
		return err
	}
	inc, err := st.CorrectFix(ctx, opts.ID, at, now)
	if err != nil {
		return err
	}
	ttf, _ := inc.TimeToFix()
	fmt.Fprintf(opts.IO.ErrOut, "Corrected the fix of incident %d: fixed at %s (recorded before as %s): %s after it was reported, %s of downtime.\n",
		inc.ID, view.Time(*inc.FixedAt), view.Time(*before.FixedAt), view.Duration(ttf), view.Duration(inc.Downtime(now)))
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, view.NewIncident(inc, now))
	}
	return nil
}
