package thanks

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
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

A table at a terminal; tab-separated rows (customer, name, occasion, key,
why) when piped; --json or --csv for scripts.`,
		Example: `  makegood thanks due
  makegood thanks due --occasion anniversary --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.occasion, err = parseOccasion(opts.Occasion); err != nil {
				return err
			}
			if opts.Windows, err = windows(f); err != nil {
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
	dopts := opts.occasion.dueOptions(opts.Windows)
	if dopts.Recoveries, err = recoveries(ctx, st, opts.Now()); err != nil {
		return err
	}
	items := thanks.Due(toThanksCustomers(cs), sent, opts.Now(), dopts)
	if opts.Output.JSON {
		out := make([]DueJSON, len(items))
		for i, it := range items {
			out[i] = DueJSON{Customer: it.Customer.ID, Name: optString(it.Customer.Name),
				Occasion: string(it.Occasion), Key: it.Key, Why: it.Why}
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(items) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No one is due a thank-you note today.")
			return err
		}
		t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "NAME", "OCCASION", "WHY").FreeText("NAME", "WHY").Wide(opts.Output.Wide)
		for _, it := range items {
			t.Append(it.Customer.ID, it.Customer.Name, it.Key, it.Why)
		}
		if err := t.Render(); err != nil {
			return err
		}
		hint := "makegood thanks send --due"
		if opts.Occasion != "" {
			hint += " --occasion " + opts.Occasion
		}
		_, err := fmt.Fprintf(opts.IO.ErrOut, "%s due. Send with: %s\n", plural(len(items), "note", "notes"), hint)
		return err
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "customer", "name", "occasion", "key", "why")
	for _, it := range items {
		t.Append(it.Customer.ID, it.Customer.Name, string(it.Occasion), it.Key, it.Why)
	}
	return t.Render()
}
