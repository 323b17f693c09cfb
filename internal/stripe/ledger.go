package stripe

import (
	"context"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// Ledger is what the sync needs of the ledger. The SQLite engine implements
// it in internal/store (stripe.go); each method is one transaction.
type Ledger interface {
	// LedgerID is the ledger's random identity, written once at creation.
	LedgerID(ctx context.Context) (string, error)
	Customers(ctx context.Context) ([]ledger.Customer, error)
	// Balances are makegood's open balances (ledger.CreditStore).
	Balances(ctx context.Context, customer string, now time.Time) ([]ledger.Balance, error)
	// SaveStripeCustomers writes every change or none.
	SaveStripeCustomers(ctx context.Context, changes []CustomerChange) error

	// Candidates lists every money credit (no gestures) of the customers,
	// with its pushes. StripeCustomer is left empty; the caller resolves
	// it from the customer.
	Candidates(ctx context.Context, customers []string) ([]Candidate, error)
	// ClaimPushes records pushes before they are sent, in one
	// transaction; a push whose credit and kind are already claimed (by a
	// concurrent run) is left as it is. It returns how many it recorded.
	ClaimPushes(ctx context.Context, pushes []Push) (int, error)
	// PendingPushes lists claimed pushes without Stripe's answer, oldest
	// first; customer "" means all.
	PendingPushes(ctx context.Context, customer string) ([]Push, error)
	// ConfirmPush records Stripe's balance transaction for a claimed push.
	// Recording the same answer twice is not an error.
	ConfirmPush(ctx context.Context, pushID int64, transactionID, how string, at time.Time) error

	// PullCursor is where the last pull of a Stripe customer stopped
	// (Unix seconds of the newest transaction seen); ok is false before
	// the first pull.
	PullCursor(ctx context.Context, stripeCustomer string) (unix int64, ok bool, err error)
	// Known reports which of ids makegood already holds, as the answer
	// to one of its pushes or as a pulled transaction.
	Known(ctx context.Context, ids []string) (map[string]bool, error)
	// Pushables lists the customer's pushed credits for allocating uses.
	Pushables(ctx context.Context, customer string) ([]Pushable, error)
	// InvoiceUses is what earlier pulls recorded as used by an invoice.
	InvoiceUses(ctx context.Context, customer, invoice string) ([]InvoiceUse, error)
	// RecordPull writes one customer's pulled transactions, their credit
	// entries and the new cursor in one transaction. It refuses an entry
	// that would use more of a credit than remains.
	RecordPull(ctx context.Context, rec PullRecord) error
	// PulledTotals sums, per currency, the foreign adjustments (credit
	// terms) and unallocated uses pulls recorded for a customer.
	PulledTotals(ctx context.Context, customer string) (map[string]PulledTotal, error)
}

// CustomerChange is one customer to create or update from Stripe.
type CustomerChange struct {
	Customer ledger.Customer // every field as it should be, StripeID set
	Create   bool
}

// Dispositions of a pulled transaction.
const (
	PulledApplied   = "applied"
	PulledUnapplied = "unapplied"
	PulledForeign   = "foreign"
)

// PulledTxn is one balance transaction a pull records.
type PulledTxn struct {
	ID               string
	Type             string
	Disposition      string
	AmountStripe     int64
	AmountMinor      int64 // in the ledger's minor units, Stripe's sign
	Currency         string
	Invoice          string
	Description      string
	Created          time.Time
	Entries          []Allocation
	UnallocatedMinor int64 // positive: used (or returned) and matched to no credit
}

// PullRecord is one customer's pull.
type PullRecord struct {
	Customer       string
	StripeCustomer string
	Txns           []PulledTxn
	CursorUnix     int64
	At             time.Time
}

// PulledTotal is a customer's recorded foreign adjustments and unallocated
// uses in one currency.
type PulledTotal struct {
	ForeignMinor     int64 // credit terms
	UnallocatedMinor int64 // uses less returns that matched no credit
}
