package credit

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/money"
)

// ApplyOptions holds `credit apply`'s inputs.
type ApplyOptions struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Prompter  func() prompt.Prompter
	Now       func() time.Time
	CanPrompt bool

	ID             int64
	Amount         string
	Invoice        string
	IdempotencyKey string
	Again          bool
	Output         cmdutil.OutputFlags
}

// NewCmdApply builds `credit apply`.
func NewCmdApply(f *cmdutil.Factory, runF func(*ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "apply ID --amount X --invoice REF",
		Short: "Use part or all of a credit against an invoice",
		Long: `Record that part or all of a credit was used against an invoice. Never more
than what remains; a void or expired credit cannot be applied.

A second apply of the same credit to the same invoice is refused as a
likely retry, unless --again. With --idempotency-key, running the command
again returns the apply already recorded under the key instead of applying
twice (and another apply to the same invoice needs no --again).`,
		Example: `  makegood credit apply 42 --amount 10.00 --invoice in_1NxY2
  makegood credit apply 42 --amount 10.00 --invoice in_1NxY2 --idempotency-key in_1NxY2-42`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
			opts.CanPrompt = f.CanPrompt()
			if !opts.CanPrompt {
				if opts.Amount == "" {
					return cmdutil.RequiredError("--amount")
				}
				if opts.Invoice == "" {
					return cmdutil.RequiredError("--invoice")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return applyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Amount, "amount", "", "Amount used, in the credit's currency")
	cmd.Flags().StringVar(&opts.Invoice, "invoice", "", "The invoice it was used on")
	cmd.Flags().StringVar(&opts.IdempotencyKey, "idempotency-key", "", "Apply at most once for this key")
	cmd.Flags().BoolVar(&opts.Again, "again", false, "Apply to an invoice the credit was applied to before")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func applyRun(ctx context.Context, opts *ApplyOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	c, err := st.Credit(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err := ledger.RefuseHandApply(ctx, st, c.ID); err != nil {
		return err
	}
	now := opts.Now()
	if opts.IdempotencyKey != "" {
		if err := ledger.ValidateID("--idempotency-key", opts.IdempotencyKey); err != nil {
			return err
		}
	}
	// A retry under a key finds its apply even once the credit is used
	// up, so only a new apply is checked here; the store decides.
	if opts.IdempotencyKey == "" {
		if err := c.CheckApplicable(now); err != nil {
			return err
		}
	}
	if opts.Amount == "" {
		if opts.Amount, err = opts.Prompter().Input(ctx,
			fmt.Sprintf("Amount to use (%s remains)", money.Format(c.RemainingMinor, c.Currency)),
			money.DecimalString(c.RemainingMinor, c.Currency), func(s string) error {
				_, err := money.Parse(s, c.Currency)
				return err
			}); err != nil {
			return err
		}
	}
	amt, err := money.Parse(opts.Amount, c.Currency)
	if err != nil {
		return &ledger.FieldError{Field: "--amount", Err: err}
	}
	validInvoice := func(s string) error { return ledger.ValidateInvoice("--invoice", s) }
	if opts.Invoice == "" {
		if opts.Invoice, err = opts.Prompter().Input(ctx, "Invoice reference", "", validInvoice); err != nil {
			return err
		}
	}
	if err := validInvoice(opts.Invoice); err != nil {
		return err
	}
	c, created, err := st.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: amt.Minor, Invoice: opts.Invoice, At: now,
		IdempotencyKey: opts.IdempotencyKey, Again: opts.Again})
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(opts.IO.ErrOut, "Applied %s of credit %d to invoice %s; %s remains.\n",
			amt, c.ID, opts.Invoice, money.Format(c.RemainingMinor, c.Currency))
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "Already applied: %s of credit %d to invoice %s under idempotency key %q; %s remains.\n",
			amt, c.ID, opts.Invoice, opts.IdempotencyKey, money.Format(c.RemainingMinor, c.Currency))
	}
	if opts.Output.JSON {
		return printCredit(opts.IO, c, now, true)
	}
	return nil
}
