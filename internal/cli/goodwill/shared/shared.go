// Package shared is what the goodwill commands share with the other
// commands that give goodwill (resolve): the configured policy, and a
// suggestion worked out from the ledger's history of a customer.
package shared

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/goodwill"
)

// LoadPolicy reads the goodwill.* configuration over the defaults. An
// invalid setting is bad input: the error names its key, exit status 2.
func LoadPolicy(cfg *viper.Viper) (goodwill.Policy, error) {
	p := goodwill.DefaultPolicy()
	if cfg.IsSet("goodwill") {
		if err := cfg.UnmarshalKey("goodwill", &p); err != nil {
			return p, &ledger.FieldError{Field: "config goodwill", Err: err}
		}
	}
	if err := p.Validate(); err != nil {
		return p, &ledger.FieldError{Field: "config", Err: fmt.Errorf("invalid goodwill policy: %w", err)}
	}
	return p, nil
}

// Case is what Suggest needs to know of one customer's case.
type Case struct {
	Customer ledger.Customer
	Incident *ledger.Incident // nil for a downtime without an incident
	Downtime time.Duration
	Severity string
	DataLoss bool
	// ImpactBP is the share of the service lost, in basis points; 0 is
	// all of it.
	ImpactBP int64
	// Plans prices a customer on a plan without a price of their own.
	Plans ledger.PlanPrices
}

// Suggest gathers the ledger's history of the customer and asks the policy
// engine; goodwill suggest and resolve share it. Errors name the field at
// fault (the customer's currency or price).
func Suggest(ctx context.Context, st ledger.Store, policy goodwill.Policy, defaultCurrency string, k Case, now time.Time) (goodwill.Suggestion, error) {
	c := k.Plans.Apply(k.Customer)
	currency, _, err := ledger.CreditCurrency(c, defaultCurrency)
	if err != nil {
		return goodwill.Suggestion{}, err
	}
	if currency == "" {
		return goodwill.Suggestion{}, ledger.NoCurrency("currency", c)
	}
	if c.PriceMinor <= 0 {
		return goodwill.Suggestion{}, ledger.Fieldf("price", "customer %q has no price, and every option is worked out from it; "+
			"set it with `makegood customer edit %s --price 49.00`, or price their plan in the config (plans: {PLAN: {price: 49.00, currency: USD, period: month}})", c.ID, c.ID)
	}

	// The window is the 12 months before the incident (or before now), and
	// runs to now so that credits already given for it count.
	ref := now
	var exclude int64
	if k.Incident != nil {
		ref, exclude = k.Incident.StartedAt, k.Incident.ID
	}
	monthStart, monthEnd := ledger.BudgetMonth(now)
	totals, err := st.GoodwillTotals(ctx, ledger.GoodwillQuery{
		Customer: c.ID, Currency: currency, ExcludeIncident: exclude,
		Since: ref.AddDate(-1, 0, 0), Until: now.Add(time.Second),
		MonthStart: monthStart, MonthEnd: monthEnd,
	})
	if err != nil {
		return goodwill.Suggestion{}, err
	}
	s, err := goodwill.Suggest(
		goodwill.Customer{ID: c.ID, PriceMinor: c.PriceMinor, Currency: currency, Period: goodwill.Period(c.Period),
			Since: c.Since, Advocate: c.Advocate},
		goodwill.Incident{Downtime: k.Downtime, Severity: goodwill.Severity(k.Severity), DataLoss: k.DataLoss, ImpactBP: k.ImpactBP},
		goodwill.History{IncidentsLast12M: totals.Incidents, CreditsLast12M: max(totals.CreditedMinor, 0),
			GivenThisMonthMinor: max(totals.GivenThisMonthMinor, 0)},
		policy, now)
	if err != nil {
		// The flags were checked above, so what is left is the customer's
		// record (price, period, advocate weight).
		return s, &ledger.FieldError{Field: "customer " + c.ID, Err: err}
	}
	return s, nil
}

// BudgetFor is the budget giving option o of s counts against: the
// monthly budget, for the recommendation; nil for the other options,
// which the budget does not cut.
func BudgetFor(s goodwill.Suggestion, o goodwill.Option, now time.Time) *ledger.Budget {
	if s.Budget == nil || o.Kind != goodwill.KindRecommended || o.Amount.Minor <= 0 {
		return nil
	}
	from, until := ledger.BudgetMonth(now)
	return &ledger.Budget{Name: "the monthly goodwill budget", Currency: o.Amount.Currency,
		LimitMinor: s.Budget.LimitMinor, OwedMinor: s.Budget.OwedMinor, From: from, Until: until}
}
