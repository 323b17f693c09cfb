package ledger

import (
	"fmt"
	"time"

	"github.com/makegood/makegood/pkg/goodwill"
	"github.com/makegood/makegood/pkg/money"
)

// Budget is a limit on what may be given in one currency over a period:
// goodwill's monthly budget. A suggestion is worked out from what was
// given when it was read; the store checks the budget again inside the
// write transaction that issues, against what has been given by then, so
// runs that overlap cannot together give more than it allows.
type Budget struct {
	Name       string // for messages: "the monthly goodwill budget"
	Currency   string
	LimitMinor int64
	// OwedMinor is the part of the credit owed whatever the budget
	// (make-whole): the budget never refuses that much.
	OwedMinor int64
	// From and Until are the period, half-open: credits issued in it
	// count against the budget, net of voids.
	From, Until time.Time
}

// ErrBudget is a credit refused because the budget it counts against was
// spent meanwhile; errors.Is(err, ErrConflict) holds too.
var ErrBudget = &ConflictError{Msg: "budget spent"}

// BudgetError says how much of a budget was left when a credit was refused.
type BudgetError struct {
	Budget             Budget
	GivenMinor, Amount int64
	AllowedMinor       int64
}

func (e *BudgetError) Error() string {
	b := e.Budget
	return fmt.Sprintf("%s in %s (%s) allows at most %s more now (%s given this period), not %s: other credits were given meanwhile",
		b.Name, b.Currency, money.Format(b.LimitMinor, b.Currency), money.Format(e.AllowedMinor, b.Currency),
		money.Format(e.GivenMinor, b.Currency), money.Format(e.Amount, b.Currency))
}

// Is matches ErrBudget and ErrConflict.
func (e *BudgetError) Is(target error) bool { return target == ErrBudget || target == ErrConflict }

// Check refuses a credit of amountMinor once givenMinor was given in the
// period. The rule is goodwill's own (goodwill.BudgetAllows), so the check
// at the write and the suggestion agree.
func (b Budget) Check(givenMinor, amountMinor int64) error {
	allowed := goodwill.BudgetAllows(b.LimitMinor, givenMinor, b.OwedMinor)
	if amountMinor <= allowed {
		return nil
	}
	return &BudgetError{Budget: b, GivenMinor: givenMinor, Amount: amountMinor, AllowedMinor: allowed}
}

// BudgetMonth is the calendar month (UTC) a monthly budget counts at now:
// [start, end).
func BudgetMonth(now time.Time) (start, end time.Time) {
	now = now.UTC()
	start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}
