package stripe

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/makegood/makegood/internal/ledger"
)

// Push kinds: a credit goes to Stripe as a negative balance transaction; a
// void or expiry of a pushed credit sends back what Stripe still holds of it
// as a positive one.
const (
	KindCredit   = "credit"
	KindReversal = "reversal"
)

// How a push's balance transaction became known.
const (
	HowSent     = "sent"     // Stripe's first answer
	HowReplayed = "replayed" // Stripe answered a repeated Idempotency-Key with the first result
	HowMetadata = "metadata" // found among the customer's transactions by its metadata
)

// Metadata keys on every balance transaction makegood creates. They let a
// pull tell makegood's transactions from anyone else's, and let a push whose
// Idempotency-Key may have expired find what it already created.
const (
	MetaLedger   = "makegood_ledger"
	MetaCreditID = "makegood_credit_id"
	MetaPush     = "makegood_push"
)

// KeyLifetime is how long Stripe is sure to keep an Idempotency-Key: keys
// become eligible for removal once 24 hours old, so an unanswered push
// older than this (with an hour's margin) is first looked for by its
// metadata before it is sent again.
const KeyLifetime = 23 * time.Hour

// maxDescription is the length of a balance transaction's description that
// makegood sends, in runes (Stripe's limit is 350 characters).
const maxDescription = 350

// IdempotencyKey is the fixed key of one push: the ledger's identity, the
// credit and the kind of push. Every process on the same ledger derives the
// same key, so a push repeated after a crash is the same request to Stripe.
func IdempotencyKey(ledgerID string, creditID int64, kind string) string {
	return fmt.Sprintf("makegood-%s-credit-%d-%s", ledgerID, creditID, kind)
}

// Metadata is what a push attaches to its balance transaction.
func Metadata(ledgerID string, creditID int64, kind string) map[string]string {
	return map[string]string{MetaLedger: ledgerID, MetaCreditID: fmt.Sprint(creditID), MetaPush: kind}
}

// Push is one balance transaction makegood means to create, or created.
type Push struct {
	ID             int64
	CreditID       int64
	Kind           string
	Customer       string // the ledger's customer id
	StripeCustomer string // cus_…
	AmountMinor    int64  // what the push moves, in the ledger's minor units, positive
	AmountStripe   int64  // the amount sent, in Stripe's minor units: negative for a credit
	Currency       string // the ledger's (upper-case ISO 4217) form
	Description    string
	IdempotencyKey string
	IntendedAt     time.Time
	// TransactionID is Stripe's cbtxn_… once Stripe has answered; empty
	// while the push is only claimed.
	TransactionID string
	How           string
}

// Candidate is a credit of a customer with a Stripe id, with what the ledger
// knows of its pushes.
type Candidate struct {
	Credit         ledger.Credit
	StripeCustomer string
	// HeldMinor is what Stripe holds of the credit once it is pushed: the
	// issue less every use, not counting a void (the void is what the
	// reversal sends).
	HeldMinor int64
	Pushes    []Push
}

func (c Candidate) push(kind string) (Push, bool) {
	for _, p := range c.Pushes {
		if p.Kind == kind {
			return p, true
		}
	}
	return Push{}, false
}

// Pushed reports whether a credit was claimed for a push to Stripe, answered
// or not: either way Stripe may hold it.
func (c Candidate) Pushed() bool {
	_, ok := c.push(KindCredit)
	return ok
}

// Problem is a credit that cannot be pushed, and why.
type Problem struct {
	CreditID int64
	Customer string
	Msg      string
}

// PlanPushes decides what to send: each open credit not yet pushed, for
// minus what remains of it, and for each pushed credit since voided or
// expired, the reversal of what Stripe still holds of it. Credits already
// claimed are not planned again: their claims are sent as they were.
func PlanPushes(ledgerID string, cands []Candidate, now time.Time) ([]Push, []Problem) {
	var (
		out      []Push
		problems []Problem
	)
	for _, c := range cands {
		cr := c.Credit
		if cr.IsGesture() || c.StripeCustomer == "" {
			continue
		}
		status := cr.Status(now)
		p := Push{CreditID: cr.ID, Customer: cr.Customer, StripeCustomer: c.StripeCustomer,
			Currency: cr.Currency, IntendedAt: now}
		switch {
		case !c.Pushed():
			if status != ledger.StatusOpen || cr.RemainingMinor <= 0 {
				continue
			}
			p.Kind, p.AmountMinor = KindCredit, cr.RemainingMinor
			p.Description = creditDescription(cr)
		case (status == ledger.StatusVoid || status == ledger.StatusExpired) && c.HeldMinor > 0:
			if _, done := c.push(KindReversal); done {
				continue
			}
			p.Kind, p.AmountMinor = KindReversal, c.HeldMinor
			p.Description = reversalDescription(cr, status)
		default:
			continue
		}
		amt, err := ToStripe(p.AmountMinor, p.Currency)
		if err != nil {
			problems = append(problems, Problem{CreditID: cr.ID, Customer: cr.Customer, Msg: err.Error()})
			continue
		}
		if p.Kind == KindCredit {
			amt = -amt
		}
		p.AmountStripe = amt
		p.IdempotencyKey = IdempotencyKey(ledgerID, cr.ID, p.Kind)
		out = append(out, p)
	}
	return out, problems
}

func creditDescription(c ledger.Credit) string {
	d := fmt.Sprintf("makegood credit %d (%s)", c.ID, c.Reason)
	if note := strings.Join(strings.Fields(c.Note), " "); note != "" {
		d += ": " + note
	}
	return truncate(d, maxDescription)
}

func reversalDescription(c ledger.Credit, status string) string {
	if status == ledger.StatusVoid {
		d := fmt.Sprintf("makegood credit %d voided", c.ID)
		if r := strings.Join(strings.Fields(c.VoidReason), " "); r != "" {
			d += ": " + r
		}
		return truncate(d, maxDescription)
	}
	return fmt.Sprintf("makegood credit %d expired on %s", c.ID, c.ExpiresAt.UTC().Format(ledger.DateLayout))
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// NeedsLookup reports whether an unanswered push is old enough that Stripe
// may have forgotten its key, so the customer's transactions must be
// searched for it before it is sent again.
func NeedsLookup(p Push, now time.Time) bool {
	return now.Sub(p.IntendedAt) >= KeyLifetime
}

// Pushable is a pushed credit as a pull sees it when it allocates a use.
type Pushable struct {
	CreditID       int64
	Currency       string
	RemainingMinor int64
	IssuedAt       time.Time
	ExpiresAt      *time.Time
	Voided         bool
}

// Allocation is part of a use (or of its return) recorded on one credit:
// negative for a use, positive for a return.
type Allocation struct {
	CreditID    int64
	AmountMinor int64
}

// Allocate spreads what an invoice used (positive, in the ledger's minor
// units) over a customer's pushed credits in its currency that were usable
// at the invoice's time: the earliest expiry first, then the oldest. It
// returns the allocations and what matched no credit.
func Allocate(used int64, currency string, at time.Time, credits []Pushable) ([]Allocation, int64) {
	usable := slices.DeleteFunc(slices.Clone(credits), func(c Pushable) bool {
		return c.Voided || c.Currency != currency || c.RemainingMinor <= 0 ||
			(c.ExpiresAt != nil && !at.Before(*c.ExpiresAt))
	})
	slices.SortFunc(usable, func(a, b Pushable) int {
		switch {
		case a.ExpiresAt != nil && b.ExpiresAt == nil:
			return -1
		case a.ExpiresAt == nil && b.ExpiresAt != nil:
			return 1
		case a.ExpiresAt != nil && !a.ExpiresAt.Equal(*b.ExpiresAt):
			return a.ExpiresAt.Compare(*b.ExpiresAt)
		}
		return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), cmp.Compare(a.CreditID, b.CreditID))
	})
	var out []Allocation
	for _, c := range usable {
		if used == 0 {
			break
		}
		n := min(used, c.RemainingMinor)
		out = append(out, Allocation{CreditID: c.CreditID, AmountMinor: -n})
		used -= n
	}
	return out, used
}

// InvoiceUse is what an invoice still holds of one credit, from the entries
// earlier pulls recorded for it (uses less returns), in the order of the
// first use.
type InvoiceUse struct {
	CreditID  int64
	UsedMinor int64
	Voided    bool
}

// Return gives back what a voided invoice had used (positive, ledger minor
// units), credit by credit, the last used first. Voided credits get nothing
// back: their void already gave up what remained, and Stripe was sent the
// reversal. It returns the allocations and what matched no earlier use.
func Return(returned int64, uses []InvoiceUse) ([]Allocation, int64) {
	var out []Allocation
	for i := len(uses) - 1; i >= 0 && returned > 0; i-- {
		u := uses[i]
		if u.Voided || u.UsedMinor <= 0 {
			continue
		}
		n := min(returned, u.UsedMinor)
		out = append(out, Allocation{CreditID: u.CreditID, AmountMinor: n})
		returned -= n
	}
	return out, returned
}
