package stripe

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/stripe"
)

// CustomersImportOptions holds `stripe customers import`'s inputs.
type CustomersImportOptions struct {
	IO     *iostreams.IOStreams
	Sync   func(context.Context) (*stripe.Sync, error)
	DryRun bool
	Output cmdutil.OutputFlags
}

// NewCmdCustomersImport builds `stripe customers import`.
func NewCmdCustomersImport(f *cmdutil.Factory, runF func(*CustomersImportOptions) error) *cobra.Command {
	opts := &CustomersImportOptions{IO: f.IOStreams, Sync: Syncer(f)}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Add or update customers from Stripe's API",
		Long: `Read every Stripe customer and subscription, and add or update the ledger's
customers: name, email, locale, customer since (from when the Stripe customer
was created), and plan, price, currency and period from the price of the
current subscription (active, else trialing, else past due).

A Stripe customer is the ledger customer linked to its Stripe id, else the
one whose id is the cus_… id, else the only one with its email that has no
Stripe id yet; otherwise it is added under its cus_… id. Each keeps its
Stripe id. Tags and the advocate weight stay makegood's own.

Everything is written in one transaction, or nothing; --dry-run writes
nothing.`,
		Example: `  makegood stripe customers import --dry-run
  makegood stripe customers import --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return customersImportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Show what would change, write nothing")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

type importedJSON struct {
	ID       string `json:"id"`
	StripeID string `json:"stripe_id"`
	Action   string `json:"action"`
	Note     string `json:"note,omitempty"`
}

type importJSON struct {
	DryRun    bool           `json:"dry_run"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Customers []importedJSON `json:"customers"`
}

func customersImportRun(ctx context.Context, opts *CustomersImportOptions) error {
	s, err := opts.Sync(ctx)
	if err != nil {
		return err
	}
	res, err := s.ImportCustomers(ctx, opts.DryRun)
	if err != nil {
		return err
	}
	for _, c := range res.Customers {
		if c.Note != "" {
			fmt.Fprintf(opts.IO.ErrOut, "%s (%s): %s\n", c.ID, c.StripeID, c.Note)
		}
	}
	if opts.DryRun {
		fmt.Fprintln(opts.IO.ErrOut, "Dry run: nothing was written.")
	}
	if opts.Output.JSON {
		out := importJSON{DryRun: opts.DryRun, Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged,
			Customers: []importedJSON{}}
		for _, c := range res.Customers {
			out.Customers = append(out.Customers, importedJSON(c))
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	verb := map[bool]string{false: "Created %d, updated %d, unchanged %d.\n", true: "Would create %d, update %d; %d unchanged.\n"}[opts.DryRun]
	_, err = fmt.Fprintf(opts.IO.Out, verb, res.Created, res.Updated, res.Unchanged)
	return err
}
