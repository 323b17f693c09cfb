package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
)

// AddOptions holds `customer add`'s inputs.
type AddOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Prompter        func() prompt.Prompter
	Now             func() time.Time
	CanPrompt       bool
	DefaultCurrency string

	ID      string
	Fields  Fields
	Changed func(string) bool
	Output  cmdutil.OutputFlags
}

// NewCmdAdd builds `customer add`. runF replaces the run function in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "add [ID]",
		Short: "Add a customer",
		Long: `Add a customer to the ledger. The ID is yours to choose: an email address,
a Stripe cus_… id, any handle without control characters.`,
		Example: `  makegood customer add alice@example.com --name "Alice Liddell" --plan pro \
    --price 49.00 --currency USD --since 2023-11-20 --tag vip --advocate 3`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.CanPrompt = f.CanPrompt()
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			if opts.ID == "" && !opts.CanPrompt {
				return cmdutil.FlagErrorf("the customer ID argument is required when not running interactively")
			}
			if runF != nil {
				return runF(opts)
			}
			return addRun(cmd.Context(), opts)
		},
	}
	addFieldFlags(cmd, &opts.Fields)
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func addRun(ctx context.Context, opts *AddOptions) error {
	changed := opts.Changed
	if opts.ID == "" {
		p := opts.Prompter()
		id, err := p.Input(ctx, "Customer ID (email, Stripe id, any handle)", "", func(s string) error {
			return ledger.ValidateID("ID", s)
		})
		if err != nil {
			return err
		}
		opts.ID = id
		if !changed("name") {
			if opts.Fields.Name, err = p.Input(ctx, "Name", "", func(s string) error { return validateLine("name", s) }); err != nil {
				return err
			}
		}
		if !changed("email") {
			if opts.Fields.Email, err = p.Input(ctx, "Email (optional)", "", nil); err != nil {
				return err
			}
		}
		asked := changed
		changed = func(n string) bool { return n == "name" || n == "email" || asked(n) }
	}
	if err := ledger.ValidateID("ID", opts.ID); err != nil {
		return err
	}
	now := opts.Now()
	c := ledger.Customer{ID: opts.ID, Period: ledger.PeriodMonth, CreatedAt: now, UpdatedAt: now}
	if err := opts.Fields.apply(&c, changed, opts.DefaultCurrency); err != nil {
		return err
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if err := st.AddCustomer(ctx, c); err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, view.NewCustomer(c))
	}
	if opts.IO.IsStdoutTTY() {
		_, err = fmt.Fprintf(opts.IO.Out, "Added customer %s.\n", describe(c))
		return err
	}
	_, err = fmt.Fprintln(opts.IO.Out, c.ID)
	return err
}
