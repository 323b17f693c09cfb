package ledger

import (
	"fmt"
	"strings"

	"github.com/makegood/makegood/pkg/money"
)

// PlanPrice is what a plan costs: customers on the plan without a price of
// their own are priced by it (Stripe's export names the plan, not the
// price).
type PlanPrice struct {
	PriceMinor int64
	Currency   string
	Period     string
}

// PlanPrices maps a plan name to its price.
type PlanPrices map[string]PlanPrice

// NewPlanPrice checks one plan's price as typed ("49.00", "usd", "month").
func NewPlanPrice(field, plan, price, currency, period string) (PlanPrice, error) {
	if strings.TrimSpace(plan) == "" {
		return PlanPrice{}, Fieldf(field, "the plan name is empty")
	}
	cur, err := money.NormalizeCurrency(currency)
	if err != nil {
		return PlanPrice{}, Fieldf(field, "plan %q: %v", plan, err)
	}
	a, err := money.Parse(price, cur)
	if err != nil {
		return PlanPrice{}, Fieldf(field, "plan %q: price: %v", plan, err)
	}
	if period == "" {
		period = PeriodMonth
	}
	if period != PeriodMonth && period != PeriodYear {
		return PlanPrice{}, Fieldf(field, "plan %q: period %q: want month or year", plan, period)
	}
	return PlanPrice{PriceMinor: a.Minor, Currency: cur, Period: period}, nil
}

// Apply prices c by its plan when it has a plan and no price of its own,
// and the plan's currency is the customer's (or the customer has none).
func (p PlanPrices) Apply(c Customer) Customer {
	pp, ok := p[c.Plan]
	if !ok { // viper lower-cases the config's keys
		pp, ok = p[strings.ToLower(c.Plan)]
	}
	if c.Plan == "" || c.PriceMinor > 0 || !ok || (c.Currency != "" && c.Currency != pp.Currency) {
		return c
	}
	c.PriceMinor, c.Currency, c.Period = pp.PriceMinor, pp.Currency, pp.Period
	return c
}

// String is "49.00 USD/month", for messages.
func (pp PlanPrice) String() string {
	return fmt.Sprintf("%s/%s", money.Format(pp.PriceMinor, pp.Currency), pp.Period)
}
