package ledger

import (
	"errors"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// Apply is a request to use part or all of a credit against an invoice.
type Apply struct {
	Credit      int64
	AmountMinor int64
	Invoice     string
	At          time.Time
	// IdempotencyKey, when set, makes the apply happen at most once: a
	// retry with the key returns the apply already recorded.
	IdempotencyKey string
	// Again allows a second apply of the credit to an invoice it was
	// applied to already. Without it (and without a key) that is refused
	// as a likely retry: applied twice, the credit would pay the invoice
	// twice.
	Again bool
}

// Validate checks an apply's own fields, named by their flags.
func (a Apply) Validate() error {
	if a.AmountMinor <= 0 {
		return Fieldf("--amount", "must be greater than zero")
	}
	if err := ValidateInvoice("--invoice", a.Invoice); err != nil {
		return err
	}
	if a.IdempotencyKey != "" {
		if err := ValidateID("--idempotency-key", a.IdempotencyKey); err != nil {
			return err
		}
	}
	return ValidateTime("--at", a.At)
}

// ValidateInvoice checks the invoice a credit is applied to: named, as an
// id is.
func ValidateInvoice(field, invoice string) error {
	if invoice == "" {
		return Fieldf(field, "must not be empty")
	}
	return ValidateID(field, invoice)
}

// CheckRetry decides what the entry recorded under a's idempotency key
// means: nil when it is this very apply (a retry: nothing more is
// written), a ConflictError when the key was used for anything else.
func (a Apply) CheckRetry(prev Entry) error {
	if prev.Kind != EntryApply || prev.CreditID != a.Credit || -prev.AmountMinor != a.AmountMinor || prev.Invoice != a.Invoice {
		return Conflictf("idempotency key %q was already used for another apply (credit %d, %s, invoice %s)",
			a.IdempotencyKey, prev.CreditID, money.Format(-prev.AmountMinor, prev.Currency), prev.Invoice)
	}
	return nil
}

// CheckVoid refuses to void a credit twice: a void reverses what
// remained, once.
func (c Credit) CheckVoid() error {
	if c.VoidedAt != nil {
		return Conflictf("credit %d was already voided at %s", c.ID, c.VoidedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateVoidReason checks why a credit is voided: it must be said, as a
// note is.
func ValidateVoidReason(field, reason string) error {
	if reason == "" {
		return Fieldf(field, "must not be empty")
	}
	return ValidateText(field, reason, MaxNoteLen)
}

// CheckApplicable refuses to apply a credit that has nothing to give at
// at: a gesture, a void or expired credit, one used up.
func (c Credit) CheckApplicable(at time.Time) error {
	switch st := c.Status(at); st {
	case StatusOpen:
		return nil
	case StatusGiven:
		return Conflictf("credit %d is a gesture (%s), not money: there is nothing to apply", c.ID, c.Gesture)
	case StatusApplied:
		return Conflictf("credit %d has been used in full; nothing remains to apply", c.ID)
	default:
		return Conflictf("credit %d is %s and cannot be applied", c.ID, st)
	}
}

// CheckApply is the rule for an apply: the credit can be applied, and
// never for more than remains. (Whether it was applied to the invoice
// before is the store's to find out, inside the same transaction: see
// Apply.Again.)
func (c Credit) CheckApply(a Apply) error {
	if err := c.CheckApplicable(a.At); err != nil {
		return err
	}
	if a.AmountMinor > c.RemainingMinor {
		return Fieldf("--amount", "%s is more than the %s that remains of credit %d",
			money.Format(a.AmountMinor, c.Currency), money.Format(c.RemainingMinor, c.Currency), c.ID)
	}
	return nil
}

// AppliedAgainError refuses a second apply of a credit to one invoice.
func AppliedAgainError(c Credit, invoice string, prev Entry) error {
	return Conflictf("credit %d was applied to invoice %s already (%s at %s): pass --again to apply it to that invoice "+
		"once more, or use --idempotency-key so that a retry is recognised",
		c.ID, invoice, money.Format(-prev.AmountMinor, c.Currency), prev.At.UTC().Format(time.RFC3339))
}

// ApplyLookups are what an engine reads, inside the write transaction of
// an apply, for DecideApply; each returns ErrNotFound when there is none.
type ApplyLookups struct {
	// ByKey is the entry recorded under the apply's idempotency key.
	ByKey func() (Entry, error)
	// ToInvoice is the first apply of the credit to the apply's invoice.
	ToInvoice func() (Entry, error)
}

// DecideApply checks an apply of c in the rules' order: a key recorded
// already is a retry (retry true, nothing to write) or a conflict; then
// CheckApply; then, without a key or --again, an earlier apply to the
// same invoice is refused. Both engines call it under their write lock.
func DecideApply(c Credit, a Apply, l ApplyLookups) (retry bool, err error) {
	if a.IdempotencyKey != "" {
		prev, err := l.ByKey()
		switch {
		case err == nil:
			return true, a.CheckRetry(prev)
		case !errors.Is(err, ErrNotFound):
			return false, err
		}
	}
	if err := c.CheckApply(a); err != nil {
		return false, err
	}
	if !a.Again && a.IdempotencyKey == "" {
		prev, err := l.ToInvoice()
		switch {
		case err == nil:
			return false, AppliedAgainError(c, a.Invoice, prev)
		case !errors.Is(err, ErrNotFound):
			return false, err
		}
	}
	return false, nil
}
