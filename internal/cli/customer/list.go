package customer

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// ListOptions holds `customer list`'s inputs.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Output cmdutil.OutputFlags
}

// NewCmdList builds `customer list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List customers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	cs, err := st.Customers(ctx)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, cs, view.NewCustomer)
	}
	human := opts.IO.IsStdoutTTY() && !opts.Output.CSV
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV,
		"id", "name", "email", "plan", "price", "currency", "period", "since", "tags", "advocate", "locale", "stripe_id")
	if human {
		// ADVOCATE needs 8 columns for a number customer show also gives;
		// at 80 columns the names and emails need them more. --wide has it.
		headers := []string{"ID", "NAME", "EMAIL", "PLAN", "PRICE", "SINCE", "TAGS"}
		if opts.Output.Wide {
			headers = append(headers, "ADVOCATE")
		}
		t = cmdutil.NewTable(opts.IO, false, headers...).
			Numeric("PRICE").FreeText("NAME", "EMAIL", "PLAN", "TAGS").Wide(opts.Output.Wide)
		if opts.Output.Wide {
			t.Numeric("ADVOCATE")
		}
	}
	for _, c := range cs {
		since := ""
		if !c.Since.IsZero() {
			since = c.Since.Format(ledger.DateLayout)
		}
		tags := strings.Join(c.Tags, ",")
		if human {
			price := ""
			if c.Currency != "" && c.PriceMinor > 0 {
				price = money.Format(c.PriceMinor, c.Currency) + "/" + shortPeriod(c.Period)
			}
			cells := []string{c.ID, c.Name, c.Email, c.Plan, price, since, tags}
			if opts.Output.Wide {
				cells = append(cells, strconv.Itoa(c.Advocate))
			}
			t.Append(cells...)
			continue
		}
		price := ""
		if c.Currency != "" {
			price = money.DecimalString(c.PriceMinor, c.Currency)
		}
		t.Append(c.ID, c.Name, c.Email, c.Plan, price, c.Currency, c.Period, since, tags, strconv.Itoa(c.Advocate), c.Locale,
			c.StripeCustomerID())
	}
	if human && t.Len() == 0 {
		_, err := opts.IO.ErrOut.Write([]byte("No customers yet. Add one with: makegood customer add ID --name NAME\n"))
		return err
	}
	return t.Render()
}

// shortPeriod is a price's period in a table, where every column counts:
// $49.00/mo, $490.00/yr.
func shortPeriod(p string) string {
	switch p {
	case ledger.PeriodMonth:
		return "mo"
	case ledger.PeriodYear:
		return "yr"
	}
	return p
}
