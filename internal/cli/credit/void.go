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

// VoidOptions holds `credit void`'s inputs.
type VoidOptions struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Prompter  func() prompt.Prompter
	Now       func() time.Time
	CanPrompt bool

	ID     int64
	Reason string
	Yes    bool
	Output cmdutil.OutputFlags
}

// NewCmdVoid builds `credit void`.
func NewCmdVoid(f *cmdutil.Factory, runF func(*VoidOptions) error) *cobra.Command {
	opts := &VoidOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "void ID --reason TEXT",
		Short: "Void a credit with a reversing entry",
		Long: `Void a credit: a reversing entry cancels what remains of it. Nothing is
deleted; the credit and its void both stay in the ledger. A void credit
cannot be voided or applied again.`,
		Example: `  makegood credit void 42 --reason "issued to the wrong customer" --yes`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
			opts.CanPrompt = f.CanPrompt()
			if !opts.CanPrompt {
				if opts.Reason == "" {
					return cmdutil.RequiredError("--reason")
				}
				if !opts.Yes {
					return cmdutil.RequiredError("--yes")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return voidRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "Why the credit is voided")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "Do not ask for confirmation")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func voidRun(ctx context.Context, opts *VoidOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	c, err := st.Credit(ctx, opts.ID)
	if err != nil {
		return err
	}
	now := opts.Now()
	if err := c.CheckVoid(); err != nil {
		return err
	}
	validate := func(s string) error { return ledger.ValidateVoidReason("--reason", s) }
	if opts.Reason == "" {
		if opts.Reason, err = opts.Prompter().Input(ctx, "Why void it?", "", validate); err != nil {
			return err
		}
	}
	if err := validate(opts.Reason); err != nil {
		return err
	}
	if !opts.Yes {
		question := fmt.Sprintf("Void credit %d (%s left of %s to %s)?", c.ID,
			money.Format(c.RemainingMinor, c.Currency), money.Format(c.AmountMinor, c.Currency), c.Customer)
		if c.IsGesture() {
			question = fmt.Sprintf("Void gesture %d (%s, to %s)?", c.ID, c.Gesture, c.Customer)
		}
		ok, err := opts.Prompter().Confirm(ctx, question, false)
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.ErrCancel
		}
	}
	c, err = st.VoidCredit(ctx, c.ID, opts.Reason, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Voided credit %d.\n", c.ID)
	if opts.Output.JSON {
		return printCredit(opts.IO, c, now, true)
	}
	return nil
}
