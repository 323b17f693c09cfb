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

// BalanceOptions holds `credit balance`'s inputs.
type BalanceOptions struct {
	IO       *iostreams.IOStreams
	Store    func(context.Context) (ledger.Store, error)
	Now      func() time.Time
	Customer string
	Output   cmdutil.OutputFlags
}

// NewCmdBalance builds `credit balance`.
func NewCmdBalance(f *cmdutil.Factory, runF func(*BalanceOptions) error) *cobra.Command {
	opts := &BalanceOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "balance",
		Short: "What each customer can still use, per currency",
		Long: `Sum the credits customers can still use: issued, less voids and uses, not
counting expired credits. Customers with nothing left are not listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Customer != "" {
				if err := ledger.ValidateID("--customer", opts.Customer); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return balanceRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "Only this customer")
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

func balanceRun(ctx context.Context, opts *BalanceOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if opts.Customer != "" {
		if _, err := st.Customer(ctx, opts.Customer); err != nil {
			return err
		}
	}
	bs, err := st.Balances(ctx, opts.Customer, opts.Now())
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, bs, view.NewBalance)
	}
	human := opts.IO.IsStdoutTTY() && !opts.Output.CSV
	if human {
		if len(bs) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No open credits.")
			return err
		}
		t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "CURRENCY", "BALANCE").Numeric("BALANCE")
		for _, b := range bs {
			t.Append(b.Customer, b.Currency, money.Format(b.BalanceMinor, b.Currency))
		}
		return t.Render()
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "customer", "currency", "balance", "balance_minor")
	for _, b := range bs {
		v := view.NewBalance(b)
		t.Append(v.Customer, v.Currency, v.Balance, fmt.Sprint(v.BalanceMinor))
	}
	return t.Render()
}
