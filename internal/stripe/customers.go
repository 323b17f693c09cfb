package stripe

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	sg "github.com/stripe/stripe-go/v85"

	"github.com/makegood/makegood/internal/ledger"
)

// subscriptionRank orders the statuses whose price is the customer's plan:
// an active subscription first, then one in trial, then one behind on
// payment. Others (canceled, incomplete, paused, …) have no price to take.
func subscriptionRank(s sg.SubscriptionStatus) int {
	switch s {
	case sg.SubscriptionStatusActive:
		return 1
	case sg.SubscriptionStatusTrialing:
		return 2
	case sg.SubscriptionStatusPastDue:
		return 3
	}
	return 0
}

// CurrentSubscriptions picks each customer's subscription: the best ranked,
// then the newest.
func CurrentSubscriptions(subs []*sg.Subscription) map[string]*sg.Subscription {
	out := map[string]*sg.Subscription{}
	for _, s := range subs {
		if s.Customer == nil || subscriptionRank(s.Status) == 0 {
			continue
		}
		cur, ok := out[s.Customer.ID]
		if !ok || cmp.Or(cmp.Compare(subscriptionRank(s.Status), subscriptionRank(cur.Status)),
			cmp.Compare(cur.Created, s.Created)) < 0 {
			out[s.Customer.ID] = s
		}
	}
	return out
}

// Plan is what a subscription says of a customer.
type Plan struct {
	Name       string
	PriceMinor int64 // per period, in the ledger's minor units
	Currency   string
	Period     string
}

// PlanOf reads the plan from a subscription's prices: the first item's price
// names it (nickname, else lookup key, else product), and the price per
// period is the sum over the items billed in the same currency and interval
// (unit amount × quantity). Intervals other than a month or a year (or 12
// months) have no period in makegood: ok is false with the reason.
func PlanOf(s *sg.Subscription) (Plan, string, bool) {
	if s.Items == nil || len(s.Items.Data) == 0 || s.Items.Data[0].Price == nil {
		return Plan{}, "the subscription has no price", false
	}
	first := s.Items.Data[0].Price
	period, ok := periodOf(first.Recurring)
	if !ok {
		return Plan{}, "the price is not billed monthly or yearly", false
	}
	cur, err := ledgerCurrency(string(first.Currency))
	if err != nil {
		return Plan{}, fmt.Sprintf("currency %q: %v", first.Currency, err), false
	}
	var total int64
	for _, it := range s.Items.Data {
		p := it.Price
		if p == nil || !strings.EqualFold(string(p.Currency), string(first.Currency)) {
			continue
		}
		if per, ok := periodOf(p.Recurring); !ok || per != period {
			continue
		}
		q := max(it.Quantity, 1)
		total += p.UnitAmount * q
	}
	price, err := FromStripe(total, cur)
	if err != nil {
		return Plan{}, err.Error(), false
	}
	name := first.Nickname
	if name == "" {
		name = first.LookupKey
	}
	if name == "" && first.Product != nil {
		name = cmp.Or(first.Product.Name, first.Product.ID)
	}
	return Plan{Name: name, PriceMinor: price, Currency: cur, Period: period}, "", true
}

func periodOf(r *sg.PriceRecurring) (string, bool) {
	if r == nil {
		return "", false
	}
	n := max(r.IntervalCount, 1)
	switch {
	case r.Interval == sg.PriceRecurringIntervalMonth && n == 1:
		return ledger.PeriodMonth, true
	case r.Interval == sg.PriceRecurringIntervalYear && n == 1,
		r.Interval == sg.PriceRecurringIntervalMonth && n == 12:
		return ledger.PeriodYear, true
	}
	return "", false
}

// ImportedCustomer is one line of a customers import summary.
type ImportedCustomer struct {
	ID       string
	StripeID string
	Action   string // created, updated, unchanged
	Note     string // why a plan was not taken, if it was not
}

// Customer import actions.
const (
	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
)

// PlanCustomers matches Stripe's customers to the ledger's and works out
// each one's fields. A Stripe customer is the ledger customer that has its
// Stripe id; else the one whose id is the cus_… id; else the only one with
// its email and no Stripe id yet; else a new customer under the cus_… id.
// What Stripe knows (name, email, locale, since, and the plan, price,
// currency and period of the current subscription) replaces the ledger's;
// an empty Stripe field leaves the ledger's as it is, and tags and the
// advocate weight are makegood's own.
func PlanCustomers(existing []ledger.Customer, scs []*sg.Customer, subs map[string]*sg.Subscription, now time.Time) ([]CustomerChange, []ImportedCustomer, error) {
	byStripe := map[string]int{}
	byID := map[string]int{}
	byEmail := map[string][]int{}
	for i, c := range existing {
		if c.StripeID != "" {
			byStripe[c.StripeID] = i
		}
		byID[c.ID] = i
		if c.Email != "" && c.StripeID == "" {
			e := strings.ToLower(c.Email)
			byEmail[e] = append(byEmail[e], i)
		}
	}
	var (
		changes  []CustomerChange
		summary  []ImportedCustomer
		problems importProblems
		taken    = map[int]string{}
	)
	sorted := slices.Clone(scs)
	slices.SortFunc(sorted, func(a, b *sg.Customer) int { return cmp.Compare(a.ID, b.ID) })
	for _, sc := range sorted {
		if sc.Deleted {
			continue
		}
		if err := ledger.ValidateID("id", sc.ID); err != nil {
			problems.Add(fmt.Errorf("Stripe customer %q: %w", sc.ID, err))
			continue
		}
		idx, found := byStripe[sc.ID]
		if !found {
			idx, found = byID[sc.ID]
		}
		if !found && sc.Email != "" {
			if m := byEmail[strings.ToLower(sc.Email)]; len(m) == 1 {
				idx, found = m[0], true
			}
		}
		if found {
			if other, dup := taken[idx]; dup {
				problems.Add(fmt.Errorf("Stripe customers %s and %s both match ledger customer %q", other, sc.ID, existing[idx].ID))
				continue
			}
			taken[idx] = sc.ID
		}
		var c ledger.Customer
		if found {
			c = existing[idx]
		} else {
			c = ledger.Customer{ID: sc.ID, Period: ledger.PeriodMonth, CreatedAt: now}
		}
		before := c
		c.StripeID = sc.ID
		if err := setFromStripe(&c, sc); err != nil {
			problems.Add(fmt.Errorf("Stripe customer %s: %w", sc.ID, err))
			continue
		}
		line := ImportedCustomer{ID: c.ID, StripeID: sc.ID}
		if sub, ok := subs[sc.ID]; ok {
			plan, why, ok := PlanOf(sub)
			if ok {
				c.Plan, c.PriceMinor, c.Currency, c.Period = plan.Name, plan.PriceMinor, plan.Currency, plan.Period
				if err := ledger.ValidateText("plan", c.Plan, ledger.MaxTextLen); err != nil {
					problems.Add(fmt.Errorf("Stripe customer %s: %w", sc.ID, err))
					continue
				}
			} else {
				line.Note = "plan not taken: " + why
			}
		}
		switch {
		case !found:
			line.Action = ActionCreated
		case before.Same(c):
			line.Action = ActionUnchanged
		default:
			line.Action = ActionUpdated
		}
		if line.Action != ActionUnchanged {
			c.UpdatedAt = now
			changes = append(changes, CustomerChange{Customer: c, Create: !found})
		}
		summary = append(summary, line)
	}
	if err := problems.Err(); err != nil {
		return nil, nil, err
	}
	return changes, summary, nil
}

func setFromStripe(c *ledger.Customer, sc *sg.Customer) error {
	if sc.Name != "" {
		if err := ledger.ValidateText("name", sc.Name, ledger.MaxTextLen); err != nil {
			return err
		}
		c.Name = sc.Name
	}
	if sc.Email != "" {
		if err := ledger.ValidateText("email", sc.Email, ledger.MaxTextLen); err != nil {
			return err
		}
		c.Email = sc.Email
	}
	if len(sc.PreferredLocales) > 0 && ledger.ValidateID("locale", sc.PreferredLocales[0]) == nil {
		c.Locale = sc.PreferredLocales[0]
	}
	if sc.Created > 0 {
		y, m, d := time.Unix(sc.Created, 0).UTC().Date()
		c.Since = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if sc.Currency != "" && c.Currency == "" {
		cur, err := ledgerCurrency(string(sc.Currency))
		if err != nil {
			return ledger.Fieldf("currency", "%v", err)
		}
		c.Currency = cur
	}
	return nil
}

// importProblems lists what is wrong with Stripe's customers; nothing was
// written. It counts as invalid input (exit status 2).
type importProblems struct{ list []error }

func (p *importProblems) Add(err error) { p.list = append(p.list, err) }

func (p *importProblems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p
}

func (p *importProblems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of Stripe's customers cannot be imported; nothing was written:", len(p.list))
	for i, err := range p.list {
		if i == ledger.MaxProblems {
			fmt.Fprintf(&b, "\n  and %d more", len(p.list)-i)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

func (p *importProblems) Unwrap() []error {
	return append([]error{ledger.Fieldf("customers", "invalid")}, p.list...)
}
