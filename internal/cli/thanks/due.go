package thanks

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/thanks/shared"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/procs"
	"github.com/makegood/makegood/internal/thanks"
)

// DueOptions holds `thanks due`'s inputs.
type DueOptions struct {
	IO      *iostreams.IOStreams
	Store   func(context.Context) (ledger.Store, error)
	Now     func() time.Time
	Windows thanks.DueOptions

	Occasion string
	Output   cmdutil.OutputFlags

	occasion occasionFlag
}

// NewCmdDue builds `thanks due`.
func NewCmdDue(f *cmdutil.Factory, runF func(*DueOptions) error) *cobra.Command {
	opts := &DueOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "due",
		Short: "Show who is due a thank-you note today, and why",
		Long: `Show who is due a thank-you note today, for which occasion, and why.
Customers already thanked for an occasion are not due again.

Without --occasion: welcome, anniversary and after_recovery. A milestone
needs its name (--occasion milestone:launch); just_because is due for anyone
not thanked just because within the cool-down, so it is listed only when
asked for. after_recovery is due once an incident in the ledger is fixed and
the customer was given a credit or gesture for it (credit issue --incident).

Notes held back are listed too, with their status: deferred by the
cool-down across occasions (thanks.cooldown days, default 7, after the
customer's last note or apology; of several due at once only the first
goes), with the date they come due — never later than the last day of
the occasion's window, when the note goes even within the cool-down; unknown, when an earlier attempt ended
without anyone knowing whether it arrived (see thanks send
--resend-unknown and --mark-sent); sending, while another run sends it.

A table at a terminal; tab-separated rows (customer, name, occasion, key,
why, status, due_on) when piped; --json or --csv for scripts.`,
		Example: `  makegood thanks due
  makegood thanks due --occasion anniversary --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.occasion, err = parseOccasion(opts.Occasion); err != nil {
				return err
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if opts.Windows, err = shared.Windows(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return dueRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Occasion, "occasion", "", "Only this occasion: welcome, anniversary, milestone:NAME, after_recovery, just_because")
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

// DueJSON is one line of `thanks due --json`.
type DueJSON struct {
	Customer string  `json:"customer"`
	Name     *string `json:"name"`
	Occasion string  `json:"occasion"`
	Key      string  `json:"key"`
	Why      string  `json:"why"`
	// Status is due, deferred, unknown or sending.
	Status string `json:"status"`
	// DueOn is the date a deferred note comes due; null otherwise.
	DueOn *string `json:"due_on"`
}

// dueRow is one note thanks due lists.
type dueRow struct {
	thanks.Decision
	status string
}

func (r dueRow) dueOn() string {
	if r.DueOn.IsZero() {
		return ""
	}
	return r.DueOn.Format(time.DateOnly)
}

func dueRun(ctx context.Context, opts *DueOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	cs, err := st.Customers(ctx)
	if err != nil {
		return err
	}
	sent, err := sentNotes(ctx, st)
	if err != nil {
		return err
	}
	now := opts.Now()
	states, err := claimStates(ctx, st, now, procs.Liveness(procs.Self()))
	if err != nil {
		return err
	}
	dopts := opts.occasion.dueOptions(opts.Windows)
	dopts.Held = held(states, false)
	if dopts.Contacts, err = contacts(ctx, st); err != nil {
		return err
	}
	if dopts.Recoveries, err = recoveries(ctx, st, now); err != nil {
		return err
	}
	var rows []dueRow
	due := 0
	for _, d := range thanks.Evaluate(cs, sent, now, dopts) {
		r := dueRow{Decision: d, status: string(d.Status)}
		switch d.Status {
		case thanks.StatusDue:
			due++
		case thanks.StatusDeferred:
		case thanks.StatusHeld:
			r.status = states[[2]string{d.Customer.ID, d.Key}].State
		default:
			continue
		}
		rows = append(rows, r)
	}
	if opts.Output.JSON {
		out := make([]DueJSON, len(rows))
		for i, r := range rows {
			out[i] = DueJSON{Customer: r.Customer.ID, Name: optString(r.Customer.Name),
				Occasion: string(r.Occasion), Key: r.Key, Why: r.Why, Status: r.status, DueOn: optString(r.dueOn())}
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(rows) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No one is due a thank-you note today.")
			return err
		}
		// The status column shows only when some note is held back.
		withStatus := len(rows) > due
		headers := []string{"CUSTOMER", "NAME", "OCCASION", "WHY"}
		if withStatus {
			headers = []string{"CUSTOMER", "NAME", "OCCASION", "STATUS", "WHY"}
		}
		t := cmdutil.NewTable(opts.IO, false, headers...).FreeText("NAME", "WHY").Wide(opts.Output.Wide)
		for _, r := range rows {
			cells := []string{r.Customer.ID, r.Customer.Name, r.Key, r.Why}
			if withStatus {
				status := r.status
				if r.Status == thanks.StatusDeferred {
					status = "deferred to " + r.dueOn()
				}
				cells = []string{cells[0], cells[1], cells[2], status, cells[3]}
			}
			t.Append(cells...)
		}
		if err := t.Render(); err != nil {
			return err
		}
		hint := "makegood thanks send --due"
		if opts.Occasion != "" {
			hint += " --occasion " + opts.Occasion
		}
		msg := fmt.Sprintf("%s due", cmdutil.Plural(due, "note", "notes"))
		if held := len(rows) - due; held > 0 {
			msg += fmt.Sprintf(", %d held back", held)
		}
		_, err := fmt.Fprintf(opts.IO.ErrOut, "%s. Send with: %s\n", msg, hint)
		return err
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "customer", "name", "occasion", "key", "why", "status", "due_on")
	for _, r := range rows {
		t.Append(r.Customer.ID, r.Customer.Name, string(r.Occasion), r.Key, r.Why, r.status, r.dueOn())
	}
	return t.Render()
}
