package thanks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/procs"
	"github.com/makegood/makegood/internal/thanks"
)

// ListOptions holds `thanks list`'s inputs.
type ListOptions struct {
	IO    *iostreams.IOStreams
	Store func(context.Context) (ledger.Store, error)
	Now   func() time.Time

	Customer string
	Occasion string
	Limit    int
	Output   cmdutil.OutputFlags

	filter ledger.ThanksFilter
}

// NewCmdList builds `thanks list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List thank-you notes with their delivery status, newest first",
		Long: `List thank-you notes with their delivery status, newest first. Every
attempt is kept: a note that failed and was sent on a later run shows twice,
once failed and once sent.

An attempt with no note recorded shows with no id: unknown when its run
stopped (killed, or the SMTP server hung up before answering) without
knowing whether it arrived (thanks send will not send it again unless
told to: --resend-unknown, or --mark-sent once you know it arrived),
sending while a run is delivering it, failed when its run stopped before
writing it to the outbox.

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
	if ns, err = withUnrecorded(ctx, st, ns, opts.filter, opts.Now()); err != nil {
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
		t.Append(view.NoteID(n), n.Customer, n.Occasion, n.Key, n.Via, n.Status, n.MessageID, credit,
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

// withUnrecorded adds, to the notes, the attempts that have no note: claims
// whose outcome is unknown or not yet recorded (sending), and those a
// later run settled as never written. They are placed by the time they
// were claimed, newest first like the notes, within the filter's limit.
func withUnrecorded(ctx context.Context, st ledger.Store, ns []ledger.ThankYouNote, f ledger.ThanksFilter,
	now time.Time) ([]ledger.ThankYouNote, error) {
	cs, err := st.Claims(ctx, ledger.ClaimFilter{Kind: ledger.MessageThanks, Customer: f.Customer, Key: f.Key, Unrecorded: true})
	if err != nil || len(cs) == 0 {
		return ns, err
	}
	alive := procs.Liveness(procs.Self())
	var extra []ledger.ThankYouNote
	for i := range cs {
		c := &cs[i]
		occ, _, _ := strings.Cut(c.Message.Key, ":")
		if f.Occasion != "" && occ != f.Occasion {
			continue
		}
		s := ledger.StateOf(ledger.MessageState{}, c, now, alive)
		n := ledger.ThankYouNote{Customer: c.Message.Customer, Occasion: occ, Key: c.Message.Key, Via: c.Via,
			Status: s.State, At: c.ClaimedAt}
		switch {
		case c.Outcome != nil:
			n.Error = c.Outcome.Error
		case s.State == ledger.StateSending:
			n.Error = "being sent by " + c.By.String()
		default:
			n.Error = "the run that claimed it (" + c.By.String() + ") stopped before recording how it went"
		}
		if f.Status != "" && n.Status != f.Status {
			continue
		}
		extra = append(extra, n)
	}
	out := append(ns, extra...)
	// Newest first; notes keep their order among themselves.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
