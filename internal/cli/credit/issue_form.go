package credit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/money"
)

// issueStepNames are the form's steps, as the step line names them.
func issueStepNames() []string { return []string{"Customer", "Amount", "Details", "Confirm"} }

const (
	issueStepCustomer = iota
	issueStepAmount
	issueStepDetails
	issueStepConfirm
)

const noIncident = "none"

// issueForm asks, step by step, for what credit issue was not given as
// flags, with the walk's manners: a step line, shift+tab on a step's first
// field back to the step before (answers kept), Esc or Ctrl-C to cancel,
// and a last step that shows everything that will be written. It only
// decides; issueRun writes.
type issueForm struct {
	opts      *IssueOptions
	st        ledger.Store
	p         prompt.Stepper
	now       time.Time
	customers []ledger.Customer
	incidents []ledger.Incident

	// Answers bound to fields, kept across Back.
	choice    string // customer id, or newCustomerChoice
	newID     string
	name      string
	addIt     bool
	currency  string
	otherOK   bool
	amount    string
	reason    string
	note      string
	expires   string
	incident  string
	confirmed bool

	// Decided.
	cust    ledger.Customer
	newCust *ledger.Customer
	amt     money.Amount
	exp     *time.Time
	inc     int64
}

func issueTitle(step int, detail string) string {
	names := issueStepNames()
	t := fmt.Sprintf("Step %d of %d · %s", step+1, len(names), names[step])
	if detail != "" {
		t += " · " + detail
	}
	return t
}

// runIssueForm asks for the rest of a credit. given are --expires and
// --incident as checked already.
func runIssueForm(ctx context.Context, opts *IssueOptions, st ledger.Store, p prompt.Stepper, now time.Time,
	expires *time.Time, incident int64) (*issueForm, error) {
	f := &issueForm{opts: opts, st: st, p: p, now: now, exp: expires, inc: incident,
		reason: opts.Reason, note: opts.Note, expires: opts.Expires, incident: noIncident, addIt: true, confirmed: true}
	if f.reason == "" || !opts.Changed("reason") {
		f.reason = ledger.ReasonOutage
	}
	var err error
	if f.customers, err = st.Customers(ctx); err != nil {
		return nil, err
	}
	if opts.Incident == "" {
		if f.incidents, err = st.Incidents(ctx, ledger.IncidentFilter{Limit: 20}); err != nil {
			return nil, err
		}
	}
	start := f.customerPage
	if opts.Customer != "" {
		start = f.settleGiven
	}
	if err := prompt.RunPages(ctx, start); err != nil {
		return nil, err
	}
	return f, nil
}

// settleGiven starts the form from a --customer given as a flag.
func (f *issueForm) settleGiven(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	f.choice = f.opts.Customer
	if c, ok := f.known(f.choice); ok {
		f.cust, f.newCust = c, nil
		return f.amountPage(ctx, allowBack)
	}
	if f.opts.NewCustomer {
		f.newID = f.choice
		f.setNew()
		return f.amountPage(ctx, allowBack)
	}
	return f.newCustomerPage(ctx, allowBack)
}

func (f *issueForm) known(id string) (ledger.Customer, bool) {
	for _, c := range f.customers {
		if c.ID == id {
			return c, true
		}
	}
	return ledger.Customer{}, false
}

func (f *issueForm) customerPage(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	if len(f.customers) == 0 {
		f.choice = newCustomerChoice
		return f.newCustomerPage(ctx, allowBack)
	}
	if f.choice == "" {
		f.choice = f.customers[0].ID
	}
	opts := make([]prompt.Option, 0, len(f.customers)+1)
	for _, c := range f.customers {
		opts = append(opts, prompt.Option{Label: customerLabel(c), Value: c.ID})
	}
	opts = append(opts, prompt.Option{Label: "+ a new customer…", Value: newCustomerChoice})
	back, err := f.p.Group(ctx, issueTitle(issueStepCustomer, ""), []prompt.Field{
		prompt.SelectField("Customer (type / to filter)", opts, &f.choice),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if f.choice == newCustomerChoice {
		return false, f.newCustomerPage, nil
	}
	c, _ := f.known(f.choice)
	f.cust, f.newCust = c, nil
	return false, f.amountPage, nil
}

// newCustomerPage adds a customer with the credit: one picked as new, or a
// --customer the ledger does not know, which is offered to be added.
func (f *issueForm) newCustomerPage(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	var fields []prompt.Field
	given := f.opts.Customer != ""
	if given {
		f.newID = f.opts.Customer
		fields = append(fields, prompt.ConfirmField(fmt.Sprintf("Customer %q is not in the ledger. Add it?", f.newID), &f.addIt))
	} else {
		fields = append(fields, prompt.InputField("New customer ID (email, Stripe id, any handle)", &f.newID, func(s string) error {
			if err := ledger.ValidateID("customer ID", s); err != nil {
				return err
			}
			if _, ok := f.known(s); ok {
				return fmt.Errorf("%s is already a customer: go back and pick it", s)
			}
			return nil
		}))
	}
	fields = append(fields, prompt.InputField("Name (optional)", &f.name, func(s string) error {
		return ledger.ValidateText("name", s, ledger.MaxTextLen)
	}))
	back, err := f.p.Group(ctx, issueTitle(issueStepCustomer, "a new customer"), fields, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if given && !f.addIt {
		return false, nil, cmdutil.ErrCancel
	}
	if err := ledger.ValidateID("--customer", f.newID); err != nil {
		return false, nil, err
	}
	f.setNew()
	return false, f.amountPage, nil
}

func (f *issueForm) setNew() {
	c := &ledger.Customer{ID: f.newID, Name: strings.TrimSpace(f.name), Period: ledger.PeriodMonth, CreatedAt: f.now, UpdatedAt: f.now}
	f.newCust, f.cust = c, *c
}

// currencyOf is the credit's currency before any is typed: --currency,
// the customer's, the config's; "" when it must be asked.
func (f *issueForm) currencyOf() string {
	cur, field, err := ledger.CreditCurrency(f.cust, f.opts.DefaultCurrency, ledger.CurrencyGiven{Currency: f.opts.Currency, Field: "--currency"})
	if err != nil {
		// As typed, for the amount's check to refuse.
		switch field {
		case "--currency":
			return f.opts.Currency
		case "customer currency":
			return f.cust.Currency
		}
		return f.opts.DefaultCurrency
	}
	return cur
}

func (f *issueForm) amountPage(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	if f.opts.Gesture != "" {
		return f.detailsPage(ctx, allowBack)
	}
	cur := f.currencyOf()
	var fields []prompt.Field
	askCurrency := cur == ""
	if askCurrency {
		fields = append(fields, prompt.LiveInputField("Currency (ISO 4217, e.g. USD)", &f.currency, func(s string) error {
			_, err := money.NormalizeCurrency(s)
			return err
		}))
	}
	askOther := !askCurrency && ledger.CheckCreditCurrency("--currency", f.cust, cur, f.opts.AllowOtherCurrency) != nil
	if askOther {
		f.otherOK = false
		fields = append(fields, prompt.ConfirmField(ledger.OtherCurrencyQuestion(f.cust, cur), &f.otherOK))
	}
	if f.opts.Amount == "" {
		title := "Amount in " + cur
		if askCurrency {
			title = "Amount"
		}
		fields = append(fields, prompt.LiveInputField(title, &f.amount, func(s string) error {
			c := cur
			if askCurrency {
				var err error
				if c, err = money.NormalizeCurrency(f.currency); err != nil {
					return errors.New("give the currency first")
				}
			}
			_, err := money.Parse(s, c)
			return err
		}))
	} else {
		f.amount = f.opts.Amount
	}
	if len(fields) > 0 {
		back, err := f.p.Group(ctx, issueTitle(issueStepAmount, customerLabel(f.cust)), fields, allowBack)
		if err != nil || back {
			return back, nil, err
		}
	}
	if askCurrency {
		var err error
		if cur, err = money.NormalizeCurrency(f.currency); err != nil {
			return false, nil, &ledger.FieldError{Field: "currency", Err: err}
		}
	} else if _, err := money.NormalizeCurrency(cur); err != nil {
		return false, nil, &ledger.FieldError{Field: "--currency", Err: err}
	}
	if askOther && !f.otherOK {
		return false, nil, cmdutil.ErrCancel
	}
	amt, err := money.Parse(f.amount, cur)
	if err != nil {
		return false, nil, &ledger.FieldError{Field: "--amount", Err: err}
	}
	f.amt = amt
	if f.newCust != nil {
		f.newCust.Currency = cur
	}
	if len(fields) == 0 {
		return f.detailsPage(ctx, allowBack)
	}
	return false, f.detailsPage, nil
}

func (f *issueForm) detailsPage(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	var fields []prompt.Field
	if !f.opts.Changed("reason") {
		fields = append(fields, prompt.SelectField("Reason", reasonOptions(), &f.reason))
	}
	if !f.opts.Changed("note") {
		fields = append(fields, prompt.InputField("Note for the ledger (optional)", &f.note, func(s string) error {
			return ledger.ValidateText("note", s, ledger.MaxNoteLen)
		}))
	}
	if !f.opts.Changed("expires") && f.opts.Gesture == "" {
		fields = append(fields, prompt.InputField("Expires (optional: a date such as 2027-01-31, or 90d)", &f.expires, func(s string) error {
			if strings.TrimSpace(s) == "" {
				return nil
			}
			_, err := ledger.ParseExpiry("expires", strings.TrimSpace(s), f.now)
			return err
		}))
	}
	if f.opts.Incident == "" && len(f.incidents) > 0 {
		opts := []prompt.Option{{Label: "none", Value: noIncident}}
		for _, inc := range f.incidents {
			opts = append(opts, prompt.Option{Label: fmt.Sprintf("#%d %s (%s)", inc.ID, cmdutil.Escape(inc.Title), inc.Status()), Value: strconv.FormatInt(inc.ID, 10)})
		}
		fields = append(fields, prompt.SelectField("For an incident? (optional)", opts, &f.incident))
	}
	if len(fields) > 0 {
		back, err := f.p.Group(ctx, issueTitle(issueStepDetails, ""), fields, allowBack)
		if err != nil || back {
			return back, nil, err
		}
	}
	if err := ledger.ValidateReason("reason", f.reason); err != nil {
		return false, nil, err
	}
	if !f.opts.Changed("expires") {
		f.exp = nil
		if e := strings.TrimSpace(f.expires); e != "" {
			t, err := ledger.ParseExpiry("expires", e, f.now)
			if err != nil {
				return false, nil, err
			}
			f.exp = &t
		}
	}
	if f.opts.Incident == "" {
		f.inc = 0
		if f.incident != noIncident {
			id, err := ledger.ParseIncidentID("incident", f.incident)
			if err != nil {
				return false, nil, err
			}
			f.inc = id
		}
	}
	if len(fields) == 0 {
		return f.confirmPage(ctx, allowBack)
	}
	return false, f.confirmPage, nil
}

func (f *issueForm) confirmPage(ctx context.Context, allowBack bool) (bool, prompt.Page, error) {
	question := "Issue this credit?"
	if f.opts.Gesture != "" {
		question = "Record this gesture?"
	}
	if f.newCust != nil {
		question = fmt.Sprintf("Add customer %s and %s", f.newCust.ID, strings.ToLower(question[:1])+question[1:])
	}
	f.confirmed = true
	back, err := f.p.Group(ctx, issueTitle(issueStepConfirm, ""), []prompt.Field{
		prompt.Note("Will be written", f.summary()),
		prompt.ConfirmField(question, &f.confirmed),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if !f.confirmed {
		return false, nil, cmdutil.ErrCancel
	}
	return false, nil, nil
}

// summary is everything the credit will be written with, each value
// escaped: an incident's title comes from the ledger.
func (f *issueForm) summary() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-10s %s\n", k+":", cmdutil.Escape(v)) }
	who := customerLabel(f.cust)
	if f.newCust != nil {
		who += " (new customer, added with the credit)"
	}
	line("Customer", who)
	if f.opts.Gesture != "" {
		line("Gesture", f.opts.Gesture)
	} else {
		line("Amount", f.amt.String())
	}
	line("Reason", f.reason)
	note := f.note
	if strings.TrimSpace(note) == "" {
		note = "(none)"
	}
	line("Note", note)
	if f.opts.Gesture == "" {
		exp := "never"
		if f.exp != nil {
			exp = f.exp.Format(ledger.DateLayout)
		}
		line("Expires", exp)
	}
	inc := "none"
	if f.inc != 0 {
		inc = fmt.Sprintf("#%d", f.inc)
		for _, i := range f.incidents {
			if i.ID == f.inc {
				inc += " " + i.Title
			}
		}
	}
	line("Incident", inc)
	if f.opts.IdempotencyKey != "" {
		line("Key", f.opts.IdempotencyKey+" (issued at most once)")
	}
	return strings.TrimRight(b.String(), "\n")
}
