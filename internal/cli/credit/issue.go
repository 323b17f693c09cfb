package credit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/credit/shared"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/money"
)

// IssueOptions holds `credit issue`'s inputs.
type IssueOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Prompter        func() prompt.Prompter
	Now             func() time.Time
	CanPrompt       bool
	DefaultCurrency string

	Customer       string
	Amount         string
	Currency       string
	Reason         string
	Note           string
	Expires        string
	IdempotencyKey string
	NewCustomer    bool
	// AllowOtherCurrency lets a credit be in a currency other than the
	// customer's without asking.
	AllowOtherCurrency bool
	Incident           string
	Gesture            string
	Output             cmdutil.OutputFlags
	Bulk               BulkOptions // --from-file and its flags, in bulk.go

	// Changed tells which flags were given, so prompts ask only for the rest.
	Changed func(string) bool
}

// NewCmdIssue builds `credit issue`. runF replaces the run function in tests.
func NewCmdIssue(f *cmdutil.Factory, runF func(*IssueOptions) error) *cobra.Command {
	opts := &IssueOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Give a customer a credit toward their next invoice",
		Long: `Give a customer a credit toward their next invoice.

At a terminal, values you leave out are asked for, then confirmed. From a
script, --customer and --amount are required; the id of the new credit is
printed alone on stdout. With --idempotency-key, running the same command
again returns the credit already recorded instead of issuing a second one.

--expires takes a date (the credit stops counting at the start of that day,
UTC) or a number of days from today (90d).

--gesture records something other than money instead (an upgrade, a free
product, a handwritten card): no amount, no currency, never part of a
balance. --incident links the credit or gesture to the incident it makes
good for, and adds the customer to the incident's affected customers.`,
		Example: `  makegood credit issue --customer alice@example.com --amount 25.00 --reason outage \
    --note "Couldn't log in for a day" --expires 90d
  makegood credit issue --customer cus_123 --amount 2500 --currency JPY --json
  makegood credit issue --customer cus_123 --gesture "a handwritten card" --incident 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.CanPrompt = f.CanPrompt()
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			if opts.Bulk.FromFile != "" {
				return bulkRunE(cmd, opts, cfg, f.Getenv, runF)
			}
			if !opts.CanPrompt {
				if opts.Customer == "" {
					return cmdutil.RequiredError("--customer")
				}
				if opts.Amount == "" && opts.Gesture == "" {
					return cmdutil.RequiredError("--amount")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return issueRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Customer ID")
	fl.StringVar(&opts.Amount, "amount", "", "Amount in the currency's units, e.g. 25.00")
	fl.StringVar(&opts.Currency, "currency", "", "ISO 4217 currency (default: the customer's, then config currency)")
	reasons := ledger.Reasons()
	fl.StringVar(&opts.Reason, "reason", ledger.ReasonOther,
		"Why: "+strings.Join(reasons[:len(reasons)-1], ", ")+" or "+reasons[len(reasons)-1])
	fl.StringVar(&opts.Note, "note", "", "A note for the ledger, up to 2,000 characters")
	fl.StringVar(&opts.Expires, "expires", "", "Expiry: a date (2027-01-31) or days from today (90d)")
	fl.StringVar(&opts.IdempotencyKey, "idempotency-key", "", "Issue at most once for this key")
	fl.BoolVar(&opts.NewCustomer, "new-customer", false, "Add the customer if the ledger doesn't know it")
	fl.BoolVar(&opts.AllowOtherCurrency, "allow-other-currency", false, "Allow a currency other than the customer's (asked at a terminal)")
	fl.StringVar(&opts.Incident, "incident", "", "Incident ID this credit or gesture makes good for")
	fl.StringVar(&opts.Gesture, "gesture", "", "Record a gesture without money instead, e.g. \"a handwritten card\"")
	cmd.MarkFlagsMutuallyExclusive("amount", "gesture")
	cmd.MarkFlagsMutuallyExclusive("currency", "gesture")
	cmd.MarkFlagsMutuallyExclusive("expires", "gesture")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	addBulkFlags(cmd, &opts.Bulk)
	_ = cmd.RegisterFlagCompletionFunc("reason", cobra.FixedCompletions(ledger.Reasons(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func issueRun(ctx context.Context, opts *IssueOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	var incident int64
	if opts.Incident != "" {
		if incident, err = ledger.ParseIncidentID("--incident", opts.Incident); err != nil {
			return err
		}
		if _, err := st.Incident(ctx, incident); err != nil {
			return err
		}
	}
	if opts.Gesture != "" {
		if err := ledger.ValidateGesture("--gesture", opts.Gesture); err != nil {
			return err
		}
	}
	// Values given as flags are checked before any question is asked, so
	// a typo in --expires does not cost the operator a whole form.
	if err := ledger.ValidateReason("--reason", opts.Reason); err != nil {
		return err
	}
	if err := ledger.ValidateText("--note", opts.Note, ledger.MaxNoteLen); err != nil {
		return err
	}
	now := opts.Now()
	var expires *time.Time
	if opts.Expires != "" {
		t, err := ledger.ParseExpiry("--expires", opts.Expires, now)
		if err != nil {
			return err
		}
		expires = &t
	}
	if opts.IdempotencyKey != "" {
		if err := ledger.ValidateID("--idempotency-key", opts.IdempotencyKey); err != nil {
			return err
		}
	}
	interactive := opts.CanPrompt && (opts.Customer == "" || (opts.Amount == "" && opts.Gesture == ""))
	var (
		cust    ledger.Customer
		newCust *ledger.Customer
		amt     money.Amount
	)
	if interactive {
		// Without the values a script would give, the form asks for the
		// rest, step by step, and shows everything before it is written.
		s, ok := opts.Prompter().(prompt.Stepper)
		if !ok {
			return errors.New("credit issue: the prompter cannot ask a form")
		}
		f, err := runIssueForm(ctx, opts, st, s, now, expires, incident)
		if err != nil {
			return err
		}
		cust, newCust, amt, expires, incident = f.cust, f.newCust, f.amt, f.exp, f.inc
		opts.Reason, opts.Note = f.reason, f.note
	} else {
		if err := ledger.ValidateID("--customer", opts.Customer); err != nil {
			return err
		}
		cust, err = st.Customer(ctx, opts.Customer)
		switch {
		case err == nil:
		case errors.Is(err, ledger.ErrNotFound):
			newCust, err = newCustomer(ctx, opts, nil)
			if err != nil {
				return err
			}
			cust = *newCust
		default:
			return err
		}
		if opts.Gesture == "" {
			if amt, err = issueAmount(ctx, opts, nil, cust, newCust); err != nil {
				return err
			}
		}
	}

	c, created, err := st.IssueCredit(ctx, ledger.NewCredit{
		Customer: cust.ID, AmountMinor: amt.Minor, Currency: amt.Currency, Reason: opts.Reason,
		Note: opts.Note, IssuedAt: now, ExpiresAt: expires, IdempotencyKey: opts.IdempotencyKey,
		NewCustomer: newCust, IncidentID: incident, Gesture: opts.Gesture,
	})
	if err != nil {
		return err
	}
	return shared.PrintIssued(opts.IO, c, cust, created, opts.Output.JSON, now)
}

// issueAmount settles the currency (flag, customer, config, or asked at a
// terminal) and reads the amount in it. A customer added on the fly keeps
// the currency of its first credit, so the next credit needs no --currency.
func issueAmount(ctx context.Context, opts *IssueOptions, p prompt.Prompter, cust ledger.Customer, newCust *ledger.Customer) (money.Amount, error) {
	currency, _, err := ledger.CreditCurrency(cust, opts.DefaultCurrency, ledger.CurrencyGiven{Currency: opts.Currency, Field: "--currency"})
	if err != nil {
		return money.Amount{}, err
	}
	if currency == "" {
		if !opts.CanPrompt {
			return money.Amount{}, ledger.NoCurrency("--currency", cust)
		}
		// At a terminal a missing currency is asked for even when every
		// other value came as a flag (an unknown --customer just added).
		if p == nil {
			p = opts.Prompter()
		}
		if currency, err = p.Input(ctx, "Currency (ISO 4217, e.g. USD)", "", func(s string) error {
			_, err := money.NormalizeCurrency(s)
			return err
		}); err != nil {
			return money.Amount{}, err
		}
		if currency, err = money.NormalizeCurrency(currency); err != nil {
			return money.Amount{}, &ledger.FieldError{Field: "currency", Err: err}
		}
	}
	if err := otherCurrency(ctx, opts, p, cust, currency); err != nil {
		return money.Amount{}, err
	}
	if newCust != nil {
		newCust.Currency = currency
	}

	if opts.Amount == "" {
		if opts.Amount, err = p.Input(ctx, fmt.Sprintf("Amount in %s", currency), "", func(s string) error {
			_, err := money.Parse(s, currency)
			return err
		}); err != nil {
			return money.Amount{}, err
		}
	}
	amt, err := money.Parse(opts.Amount, currency)
	if err != nil {
		return money.Amount{}, &ledger.FieldError{Field: "--amount", Err: err}
	}
	return amt, nil
}

// otherCurrency applies the one-currency rule: a credit in a currency other
// than the customer's needs --allow-other-currency, or at a terminal a yes
// to the question.
func otherCurrency(ctx context.Context, opts *IssueOptions, p prompt.Prompter, cust ledger.Customer, currency string) error {
	err := ledger.CheckCreditCurrency("--currency", cust, currency, opts.AllowOtherCurrency)
	if err == nil || !opts.CanPrompt {
		return err
	}
	if p == nil {
		p = opts.Prompter()
	}
	ok, err := p.Confirm(ctx, ledger.OtherCurrencyQuestion(cust, currency), false)
	if err != nil {
		return err
	}
	if !ok {
		return cmdutil.ErrCancel
	}
	return nil
}

const newCustomerChoice = "\x00new"

// newCustomer decides what to do about a customer the ledger doesn't know:
// offer to add it at a terminal, add it with --new-customer, refuse
// otherwise. The customer is written with the credit, in one transaction.
func newCustomer(ctx context.Context, opts *IssueOptions, p prompt.Prompter) (*ledger.Customer, error) {
	now := opts.Now()
	c := &ledger.Customer{ID: opts.Customer, Period: ledger.PeriodMonth, CreatedAt: now, UpdatedAt: now}
	switch {
	case opts.NewCustomer:
		return c, nil
	case opts.CanPrompt:
		if p == nil {
			p = opts.Prompter()
		}
		ok, err := p.Confirm(ctx, fmt.Sprintf("Customer %q is not in the ledger. Add it?", opts.Customer), true)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, cmdutil.ErrCancel
		}
		if c.Name, err = p.Input(ctx, "Name (optional)", "", func(s string) error {
			return ledger.ValidateText("name", s, ledger.MaxTextLen)
		}); err != nil {
			return nil, err
		}
		return c, nil
	default:
		return nil, &ledger.FieldError{Field: "--customer", Err: fmt.Errorf(
			"customer %q is not in the ledger; add it first with `makegood customer add %s`, or pass --new-customer",
			opts.Customer, opts.Customer)}
	}
}

func reasonOptions() []prompt.Option {
	var out []prompt.Option
	for _, r := range ledger.Reasons() {
		out = append(out, prompt.Option{Label: r, Value: r})
	}
	return out
}

func customerLabel(c ledger.Customer) string { return cmdutil.CustomerLabel(c) }
