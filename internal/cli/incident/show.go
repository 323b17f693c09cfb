package incident

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
)

// ShowOptions holds `incident show`'s inputs.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Now    func() time.Time
	ID     int64
	Output cmdutil.OutputFlags
}

// NewCmdShow builds `incident show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident: time to fix, and per customer time to apology and what was given",
		Long: `Show an incident with its figures: downtime (start to fix, or to now while
open), time to fix (report to fix), and for each affected customer the time
to apology (report to the first apology recorded after it) and what was
given: the credits and gestures linked to the incident.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
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

// ShowJSON is `incident show --json`: the incident, then each affected
// customer.
type ShowJSON struct {
	view.Incident
	Affected []AffectedJSON `json:"affected"`
}

// AffectedJSON is one affected customer in `incident show --json`.
type AffectedJSON struct {
	Customer             string        `json:"customer"`
	ApologizedAt         *string       `json:"apologized_at"`
	TimeToApology        *string       `json:"time_to_apology"`
	TimeToApologySeconds *int64        `json:"time_to_apology_seconds"`
	Apologies            int           `json:"apologies"`
	ApologyID            *int64        `json:"apology_id"`     // the latest apology
	ApologyStatus        *string       `json:"apology_status"` // as apology list says (ledger.ApologyStatus)
	Given                []view.Credit `json:"given"`
	ThankedAt            *string       `json:"thanked_at"` // the after-recovery thank-you
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	inc, err := st.Incident(ctx, opts.ID)
	if err != nil {
		return err
	}
	now := opts.Now()
	cases, err := cmdutil.CaseFacts(ctx, st, inc, "", now)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		out := ShowJSON{Incident: view.NewIncident(inc, now), Affected: []AffectedJSON{}}
		for _, f := range cases {
			c := view.NewCase(f, now)
			out.Affected = append(out.Affected, AffectedJSON{Customer: f.Affected.Customer, Apologies: f.Affected.Apologies,
				ApologizedAt: c.ApologizedAt, TimeToApology: c.TimeToApology, TimeToApologySeconds: c.TimeToApologySeconds,
				ApologyID: c.ApologyID, ApologyStatus: c.ApologyStatus, Given: c.Given, ThankedAt: c.ThankedAt})
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}

	v := view.NewIncident(inc, now)
	b := cmdutil.NewLabels(13)
	line := b.Add
	line("id", fmt.Sprint(inc.ID))
	line("title", inc.Title)
	line("severity", inc.Severity)
	if v.ImpactBP != ledger.FullImpact {
		line("impact", v.Impact+" of the service lost (degraded, not down)")
	}
	line("status", inc.Status())
	line("started", v.StartedAt)
	line("reported", v.ReportedAt)
	if v.FixedAt != nil {
		line("fixed", *v.FixedAt)
		if inc.Corrections > 0 {
			fixes, err := st.Fixes(ctx, inc.ID)
			if err != nil {
				return err
			}
			for _, f := range fixes {
				what := "first recorded as " + view.Time(f.FixedAt)
				if f.Correction {
					what = "corrected to " + view.Time(f.FixedAt)
				}
				line("fix history", fmt.Sprintf("%s (on %s)", what, view.Time(f.RecordedAt)))
			}
		}
		line("time to fix", *v.TimeToFix)
		line("downtime", v.Downtime)
	} else {
		line("downtime", v.Downtime+" so far")
	}
	line("what", inc.What)
	if _, err := fmt.Fprint(opts.IO.Out, b.String()); err != nil {
		return err
	}
	if len(cases) == 0 {
		_, err := fmt.Fprintln(opts.IO.Out, "\nNo affected customers recorded.")
		return err
	}
	if _, err := fmt.Fprintln(opts.IO.Out, "\nAffected customers:"); err != nil {
		return err
	}
	if opts.IO.IsStdoutTTY() {
		return affectedTable(opts, cases, now)
	}
	t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "APOLOGIZED", "TIME TO APOLOGY", "APOLOGY", "GIVEN", "THANKED")
	for _, f := range cases {
		a := f.Affected
		apologized, tta := "not yet", ""
		if a.FirstApology != nil {
			apologized, tta = view.HumanTime(*a.FirstApology), view.Duration(*a.TimeToApology)
		}
		t.Append(a.Customer, apologized, tta, apologyCell(f.Latest), givenCell(a.Given, now), thankedCell(f.Thanked))
	}
	return t.Render()
}

// affectedTable is the affected customers at a terminal, fitted to its
// width: the apology's state in a few words, the retry for one that failed
// under the table rather than in a cell it would not fit, the day of the
// thank-you.
func affectedTable(opts *ShowOptions, cases []view.CaseFacts, now time.Time) error {
	t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "APOLOGY", "APOLOGIZED", "AFTER", "GIVEN", "THANKED").
		FreeText("GIVEN").Wide(opts.Output.Wide)
	var retries []string
	for _, f := range cases {
		a := f.Affected
		apology, apologized, tta, thanked := "", "not yet", "", ""
		if l := f.Latest; l != nil {
			apology = fmt.Sprintf("#%d %s", l.ID, l.Status)
			if l.Status == ledger.ApologyFailed {
				retries = append(retries, fmt.Sprintf("makegood apology send %d", l.ID))
			}
		}
		if a.FirstApology != nil {
			apologized, tta = view.HumanTime(*a.FirstApology), view.Duration(*a.TimeToApology)
		}
		if f.Thanked != nil {
			thanked = view.HumanDate(f.Thanked.At)
		}
		t.Append(a.Customer, apology, apologized, tta, givenCell(a.Given, now), thanked)
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, r := range retries {
		if _, err := fmt.Fprintf(opts.IO.Out, "Retry the failed apology with: %s\n", r); err != nil {
			return err
		}
	}
	return nil
}

// apologyCell says where the latest apology stands, with the retry for
// one that did not go out.
func apologyCell(a *ledger.Apology) string {
	switch {
	case a == nil:
		return ""
	case a.Status == ledger.ApologyFailed:
		return fmt.Sprintf("#%d failed: makegood apology send %d", a.ID, a.ID)
	}
	return fmt.Sprintf("#%d %s", a.ID, a.Status)
}

func thankedCell(n *ledger.ThankYouNote) string {
	if n == nil {
		return ""
	}
	return view.HumanTime(n.At)
}

// givenCell lists credits and gestures for a table cell; voided ones are
// marked, since the customer is not getting them.
func givenCell(given []ledger.Credit, now time.Time) string {
	if len(given) == 0 {
		return "nothing yet"
	}
	parts := make([]string, 0, len(given))
	for _, c := range given {
		p := c.Gesture
		if !c.IsGesture() {
			p = view.HumanAmount(c.AmountMinor, c.Currency, "")
		}
		if st := c.Status(now); st == ledger.StatusVoid {
			p += " (void)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
