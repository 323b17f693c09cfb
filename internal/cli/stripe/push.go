package stripe

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/pkg/money"
)

// PushOptions holds `stripe push`'s inputs.
type PushOptions struct {
	IO       *iostreams.IOStreams
	Sync     func(context.Context) (*stripe.Sync, error)
	Customer string
	DryRun   bool
	Output   cmdutil.OutputFlags
}

// NewCmdPush builds `stripe push`.
func NewCmdPush(f *cmdutil.Factory, runF func(*PushOptions) error) *cobra.Command {
	opts := &PushOptions{IO: f.IOStreams, Sync: Syncer(f)}
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Send open credits to Stripe as customer balance transactions",
		Long: `Send every open credit of a customer with a Stripe id that has not been
pushed yet as a Customer Balance Transaction of minus what remains (Stripe
applies it to the next finalized invoice), and for each pushed credit since
voided or expired, the reversal of what Stripe still holds of it.

Each push is recorded with its fixed Idempotency-Key before it is sent, and
its balance transaction (cbtxn_…) once Stripe answers. A run that is killed
or loses its connection is finished by the next run with the same keys;
after 24 hours, when Stripe may have forgotten a key, makegood first looks
for the transaction by its metadata. A credit is never pushed twice.

Once pushed, a credit's uses come back with makegood stripe pull: credit
apply refuses it.`,
		Example: `  makegood stripe push --dry-run
  makegood stripe push --customer cus_NffrFeUfNV2Hib --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pushRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "Only this customer's credits")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Show what would be sent, send and write nothing")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

type pushJSON struct {
	CreditID       int64  `json:"credit_id"`
	Customer       string `json:"customer"`
	StripeCustomer string `json:"stripe_customer"`
	Kind           string `json:"kind"`
	Amount         string `json:"amount"`
	AmountMinor    int64  `json:"amount_minor"`
	Currency       string `json:"currency"`
	StripeAmount   int64  `json:"stripe_amount"`
	Description    string `json:"description"`
	IdempotencyKey string `json:"idempotency_key"`
	TransactionID  string `json:"transaction_id"`
	How            string `json:"how"`
}

type problemJSON struct {
	CreditID int64  `json:"credit_id"`
	Customer string `json:"customer"`
	Message  string `json:"message"`
}

type pushResultJSON struct {
	DryRun   bool          `json:"dry_run"`
	Pushes   []pushJSON    `json:"pushes"`
	Problems []problemJSON `json:"problems"`
	Error    string        `json:"error,omitempty"`
}

// signed is a push's effect on the customer's credit in the ledger's units:
// minus for a credit given (Stripe's sign).
func signed(p stripe.Push) int64 {
	if p.Kind == stripe.KindCredit {
		return -p.AmountMinor
	}
	return p.AmountMinor
}

func pushRun(ctx context.Context, opts *PushOptions) error {
	s, err := opts.Sync(ctx)
	if err != nil {
		return err
	}
	res, runErr := s.Push(ctx, opts.Customer, opts.DryRun)
	if opts.Output.JSON {
		out := pushResultJSON{DryRun: opts.DryRun, Pushes: []pushJSON{}, Problems: []problemJSON{}}
		for _, p := range res.Pushes {
			out.Pushes = append(out.Pushes, pushJSON{CreditID: p.CreditID, Customer: p.Customer, StripeCustomer: p.StripeCustomer,
				Kind: p.Kind, Amount: amountJSON(signed(p), p.Currency), AmountMinor: signed(p), Currency: p.Currency,
				StripeAmount: p.AmountStripe, Description: p.Description, IdempotencyKey: p.IdempotencyKey,
				TransactionID: p.TransactionID, How: p.How})
		}
		for _, p := range res.Problems {
			out.Problems = append(out.Problems, problemJSON{CreditID: p.CreditID, Customer: p.Customer, Message: p.Msg})
		}
		if runErr != nil {
			out.Error = runErr.Error()
		}
		if err := cmdutil.WriteJSON(opts.IO.Out, out); err != nil {
			return err
		}
	} else if len(res.Pushes) > 0 {
		t := cmdutil.NewTable(opts.IO, false, "CREDIT", "CUSTOMER", "STRIPE CUSTOMER", "KIND", "AMOUNT", "TRANSACTION", "HOW")
		for _, p := range res.Pushes {
			t.Append(strconv.FormatInt(p.CreditID, 10), p.Customer, p.StripeCustomer, p.Kind,
				money.Format(signed(p), p.Currency), p.TransactionID, p.How)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(opts.IO.ErrOut, "credit %d (%s) cannot be pushed: %s\n", p.CreditID, p.Customer, p.Msg)
	}
	credits, reversals := 0, 0
	for _, p := range res.Pushes {
		if p.Kind == stripe.KindCredit {
			credits++
		} else {
			reversals++
		}
	}
	verb := "Pushed"
	if opts.DryRun {
		verb = "Would push"
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s %s and %s.\n", verb, count(credits, "credit", "credits"), count(reversals, "reversal", "reversals"))
	if runErr != nil {
		if opts.Output.JSON {
			return &cmdutil.ExitCodeError{Code: cmdutil.ExitCode(runErr)}
		}
		return runErr
	}
	if len(res.Problems) > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func count(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
