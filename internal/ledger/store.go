package ledger

import (
	"context"
	"time"
)

// Store is the ledger's storage. The SQLite engine in internal/store
// implements it; a PostgreSQL engine can implement it later without the
// commands changing. Each method is one transaction.
type Store interface {
	CustomerStore
	CreditStore
	IncidentStore
	CaseStore
	ThanksStore
	ClaimStore
	BulkStore
	PushedCredits
	Close() error
}

// CustomerStore keeps customers. Customers, unlike credits, may be edited:
// they describe the operator's current view of someone, not money owed.
type CustomerStore interface {
	// AddCustomer fails with a ConflictError if the id exists.
	AddCustomer(ctx context.Context, c Customer) error
	// UpdateCustomer replaces every field but ID and CreatedAt.
	UpdateCustomer(ctx context.Context, c Customer) error
	// Customer returns a NotFoundError if the id is unknown.
	Customer(ctx context.Context, id string) (Customer, error)
	Customers(ctx context.Context) ([]Customer, error)
}

// CreditStore keeps credits and their append-only entries.
type CreditStore interface {
	// IssueCredit writes a credit and its issue entry, after
	// NewCredit.Validate and, inside the write transaction, the ledger's
	// bound on a currency's total (CheckCurrencyTotal) and nc.Budget. With
	// an idempotency key already recorded for the same values it returns
	// the existing credit and created=false; for other values, a
	// ConflictError. For a compensation, see NewCredit.Compensation.
	IssueCredit(ctx context.Context, nc NewCredit) (c Credit, created bool, err error)
	Credit(ctx context.Context, id int64) (Credit, error)
	Credits(ctx context.Context, f CreditFilter) ([]Credit, error)
	// VoidCredit reverses what remains of a credit.
	VoidCredit(ctx context.Context, id int64, reason string, at time.Time) (Credit, error)
	// ApplyCredit uses part or all of what remains against an invoice
	// (see Apply and Credit.CheckApply). With an idempotency key recorded
	// for the same apply it returns the credit and created=false; for
	// another apply, a ConflictError.
	ApplyCredit(ctx context.Context, a Apply) (c Credit, created bool, err error)
	// Balances sums the entries of credits not expired at now, per customer
	// and currency; customer "" means every customer.
	Balances(ctx context.Context, customer string, now time.Time) ([]Balance, error)
	// History lists a customer's entries, newest first.
	History(ctx context.Context, customer string) ([]Entry, error)
}

// PushedCredits tells which credits were pushed to Stripe, where invoices
// use them: such a credit's uses come back by makegood stripe pull.
type PushedCredits interface {
	// CreditPushed reports whether a credit was claimed for a push to
	// Stripe, whether or not Stripe has answered yet.
	CreditPushed(ctx context.Context, creditID int64) (bool, error)
}

// RefuseHandApply refuses to apply by hand a credit pushed to Stripe: its
// uses are the invoices Stripe applies it to, recorded by makegood stripe
// pull, and a use recorded by hand as well would count twice.
func RefuseHandApply(ctx context.Context, st PushedCredits, creditID int64) error {
	pushed, err := st.CreditPushed(ctx, creditID)
	if err != nil {
		return err
	}
	if pushed {
		return Conflictf("credit %d was pushed to Stripe, where invoices use it: run makegood stripe pull to record its uses instead of applying it by hand", creditID)
	}
	return nil
}
