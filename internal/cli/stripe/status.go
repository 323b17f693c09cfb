package stripe

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/pkg/money"
)

// StatusOptions holds `stripe status`'s inputs.
type StatusOptions struct {
	IO       *iostreams.IOStreams
	Sync     func(context.Context) (*stripe.Sync, error)
	Customer string
	Output   cmdutil.OutputFlags
}

// NewCmdStatus builds `stripe status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams, Sync: Syncer(f)}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Compare makegood's open balances with Stripe's",
		Long: `Show, for each customer with a Stripe id, makegood's open balance and the
credit Stripe's customer balance holds, and when they differ, what explains
it: credits not pushed yet, reversals not pushed yet, pushes Stripe accepted
that makegood has not recorded, invoice uses not pulled yet, adjustments
made outside makegood, uses that matched no credit, and anything left
unexplained.`,
		Example: `  makegood stripe status
  makegood stripe status --json | jq '.[] | select(.mismatch)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "Only this customer")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

type explanationJSON struct {
	Kind        string `json:"kind"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
}

type statusJSON struct {
	Customer             string            `json:"customer"`
	StripeID             string            `json:"stripe_id"`
	Currency             string            `json:"currency"`
	MakegoodBalance      string            `json:"makegood_balance"`
	MakegoodBalanceMinor int64             `json:"makegood_balance_minor"`
	StripeBalance        string            `json:"stripe_balance"`
	StripeBalanceMinor   int64             `json:"stripe_balance_minor"`
	Mismatch             bool              `json:"mismatch"`
	Difference           string            `json:"difference"`
	DifferenceMinor      int64             `json:"difference_minor"`
	Explanations         []explanationJSON `json:"explanations"`
}

// explanation says what a part of a difference is, and what to do about it.
func explanation(kind string) string {
	switch kind {
	case stripe.ExplainUnpushed:
		return "in credits not pushed yet (makegood stripe push)"
	case stripe.ExplainPendingReversals:
		return "in reversals of voided or expired credits not pushed yet (makegood stripe push)"
	case stripe.ExplainUnrecordedPushes:
		return "in pushes Stripe accepted that makegood has not recorded (makegood stripe push)"
	case stripe.ExplainUnpulledUses:
		return "in invoice uses not pulled yet (makegood stripe pull)"
	case stripe.ExplainForeign:
		return "in adjustments made outside makegood"
	case stripe.ExplainUnallocated:
		return "in invoice uses that matched no open pushed credit"
	}
	return "unexplained"
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	s, err := opts.Sync(ctx)
	if err != nil {
		return err
	}
	lines, err := s.Status(ctx, opts.Customer)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, lines, func(l stripe.StatusLine) statusJSON {
			j := statusJSON{Customer: l.Customer, StripeID: l.StripeCustomer, Currency: l.Currency,
				MakegoodBalance: amountJSON(l.LedgerMinor, l.Currency), MakegoodBalanceMinor: l.LedgerMinor,
				StripeBalance: amountJSON(l.StripeMinor, l.Currency), StripeBalanceMinor: l.StripeMinor,
				Mismatch: l.Difference() != 0, Difference: amountJSON(l.Difference(), l.Currency),
				DifferenceMinor: l.Difference(), Explanations: []explanationJSON{}}
			for _, p := range l.Parts {
				j.Explanations = append(j.Explanations, explanationJSON{Kind: p.Kind,
					Amount: amountJSON(p.EffectMinor, l.Currency), AmountMinor: p.EffectMinor})
			}
			return j
		})
	}
	t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "STRIPE ID", "CURRENCY", "MAKEGOOD", "STRIPE", "STATUS")
	mismatches := 0
	for _, l := range lines {
		state := "in step"
		if l.Difference() != 0 {
			state = "mismatch"
			mismatches++
		}
		t.Append(l.Customer, l.StripeCustomer, l.Currency, money.Format(l.LedgerMinor, l.Currency),
			money.Format(l.StripeMinor, l.Currency), state)
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, l := range lines {
		if l.Difference() == 0 {
			continue
		}
		var why []string
		for _, p := range l.Parts {
			why = append(why, money.Format(p.EffectMinor, l.Currency)+" "+explanation(p.Kind))
		}
		fmt.Fprintf(opts.IO.Out, "mismatch: %s %s: Stripe %s, makegood %s: %s\n", l.Customer, l.Currency,
			money.Format(l.StripeMinor, l.Currency), money.Format(l.LedgerMinor, l.Currency), strings.Join(why, "; "))
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s, %s.\n", count(len(lines), "balance compared", "balances compared"),
		count(mismatches, "mismatch", "mismatches"))
	return nil
}
