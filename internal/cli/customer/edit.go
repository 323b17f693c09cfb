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
)

// EditOptions holds `customer edit`'s inputs.
type EditOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Now             func() time.Time
	DefaultCurrency string

	ID      string
	Fields  Fields
	Changed func(string) bool
	Output  cmdutil.OutputFlags
}

// NewCmdEdit builds `customer edit`.
func NewCmdEdit(f *cmdutil.Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "edit ID",
		Short:   "Change a customer's details",
		Long:    "Change the fields given as flags; the others stay as they are. --tag replaces all tags.",
		Example: `  makegood customer edit alice@example.com --plan team --price 99.00`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			if !anyChanged(opts.Changed, fieldFlagNames()...) {
				return cmdutil.FlagErrorf("give at least one field to change, e.g. --plan or --email")
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			if runF != nil {
				return runF(opts)
			}
			return editRun(cmd.Context(), opts)
		},
	}
	addFieldFlags(cmd, &opts.Fields)
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func editRun(ctx context.Context, opts *EditOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	c, err := st.Customer(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err := opts.Fields.apply(&c, opts.Changed, opts.DefaultCurrency); err != nil {
		return err
	}
	c.UpdatedAt = opts.Now()
	if err := st.UpdateCustomer(ctx, c); err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, view.NewCustomer(c))
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "Updated customer %s.\n", describe(c))
	return err
}
