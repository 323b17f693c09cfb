package credit

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// ShowOptions holds `credit show`'s inputs.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Now    func() time.Time
	ID     int64
	Output cmdutil.OutputFlags
}

// NewCmdShow builds `credit show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one credit",
		Args:  cobra.ExactArgs(1),
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
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	c, err := st.Credit(ctx, opts.ID)
	if err != nil {
		return err
	}
	return printCredit(opts.IO, c, opts.Now(), opts.Output.JSON)
}

// printCredit prints one credit as JSON or as labelled lines.
func printCredit(ios *iostreams.IOStreams, c ledger.Credit, now time.Time, asJSON bool) error {
	v := view.NewCredit(c, now)
	if asJSON {
		return cmdutil.WriteJSON(ios.Out, v)
	}
	b := cmdutil.NewLabels(16)
	line := b.Add
	line("id", fmt.Sprint(c.ID))
	line("customer", c.Customer)
	if c.IsGesture() {
		line("gesture", c.Gesture)
	} else {
		line("amount", money.Format(c.AmountMinor, c.Currency))
		line("remaining", money.Format(v.RemainingMinor, c.Currency))
	}
	line("status", v.Status)
	line("incident", view.IncidentCell(c.IncidentID))
	line("reason", c.Reason)
	line("note", c.Note)
	line("issued", v.IssuedAt)
	if v.ExpiresAt != nil {
		line("expires", *v.ExpiresAt)
	}
	if v.VoidedAt != nil {
		line("voided", *v.VoidedAt)
		line("void reason", c.VoidReason)
	}
	line("idempotency key", c.IdempotencyKey)
	_, err := fmt.Fprint(ios.Out, b.String())
	return err
}
