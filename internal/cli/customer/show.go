package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// ShowOptions holds `customer show`'s inputs.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Now    func() time.Time
	ID     string
	Output cmdutil.OutputFlags
}

// NewCmdShow builds `customer show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a customer with balances and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	cmdutil.AddWideFlag(cmd, &opts.Output)
	return cmd
}

// ShowJSON is `customer show --json`: the customer's fields, then balances
// and history.
type ShowJSON struct {
	view.Customer
	Balances []view.Balance      `json:"balances"`
	History  []view.Entry        `json:"history"`
	Thanks   []view.ThankYouNote `json:"thanks"`
	// Cases are the incidents that affected the customer, newest first,
	// each told whole: apology, fix, what was given, the thank-you after.
	Cases []view.Case `json:"cases"`
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	c, err := st.Customer(ctx, opts.ID)
	if err != nil {
		return err
	}
	bals, err := st.Balances(ctx, c.ID, opts.Now())
	if err != nil {
		return err
	}
	hist, err := st.History(ctx, c.ID)
	if err != nil {
		return err
	}
	notes, err := st.ThankYouNotes(ctx, ledger.ThanksFilter{Customer: c.ID})
	if err != nil {
		return err
	}
	cases, err := customerCases(ctx, st, c.ID, opts.Now())
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		out := ShowJSON{Customer: view.NewCustomer(c), Balances: []view.Balance{}, History: []view.Entry{},
			Thanks: []view.ThankYouNote{}, Cases: []view.Case{}}
		for _, f := range cases {
			out.Cases = append(out.Cases, view.NewCase(f, opts.Now()))
		}
		for _, n := range notes {
			out.Thanks = append(out.Thanks, view.NewThankYouNote(n))
		}
		for _, b := range bals {
			out.Balances = append(out.Balances, view.NewBalance(b))
		}
		for _, e := range hist {
			out.History = append(out.History, view.NewEntry(e))
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	w := opts.IO.Out
	b := cmdutil.NewLabels(10)
	field := b.Add
	field("id", c.ID)
	field("name", c.Name)
	field("email", c.Email)
	field("plan", c.Plan)
	if c.Currency != "" && c.PriceMinor > 0 {
		field("price", money.Format(c.PriceMinor, c.Currency)+"/"+c.Period)
	}
	if !c.Since.IsZero() {
		field("since", c.Since.Format(ledger.DateLayout))
	}
	field("locale", c.Locale)
	field("tags", strings.Join(c.Tags, ", "))
	field("advocate", fmt.Sprint(c.Advocate))
	var bs []string
	for _, bal := range bals {
		bs = append(bs, money.Format(bal.BalanceMinor, bal.Currency))
	}
	if len(bs) == 0 {
		bs = []string{"none"}
	}
	field("balance", strings.Join(bs, ", "))
	if _, err := fmt.Fprint(w, b.String()); err != nil {
		return err
	}
	if err := showCases(opts, cases); err != nil {
		return err
	}
	if err := showCredits(opts, hist); err != nil {
		return err
	}
	return showThanks(opts, notes)
}

// customerCases gathers the whole case of every incident that affected the
// customer, newest first.
func customerCases(ctx context.Context, st ledger.Store, customer string, now time.Time) ([]view.CaseFacts, error) {
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{Customer: customer})
	if err != nil {
		return nil, err
	}
	var out []view.CaseFacts
	for _, inc := range incs {
		fs, err := cmdutil.CaseFacts(ctx, st, inc, customer, now)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// showCases tells each incident in a line of its own, in the order of the
// walk: apology, fix, what was given, thank-you.
func showCases(opts *ShowOptions, cases []view.CaseFacts) error {
	if len(cases) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(opts.IO.Out, "\nIncidents, newest first:"); err != nil {
		return err
	}
	now := opts.Now()
	// At a terminal the table has to fit 80 columns: the id apart from the
	// title (which may be cut), short headers, "open" for a time to fix
	// not known yet, the day of the thank-you. Piped, the columns are as
	// they always were.
	human := opts.IO.IsStdoutTTY()
	t := cmdutil.NewTable(opts.IO, false, "INCIDENT", "STATUS", "APOLOGY", "TIME TO APOLOGY", "TIME TO FIX", "GIVEN", "THANKED")
	if human {
		t = cmdutil.NewTable(opts.IO, false, "INCIDENT", "TITLE", "APOLOGY", "AFTER", "FIXED IN", "GIVEN", "THANKED").
			FreeText("TITLE", "GIVEN").Wide(opts.Output.Wide)
	}
	for _, f := range cases {
		c := view.NewCase(f, now)
		apology := "not yet"
		if c.ApologyID != nil {
			apology = fmt.Sprintf("#%d %s", *c.ApologyID, *c.ApologyStatus)
		}
		given := make([]string, 0, len(f.Affected.Given))
		for _, g := range f.Affected.Given {
			if g.IsGesture() {
				given = append(given, g.Gesture)
			} else {
				given = append(given, money.Format(g.AmountMinor, g.Currency))
			}
		}
		if human {
			fixedIn, thanked := deref(c.TimeToFix), ""
			if c.TimeToFix == nil {
				fixedIn = c.Status
			}
			if f.Thanked != nil {
				thanked = view.HumanDate(f.Thanked.At)
			}
			t.Append(fmt.Sprintf("#%d", c.Incident), c.Title, apology, deref(c.TimeToApology), fixedIn,
				strings.Join(given, ", "), thanked)
			continue
		}
		t.Append(fmt.Sprintf("#%d %s", c.Incident, c.Title), c.Status, apology, deref(c.TimeToApology),
			deref(c.TimeToFix), strings.Join(given, ", "), deref(c.ThankedAt))
	}
	return t.Render()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func showThanks(opts *ShowOptions, notes []ledger.ThankYouNote) error {
	if len(notes) == 0 {
		_, err := fmt.Fprintln(opts.IO.Out, "\nNo thank-you notes yet.")
		return err
	}
	if _, err := fmt.Fprintln(opts.IO.Out, "\nThank-you notes, newest first:"); err != nil {
		return err
	}
	t := cmdutil.NewTable(opts.IO, false, view.NoteHeaders()...).FreeText("DETAIL").Wide(opts.Output.Wide)
	for _, n := range notes {
		c := view.NoteCells(n)
		if opts.IO.IsStdoutTTY() {
			c[1] = view.HumanDate(n.At) // the day is enough here, and 80 columns are few
		}
		t.Append(c...)
	}
	return t.Render()
}

func showCredits(opts *ShowOptions, hist []ledger.Entry) error {
	w := opts.IO.Out
	if len(hist) == 0 {
		_, err := fmt.Fprintln(w, "\nNo credits yet.")
		return err
	}
	if _, err := fmt.Fprintln(w, "\nHistory, newest first:"); err != nil {
		return err
	}
	t := cmdutil.NewTable(opts.IO, false, "WHEN", "CREDIT", "ENTRY", "AMOUNT", "DETAIL").
		Numeric("AMOUNT").FreeText("DETAIL").Wide(opts.Output.Wide)
	for _, e := range hist {
		detail := e.Note
		switch {
		case e.Gesture != "" && e.Kind == ledger.EntryIssue:
			detail = strings.TrimSuffix(e.Gesture+": "+e.Note, ": ")
		case e.Kind == ledger.EntryIssue && e.Note != "":
			detail = e.Reason + ": " + e.Note
		case e.Kind == ledger.EntryIssue:
			detail = e.Reason
		case e.Invoice != "":
			detail = "invoice " + e.Invoice
		}
		t.Append(view.HumanTime(e.At), fmt.Sprint(e.CreditID), e.Kind, view.HumanAmount(e.AmountMinor, e.Currency, e.Gesture),
			detail)
	}
	return t.Render()
}
