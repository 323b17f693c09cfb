package credit

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
	"github.com/makegood/makegood/pkg/money"
)

// ListOptions holds `credit list`'s inputs.
type ListOptions struct {
	IO    *iostreams.IOStreams
	Store func(context.Context) (ledger.Store, error)
	Now   func() time.Time

	Customer string
	Reason   string
	Status   string
	Since    string
	Until    string
	Incident string
	Limit    int
	Output   cmdutil.OutputFlags

	filter ledger.CreditFilter
}

// NewCmdList builds `credit list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List credits, newest first",
		Long: `List credits and gestures, newest first. A table at a terminal;
tab-separated rows (id, customer, amount, currency, reason, status,
remaining, issued_at, note, kind, gesture, incident) when piped; --json or
--csv for scripts. A gesture has no amount, currency or remaining, kind
"gesture" and status "given".

--since and --until take a date or an RFC 3339 time; an --until date
includes that whole day.`,
		Example: `  makegood credit list --customer alice@example.com --status open
  makegood credit list --since 2026-11-01 --csv > november.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl, err := opts.parse()
			if err != nil {
				return err
			}
			opts.filter = fl
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Only this customer's credits")
	fl.StringVar(&opts.Reason, "reason", "", "Only credits for this reason")
	fl.StringVar(&opts.Status, "status", "", "Only credits in this status: open, applied, void, expired or given (gestures)")
	fl.StringVar(&opts.Since, "since", "", "Only credits issued at or after this date or time")
	fl.StringVar(&opts.Until, "until", "", "Only credits issued up to this date (inclusive) or before this time")
	fl.StringVar(&opts.Incident, "incident", "", "Only credits and gestures given for this incident")
	fl.IntVar(&opts.Limit, "limit", ledger.DefaultLimit, "At most this many credits (0 for all)")
	cmdutil.AddListFlags(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(ledger.Statuses(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("reason", cobra.FixedCompletions(ledger.Reasons(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *ListOptions) parse() (ledger.CreditFilter, error) {
	f := ledger.CreditFilter{Customer: o.Customer, Reason: o.Reason, Status: o.Status, Limit: o.Limit}
	if o.Customer != "" {
		if err := ledger.ValidateID("--customer", o.Customer); err != nil {
			return f, err
		}
	}
	if o.Reason != "" {
		if err := ledger.ValidateReason("--reason", o.Reason); err != nil {
			return f, err
		}
	}
	if o.Status != "" {
		if err := ledger.ValidateStatus("--status", o.Status); err != nil {
			return f, err
		}
	}
	if o.Limit < 0 {
		return f, ledger.Fieldf("--limit", "must not be negative")
	}
	var err error
	if o.Incident != "" {
		if f.Incident, err = ledger.ParseIncidentID("--incident", o.Incident); err != nil {
			return f, err
		}
	}
	if o.Since != "" {
		if f.Since, err = ledger.ParseTime("--since", o.Since); err != nil {
			return f, err
		}
	}
	if o.Until != "" {
		if f.Until, err = ledger.ParseTime("--until", o.Until); err != nil {
			return f, err
		}
		if len(o.Until) == len(ledger.DateLayout) {
			f.Until = f.Until.Add(24 * time.Hour)
		}
	}
	return f, nil
}

func listRun(ctx context.Context, opts *ListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	now := opts.Now()
	f := opts.filter
	f.Now = now
	if err := cmdutil.KnownFilters(ctx, st, f.Customer, f.Incident); err != nil {
		return err
	}
	cs, err := st.Credits(ctx, f)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, cs, func(c ledger.Credit) view.Credit { return view.NewCredit(c, now) })
	}
	human := opts.IO.IsStdoutTTY() && !opts.Output.CSV
	if human {
		if len(cs) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No credits match.")
			return err
		}
		// DETAIL is the reason, then the gesture and the note, as customer
		// show's history has it: one free-text column that gives way so the
		// ids, amounts and dates fit 80 columns.
		t := cmdutil.NewTable(opts.IO, false, "ID", "CUSTOMER", "AMOUNT", "STATUS", "REMAINING", "ISSUED", "DETAIL").
			Numeric("AMOUNT", "REMAINING").FreeText("DETAIL").Wide(opts.Output.Wide)
		for _, c := range cs {
			v := view.NewCredit(c, now)
			remaining := money.Format(v.RemainingMinor, c.Currency)
			if c.IsGesture() {
				remaining = ""
			}
			detail := strings.Join(slices.DeleteFunc([]string{c.Reason, c.Gesture, c.Note}, func(s string) bool { return s == "" }), ": ")
			t.Append(fmt.Sprint(c.ID), c.Customer, view.HumanAmount(c.AmountMinor, c.Currency, c.Gesture),
				v.Status, remaining, view.HumanDate(c.IssuedAt), detail)
		}
		return t.Render()
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV,
		"id", "customer", "amount", "currency", "reason", "status", "remaining", "issued_at", "note",
		"kind", "gesture", "incident")
	for _, c := range cs {
		v := view.NewCredit(c, now)
		amount, currency, remaining := v.Cells()
		t.Append(fmt.Sprint(c.ID), c.Customer, amount, currency, c.Reason, v.Status, remaining, v.IssuedAt, c.Note,
			v.Kind, c.Gesture, view.IncidentCell(c.IncidentID))
	}
	return t.Render()
}
