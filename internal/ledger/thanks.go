package ledger

import (
	"context"
	"fmt"
	"time"
)

// Thank-you note delivery: how it left and whether it did.
const (
	ViaOutbox = "outbox" // an .eml file in the outbox directory
	ViaSMTP   = "smtp"   // handed to the operator's SMTP server
	ViaPrint  = "print"  // a line on a printable list for a handwritten card

	NoteSent   = "sent"   // it left makegood's hands (file written, server accepted, card listed)
	NoteFailed = "failed" // it did not; a later run may try again
)

// Vias lists the values --via accepts.
func Vias() []string { return []string{ViaOutbox, ViaSMTP, ViaPrint} }

// ThankYouNote is one attempt to thank a customer for an occasion. Notes
// are append-only: a retry after a failure is a new note.
type ThankYouNote struct {
	ID        int64
	Customer  string
	Occasion  string // welcome, anniversary, milestone, after_recovery, just_because
	Key       string // the exact occasion, e.g. "anniversary:3"; one sent note per customer and key
	Via       string
	Status    string
	MessageID string // the Message-ID header of a mailed note; empty for print and failures
	Subject   string
	Error     string // why a failed note failed
	At        time.Time
	// Credit is the credit given with the note, if any.
	Credit *Credit
}

// NewThankYouNote is a note to record after its delivery was attempted.
type NewThankYouNote struct {
	Customer  string
	Occasion  string
	Key       string
	Via       string
	Status    string
	MessageID string
	Subject   string
	Error     string
	At        time.Time
	// Credit, only for a sent note, is issued in the same transaction as
	// the note, so there is never a thank-you credit without its note or a
	// note that promised a credit the ledger does not hold.
	Credit *NewCredit
	// Claim, when set, is the claim this note is the outcome of: the
	// outcome is appended in the same transaction as the note.
	Claim int64
	// ByHand records a note the operator marked as sent (--mark-sent).
	ByHand bool
}

// ThanksFilter narrows the thank-you history. Zero values mean "any".
type ThanksFilter struct {
	Customer string
	Occasion string
	Key      string
	Status   string
	Limit    int
}

// ThanksStore keeps thank-you notes.
type ThanksStore interface {
	// RecordThankYou writes a note, and its credit when given, in one
	// transaction. A second sent note for the same customer and key is a
	// ConflictError: the database itself enforces "never twice".
	RecordThankYou(ctx context.Context, n NewThankYouNote) (ThankYouNote, error)
	// ThankYouNotes lists notes, newest first.
	ThankYouNotes(ctx context.Context, f ThanksFilter) ([]ThankYouNote, error)
}

// CheckCredit refuses a note carrying a credit it cannot: only a sent note
// gives one (a failed note promised nothing that reached the customer),
// and only to the note's customer.
func (n NewThankYouNote) CheckCredit() error {
	if n.Credit == nil {
		return nil
	}
	if n.Status != NoteSent {
		return fmt.Errorf("record thank-you note: a %s note cannot carry a credit", n.Status)
	}
	if n.Credit.Customer != n.Customer {
		return fmt.Errorf("record thank-you note: credit for %q attached to a note for %q", n.Credit.Customer, n.Customer)
	}
	return nil
}

// AlreadyThanked refuses a second sent note for one occasion.
func AlreadyThanked(customer, key string) error {
	return Conflictf("customer %q was already thanked for %s", customer, key)
}
