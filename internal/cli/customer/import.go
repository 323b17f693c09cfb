package customer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/importutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/rows"
)

// ImportOptions holds `customer import`'s inputs.
type ImportOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Now             func() time.Time
	DefaultCurrency string
	Operator        string

	File string
	// PlanPrices is --plan-prices: a CSV of plan, price, currency,
	// period; customers on a plan without a price are priced by it.
	PlanPrices string
	plans      ledger.PlanPrices
	importutil.Flags
	Output cmdutil.OutputFlags
}

// ownSchema is the columns of customer add, as customer list --csv writes
// them, plus locale and the Stripe id (which files written before it was
// listed do without).
func ownSchema() rows.Schema {
	return rows.Schema{
		Columns:  []string{"id", "name", "email", "plan", "price", "currency", "period", "since", "locale", "tags", "advocate", "stripe_id"},
		Required: []string{"id"},
	}
}

// stripeOwners tells which customer each Stripe id belongs to, so that a
// file giving one customer another's Stripe id is a line error. Read from
// the ledger the first time a row gives a Stripe id.
type stripeOwners struct {
	load  func(context.Context) ([]ledger.Customer, error)
	owner map[string]string // Stripe id -> customer id
}

// claim records that customer c now has Stripe id sid (its id before was
// old), or names the customer that has it already.
func (o *stripeOwners) claim(ctx context.Context, c, old, sid string) error {
	if o.owner == nil {
		cs, err := o.load(ctx)
		if err != nil {
			return err
		}
		o.owner = map[string]string{}
		for _, x := range cs {
			if id := x.StripeCustomerID(); id != "" {
				o.owner[id] = x.ID
			}
		}
	}
	if other, ok := o.owner[sid]; ok && other != c {
		return ledger.Fieldf("stripe_id", "%s is customer %q's Stripe id already", sid, other)
	}
	if old != "" && o.owner[old] == c {
		delete(o.owner, old)
	}
	o.owner[sid] = c
	return nil
}

// stripeSchema is the part of Stripe's customer export that means
// something here; its many other columns are ignored.
func stripeSchema() rows.Schema {
	return rows.Schema{
		Columns:       []string{"id", "Email", "Name", "Created (UTC)", "Currency", "Plan"},
		Required:      []string{"id"},
		IgnoreUnknown: true,
	}
}

// NewCmdImport builds `customer import`.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add or update customers from a CSV file (- for stdin)",
		Long: `Add or update customers from a file, by id.

Two kinds of CSV are understood, told apart by the header row:

  - makegood's own, with the columns of customer add: id, name, email,
    plan, price, currency, period, since, locale, tags, advocate, and
    stripe_id (the customer's Stripe id, cus_…; a file without the column
    leaves it as it is). Only id is required; tags are separated by commas.
    customer list --csv writes it.
  - Stripe's customer export: id, Email, Name, Created (UTC) (the customer
    since date; "2023-03-14 09:26:41" or RFC 3339), Currency, Plan. Its other
    columns are ignored.

Stripe's export has no price, and goodwill needs one. --plan-prices FILE is
a CSV of plan, price, currency, period (header row first): a customer on a
plan without a price of their own gets the plan's. The config's plans table
(plans: {pro: {price: 49.00, currency: USD, period: month}}) does the same
wherever a price is needed, without writing it to the customer.

JSON Lines with makegood's keys works too (by extension, --format, or a
first character of {). Empty cells leave a field as it is.

makegood's CSV is safe to open in a spreadsheet: a cell that starts with
= + - @, a tab or a carriage return (after any single quotes) is written
with one more single quote in front, and import takes that quote off again,
so what customer list --csv writes reads back exactly.

The whole file is one transaction: if any row is invalid, nothing is
written and every problem is listed by line. A file imported before is
refused unless --allow-repeat; --dry-run checks everything and writes
nothing.`,
		Example: `  makegood customer import customers.csv
  makegood customer import ~/Downloads/unified_customers.csv --dry-run
  makegood customer import ~/Downloads/unified_customers.csv --plan-prices plans.csv
  makegood customer list --csv | ssh backup makegood customer import -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			getenv := f.Getenv
			if getenv == nil {
				getenv = os.Getenv
			}
			opts.Operator = importutil.Operator(cfg.GetString("operator"), getenv)
			if opts.Format != "" {
				if _, err := rows.ParseFormat(opts.Format); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return importRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "", "csv or jsonl (default: by extension)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Check every row and print the summary, write nothing")
	fl.StringVar(&opts.PlanPrices, "plan-prices", "", "CSV of plan,price,currency,period pricing customers who have a plan and no price")
	fl.BoolVar(&opts.AllowRepeat, "allow-repeat", false, "Import the file even if the same file was imported before")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	if opts.PlanPrices != "" {
		var err error
		if opts.plans, err = readPlanPrices(opts.PlanPrices); err != nil {
			return err
		}
	}
	in, err := importutil.Open("FILE", opts.File, opts.IO)
	if err != nil {
		return err
	}
	defer in.Close()
	format, err := in.Format(opts.Format)
	if err != nil {
		return err
	}
	rd, err := rows.NewReader(in, format)
	if err != nil {
		return err
	}
	stripe := format == rows.CSV && isStripe(rd.Header())
	// makegood's CSV quotes cells a spreadsheet would run as formulas
	// (cmdutil.NeutralizeCell); reading it back takes the quote off again,
	// so customer list --csv | customer import - changes nothing. Stripe's
	// export and JSON Lines carry no such quotes and are read as they are.
	ownCSV := format == rows.CSV && !stripe
	schema := ownSchema()
	if stripe {
		schema = stripeSchema()
	}
	if err := rd.Bind(schema); err != nil {
		return err
	}

	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	imp, err := st.BeginCustomerImport(ctx)
	if err != nil {
		return err
	}
	defer imp.Rollback()

	now := opts.Now()
	var (
		problems ledger.Problems
		sum      view.CustomerImport
		owners   = &stripeOwners{load: st.Customers}
	)
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil && ownCSV {
			row = row.Map(cmdutil.UnneutralizeCell)
		}
		if err == nil {
			err = importCustomer(ctx, imp, row, stripe, now, opts, owners, problems.Len() == 0 && !opts.DryRun, &sum)
		}
		if err != nil {
			if !importutil.IsRowProblem(err) {
				return err
			}
			problems.Add(err)
		}
	}
	if err := importutil.Complete(ctx, imp, in, rd, &problems, opts.Flags, ledger.Import{Kind: ledger.ImportCustomers, At: now,
		Written: sum.Created + sum.Updated, AlreadyRecorded: sum.Unchanged, Operator: opts.Operator}); err != nil {
		return err
	}
	if opts.DryRun {
		fmt.Fprintln(opts.IO.ErrOut, "Dry run: every row is valid; nothing was written.")
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, sum)
	}
	verb := map[bool]string{false: "Created %d, updated %d, unchanged %d.\n", true: "Would create %d, update %d; %d unchanged.\n"}[opts.DryRun]
	_, err = fmt.Fprintf(opts.IO.Out, verb, sum.Created, sum.Updated, sum.Unchanged)
	return err
}

// isStripe tells Stripe's export from our own CSV: ours has only known
// columns, Stripe's has "Created (UTC)".
func isStripe(header []string) bool {
	own := true
	stripe := false
	for _, h := range header {
		if !slices.ContainsFunc(ownSchema().Columns, func(c string) bool { return strings.EqualFold(c, h) }) {
			own = false
		}
		if strings.EqualFold(h, "Created (UTC)") {
			stripe = true
		}
	}
	return !own && stripe
}

func importCustomer(ctx context.Context, imp ledger.CustomerImport, row rows.Row, stripe bool, now time.Time,
	opts *ImportOptions, owners *stripeOwners, write bool, sum *view.CustomerImport) error {
	at := func(err error) error {
		var fe *ledger.FieldError
		if errors.As(err, &fe) {
			// Fields.apply names flags; in a file they are columns.
			return &ledger.FieldError{Line: row.Line, Field: strings.TrimPrefix(fe.Field, "--"), Err: fe.Err}
		}
		return importutil.AtLine(row.Line, "id", err)
	}
	id := row.Get(0)
	if err := ledger.ValidateID("id", id); err != nil {
		return at(err)
	}
	if err := imp.Claim(ctx, row.Line, id); err != nil {
		return at(err)
	}
	c, found, err := imp.Customer(ctx, id)
	if err != nil {
		return err
	}
	if !found {
		c = ledger.Customer{ID: id, Period: ledger.PeriodMonth, CreatedAt: now}
	}
	before := c
	var (
		fl      Fields
		changed = map[string]bool{}
	)
	set := func(flag string, col int) string {
		v := row.Get(col)
		if v != "" {
			changed[flag] = true
		}
		return v
	}
	if stripe {
		fl.Email = set("email", 1)
		fl.Name = set("name", 2)
		if created := row.Get(3); created != "" {
			t, err := stripeCreated(created)
			if err != nil {
				return at(err)
			}
			c.Since = t
		}
		fl.Currency = set("currency", 4)
		fl.Plan = set("plan", 5)
	} else {
		fl.Name = set("name", 1)
		fl.Email = set("email", 2)
		fl.Plan = set("plan", 3)
		fl.Price = set("price", 4)
		// customer list --csv writes a price of nothing as 0.00, which
		// the strict amount parser (rightly, for credits) refuses.
		zeroPrice := fl.Price != "" && strings.Trim(fl.Price, "0.") == "" && strings.Count(fl.Price, ".") <= 1
		if zeroPrice {
			delete(changed, "price")
			c.PriceMinor = 0
		}
		fl.Currency = set("currency", 5)
		fl.Period = set("period", 6)
		fl.Since = set("since", 7)
		fl.Locale = set("locale", 8)
		if tags := set("tag", 9); tags != "" {
			fl.Tags = strings.Split(tags, ",")
		}
		if adv := set("advocate", 10); adv != "" {
			n, err := strconv.Atoi(adv)
			if err != nil {
				return at(ledger.Fieldf("advocate", "%q is not a whole number from 0 to %d", adv, ledger.MaxAdvocate))
			}
			fl.Advocate = n
		}
		// customer list --csv writes the id Stripe knows the customer by,
		// which for a cus_… id is the id itself: nothing to link then.
		if sid := row.Get(11); sid != "" && sid != c.StripeCustomerID() {
			if err := ledger.ValidateStripeCustomerID("stripe_id", sid); err != nil {
				return at(err)
			}
			if err := owners.claim(ctx, c.ID, c.StripeCustomerID(), sid); err != nil {
				return at(err)
			}
			c.StripeID = sid
		}
	}
	if err := fl.apply(&c, func(flag string) bool { return changed[flag] }, opts.DefaultCurrency); err != nil {
		return at(err)
	}
	if pp, ok := opts.plans[c.Plan]; ok && c.PriceMinor == 0 {
		if c.Currency != "" && c.Currency != pp.Currency {
			return at(ledger.Fieldf("plan", "plan %q is priced in %s (--plan-prices), but the customer pays in %s", c.Plan, pp.Currency, c.Currency))
		}
		c = opts.plans.Apply(c)
	}
	c.UpdatedAt = now
	unchanged := found && before.Same(c)
	if write && !unchanged {
		if err := imp.Put(ctx, c, !found); err != nil {
			if errors.Is(err, ledger.ErrConflict) {
				return importutil.AtLine(row.Line, "stripe_id", err)
			}
			return err
		}
	}
	switch {
	case !found:
		sum.Created++
	case unchanged:
		sum.Unchanged++
	default:
		sum.Updated++
	}
	return nil
}

// stripeCreated reads Stripe's "Created (UTC)": "2023-03-14 09:26:41" (or
// without seconds) in the dashboard's export, RFC 3339 in others. The
// customer-since date is its day.
func stripeCreated(s string) (time.Time, error) {
	t, err := ledger.ParseTimeAs("Created (UTC)", strings.TrimSpace(s), "2023-03-14 09:26:41", "2006-01-02 15:04:05", "2006-01-02 15:04")
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

// readPlanPrices reads --plan-prices: a CSV with the header plan, price,
// currency, period (period may be left out: month). Every bad line is
// reported by number, and nothing is imported.
func readPlanPrices(path string) (ledger.PlanPrices, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ledger.Fieldf("--plan-prices", "%v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, ledger.Fieldf("--plan-prices", "%v", err)
	}
	if len(records) == 0 {
		return nil, ledger.Fieldf("--plan-prices", "%s is empty; want a header plan,price,currency,period", path)
	}
	cols := map[string]int{}
	for i, h := range records[0] {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))] = i
	}
	for _, need := range []string{"plan", "price", "currency"} {
		if _, ok := cols[need]; !ok {
			return nil, ledger.Fieldf("--plan-prices", "%s: the header has no %s column; want plan,price,currency,period", path, need)
		}
	}
	get := func(rec []string, col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	out := ledger.PlanPrices{}
	var problems ledger.Problems
	for n, rec := range records[1:] {
		line := n + 2
		pp, err := ledger.NewPlanPrice("--plan-prices", get(rec, "plan"), get(rec, "price"), get(rec, "currency"), get(rec, "period"))
		if err != nil {
			problems.Add(fmt.Errorf("%s line %d: %w", path, line, errors.Unwrap(err)))
			continue
		}
		if _, dup := out[get(rec, "plan")]; dup {
			problems.Add(ledger.Fieldf("--plan-prices", "%s line %d: plan %q is priced twice", path, line, get(rec, "plan")))
			continue
		}
		out[get(rec, "plan")] = pp
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
