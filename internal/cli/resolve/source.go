package resolve

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/makegood/makegood/internal/draft"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
)

// storeSource serves the walk from the ledger, the goodwill policy and the
// apology rules in force.
type storeSource struct {
	st        ledger.Store
	rules     apology.Rules
	configDir string
	sender    string
	now       time.Time
	suggest   func(ctx context.Context, c ledger.Customer, inc ledger.Incident, downtime time.Duration) (goodwill.Suggestion, error)
}

var _ Source = (*storeSource)(nil)

func (s *storeSource) OpenIncidents(ctx context.Context) ([]ledger.Incident, error) {
	return s.st.Incidents(ctx, ledger.IncidentFilter{Status: ledger.IncidentOpen, Limit: 50})
}

func (s *storeSource) Customers(ctx context.Context) ([]ledger.Customer, error) {
	return s.st.Customers(ctx)
}

func (s *storeSource) Rules() apology.Rules { return s.rules }

// Draft renders `apology draft`'s template for the customer, subject line
// included, since that is the form apologies are stored in.
func (s *storeSource) Draft(_ context.Context, inc ledger.Incident, fixed bool, c ledger.Customer, give *Give) (string, error) {
	if fixed && inc.FixedAt == nil {
		at := s.now
		inc.FixedAt = &at
	}
	var given []ledger.Credit
	switch {
	case give == nil:
	case give.Money():
		given = []ledger.Credit{{AmountMinor: give.Amount.Minor, Currency: give.Amount.Currency}}
	case give.Gesture != "":
		given = []ledger.Credit{{Gesture: give.Gesture}}
	}
	subject, body, err := draft.Render(c.Locale, s.configDir, draft.NewData(c, inc, given, s.sender))
	if err != nil {
		return "", err
	}
	return draft.Text(subject, body), nil
}

func (s *storeSource) Suggest(ctx context.Context, inc ledger.Incident, downtime time.Duration, c ledger.Customer) (goodwill.Suggestion, error) {
	return s.suggest(ctx, c, inc, downtime)
}

// resolvedError is a case with nothing left to do.
type resolvedError int64

func (e resolvedError) Error() string {
	return fmt.Sprintf("incident %d is resolved: every customer has an apology and compensation (makegood incident show %d)", int64(e), int64(e))
}

// loadCase reads what the ledger knows of an incident as a plan to go on
// with: its customers, who has had an apology, who has been given
// something.
func loadCase(ctx context.Context, st ledger.Store, id int64) (*Plan, error) {
	inc, err := st.Incident(ctx, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, ledger.Fieldf("--incident", "incident %d not found; makegood incident list shows them", id)
	}
	if err != nil {
		return nil, err
	}
	apologies, err := st.Apologies(ctx, ledger.ApologyFilter{Incident: id})
	if err != nil {
		return nil, err
	}
	credits, err := st.Credits(ctx, ledger.CreditFilter{Incident: id})
	if err != nil {
		return nil, err
	}
	first := map[string]time.Time{}
	seen := map[string]int{}
	for _, a := range apologies {
		seen[a.Customer]++
		if t, ok := first[a.Customer]; !ok || a.RecordedAt.Before(t) {
			first[a.Customer] = a.RecordedAt
		}
	}
	given := map[string]bool{}
	for _, c := range credits {
		if c.VoidedAt == nil {
			given[c.Customer] = true
		}
	}
	plan := &Plan{Incident: inc}
	ids := append([]string(nil), inc.Customers...)
	sort.Strings(ids)
	for _, cid := range ids {
		c, err := st.Customer(ctx, cid)
		if err != nil {
			return nil, err
		}
		t := &Target{Customer: c, Compensated: given[cid], apologies: seen[cid]}
		if at, ok := first[cid]; ok {
			t.Apologized = &at
		}
		plan.Targets = append(plan.Targets, t)
	}
	if inc.FixedAt != nil && len(plan.Targets) > 0 && plan.pendingApologies() == 0 && plan.pendingCompensations() == 0 {
		return nil, &ledger.FieldError{Field: "--incident", Err: resolvedError(id)}
	}
	return plan, nil
}
