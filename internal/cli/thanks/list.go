package thanks

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/thanks"
)

// ListOptions holds `thanks list`'s inputs.
type ListOptions struct {
	IO    *iostreams.IOStreams
	Store func(context.Context) (ledger.Store, error)

	Customer string
	Occasion string
	Limit    int
	Output   cmdutil.OutputFlags

	filter ledger.ThanksFilter
}

// NewCmdList builds `thanks list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List thank-you notes with their delivery status, newest first",
		Long: `List thank-you notes with their delivery status, newest first. Every
attempt is kept: a note that failed and was sent on a later run shows twice,
once failed and once sent.

A table at a terminal; tab-separated rows (id, customer, occasion, key, via,
status, message_id, credit_id, at, detail) when piped; --json or --csv for
scripts. --occasion takes an occasion (anniversary) or one exact occasion
(milestone:launch).`,
		Example: `  makegood thanks list --customer alice@example.com
  makegood thanks list --occasion welcome --csv > welcomes.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.parse(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Only this customer's notes")
	fl.StringVar(&opts.Occasion, "occasion", "", "Only notes for this occasion")
	fl.IntVar(&opts.Limit, "limit", ledger.DefaultLimit, "At most this many notes (0 for all)")
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

func (o *ListOptions) parse() error {
	o.filter = ledger.ThanksFilter{Customer: o.Customer, Limit: o.Limit}
	if o.Customer != "" {
		if err := ledger.ValidateID("--customer", o.Customer); err != nil {
			return err
		}
	}
	if o.Limit < 0 {
		return ledger.Fieldf("--limit", "must not be negative")
	}
	occ, err := parseOccasion(o.Occasion)
	if err != nil {
		return err
	}
	o.filter.Occasion = string(occ.occasion)
	if occ.milestone != "" {
		o.filter.Key = thanks.MilestoneKey(occ.milestone)
	}
	return nil
}

func listRun(ctx context.Context, opts *ListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if err := cmdutil.KnownFilters(ctx, st, opts.filter.Customer, 0); err != nil {
		return err
	}
	ns, err := st.ThankYouNotes(ctx, opts.filter)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, ns, view.NewThankYouNote)
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(ns) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No thank-you notes match.")
			return err
		}
		return noteTable(opts.IO, ns, opts.Output.Wide)
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV,
		"id", "customer", "occasion", "key", "via", "status", "message_id", "credit_id", "at", "detail")
	for _, n := range ns {
		credit := ""
		if n.Credit != nil {
			credit = fmt.Sprint(n.Credit.ID)
		}
		t.Append(fmt.Sprint(n.ID), n.Customer, n.Occasion, n.Key, n.Via, n.Status, n.MessageID, credit,
			view.Time(n.At), view.NoteDetail(n))
	}
	return t.Render()
}

// noteTable puts the customer after the id and time, so each row reads
// "note 3, on this day, to this customer, for this occasion".
func noteTable(ios *iostreams.IOStreams, ns []ledger.ThankYouNote, wide bool) error {
	h := view.NoteHeaders()
	t := cmdutil.NewTable(ios, false, append(append(h[:2:2], "CUSTOMER"), h[2:]...)...).FreeText("DETAIL").Wide(wide)
	for _, n := range ns {
		c := view.NoteCells(n)
		c[1] = view.HumanDate(n.At) // the day is enough here, and 80 columns are few
		t.Append(append(append(c[:2:2], n.Customer), c[2:]...)...)
	}
	return t.Render()
}
