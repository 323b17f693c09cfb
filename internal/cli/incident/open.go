package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
)

// OpenOptions holds `incident open`'s inputs.
type OpenOptions struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Prompter  func() prompt.Prompter
	Now       func() time.Time
	CanPrompt bool

	Title     string
	What      string
	Started   string
	Reported  string
	Severity  string
	Impact    string
	Customers []string
	Output    cmdutil.OutputFlags

	// Changed tells which flags were given, so prompts ask only for the rest.
	Changed func(string) bool
}

// NewCmdOpen builds `incident open`.
func NewCmdOpen(f *cmdutil.Factory, runF func(*OpenOptions) error) *cobra.Command {
	opts := &OpenOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Record something that went wrong",
		Long: `Record an incident: a short title, what happened in plain words (apology
drafts quote it to customers, so write it as you would say it to them), when
it started and was reported, how severe it is and whom it affected.

--reported defaults to now and --started to --reported. Both take RFC 3339
(2026-11-24T09:00:00Z) or a date. The id of the new incident is printed alone
on stdout when piped.

--impact says how much of the service was lost when it was degraded rather
than down (30% when a third of requests failed, say); goodwill suggest and
resolve scale make-whole and the SLA bands by it. The default, 100%, is an
outage.`,
		Example: `  makegood incident open --title "Login outage" \
    --what "A change we deployed on Monday broke logins for nine hours." \
    --started 2026-11-23T08:00:00Z --severity high --customers alice@example.com,cus_123
  makegood incident open --title "Slow dashboard" --what "Reports took minutes to load." --impact 30%`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.CanPrompt = f.CanPrompt()
			if !opts.CanPrompt {
				if opts.Title == "" {
					return cmdutil.RequiredError("--title")
				}
				if opts.What == "" {
					return cmdutil.RequiredError("--what")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return openRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Title, "title", "", "Short title, e.g. \"Login outage\"")
	fl.StringVar(&opts.What, "what", "", "What happened, in plain words, as you would tell a customer")
	fl.StringVar(&opts.Started, "started", "", "When it started (default: --reported)")
	fl.StringVar(&opts.Reported, "reported", "", "When it was reported (default: now)")
	fl.StringVar(&opts.Severity, "severity", ledger.SeverityNormal, "low, normal, high or critical")
	fl.StringVar(&opts.Impact, "impact", "100%", "How much of the service was lost: 100% (down) or less (degraded), e.g. 30%")
	fl.StringSliceVar(&opts.Customers, "customers", nil, "Affected customer IDs, comma-separated")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(ledger.Severities(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func openRun(ctx context.Context, opts *OpenOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if _, err := ledger.ParseImpact("--impact", opts.Impact); err != nil {
		return err
	}
	interactive := opts.CanPrompt && (opts.Title == "" || opts.What == "")
	if interactive {
		if err := askOpen(ctx, opts, opts.Prompter()); err != nil {
			return err
		}
	}
	now := opts.Now()
	n := ledger.NewIncident{Title: opts.Title, What: strings.TrimSpace(opts.What), Severity: opts.Severity,
		CreatedAt: now, Customers: customerList(opts.Customers)}
	if n.ImpactBP, err = ledger.ParseImpact("--impact", opts.Impact); err != nil {
		return err
	}
	if n.ReportedAt, err = pastTime("--reported", opts.Reported, now); err != nil {
		return err
	}
	n.StartedAt = n.ReportedAt
	if opts.Started != "" {
		if n.StartedAt, err = pastTime("--started", opts.Started, now); err != nil {
			return err
		}
	}
	if err := n.Validate(); err != nil {
		return err
	}
	inc, err := st.OpenIncident(ctx, n)
	if err != nil {
		return err
	}
	switch {
	case opts.Output.JSON:
		return cmdutil.WriteJSON(opts.IO.Out, view.NewIncident(inc, now))
	case opts.IO.IsStdoutTTY():
		_, err = fmt.Fprintf(opts.IO.Out, "Opened incident %d: %s (%s).\n", inc.ID, inc.Title, affected(len(inc.Customers)))
	default:
		_, err = fmt.Fprintln(opts.IO.Out, inc.ID)
	}
	return err
}

func askOpen(ctx context.Context, opts *OpenOptions, p prompt.Prompter) error {
	var err error
	if opts.Title == "" {
		if opts.Title, err = p.Input(ctx, "Title (e.g. Login outage)", "", func(s string) error {
			return ledger.ValidateTitle("title", s)
		}); err != nil {
			return err
		}
	}
	if opts.What == "" {
		if opts.What, err = p.Text(ctx, "What happened, in plain words, as you would tell a customer", "", func(s string) error {
			return ledger.ValidateWhat("what", s)
		}); err != nil {
			return err
		}
	}
	if !opts.Changed("severity") {
		var sev []prompt.Option
		for _, s := range ledger.Severities() {
			sev = append(sev, prompt.Option{Label: s, Value: s})
		}
		if opts.Severity, err = p.Select(ctx, "Severity", sev, ledger.SeverityNormal); err != nil {
			return err
		}
	}
	if !opts.Changed("impact") {
		if opts.Impact, err = p.Input(ctx, "How much of the service was lost? (100% = down; less when degraded, e.g. 30%)", "100%", func(s string) error {
			_, err := ledger.ParseImpact("impact", s)
			return err
		}); err != nil {
			return err
		}
	}
	if !opts.Changed("customers") {
		list, err := p.Input(ctx, "Affected customer IDs, comma-separated (optional)", "", nil)
		if err != nil {
			return err
		}
		opts.Customers = strings.Split(list, ",")
	}
	return nil
}

// customerList trims the ids and drops empties and repeats, keeping order.
func customerList(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// pastTime parses an optional time flag, defaulting to now; the ledger
// records what happened, so a time in the future is a typo.
func pastTime(field, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	return ledger.ParsePastTime(field, s, now)
}

func affected(n int) string {
	switch n {
	case 0:
		return "no customers recorded yet"
	case 1:
		return "1 customer affected"
	}
	return fmt.Sprintf("%d customers affected", n)
}
