package view

import (
	"strconv"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// ThankYouNote is the JSON shape of a thank-you note in `thanks list` and
// `customer show`.
type ThankYouNote struct {
	// ID is null for an attempt with no note recorded: one whose outcome
	// is unknown, or that is being sent.
	ID        *int64      `json:"id"`
	Customer  string      `json:"customer"`
	Occasion  string      `json:"occasion"`
	Key       string      `json:"key"`
	Via       string      `json:"via"`
	Status    string      `json:"status"`
	MessageID *string     `json:"message_id"`
	Subject   *string     `json:"subject"`
	Error     *string     `json:"error"`
	At        string      `json:"at"`
	Credit    *NoteCredit `json:"credit"`
}

// NoteCredit is the credit given with a note.
type NoteCredit struct {
	ID          int64  `json:"id"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// NewThankYouNote shapes n.
func NewThankYouNote(n ledger.ThankYouNote) ThankYouNote {
	v := ThankYouNote{ID: optID(n.ID), Customer: n.Customer, Occasion: n.Occasion, Key: n.Key, Via: n.Via,
		Status: n.Status, MessageID: optString(n.MessageID), Subject: optString(n.Subject),
		Error: optString(n.Error), At: Time(n.At)}
	if c := n.Credit; c != nil {
		v.Credit = &NoteCredit{ID: c.ID, Amount: money.DecimalString(c.AmountMinor, c.Currency),
			AmountMinor: c.AmountMinor, Currency: c.Currency}
	}
	return v
}

// NoteID is a note's id for tables: empty for an attempt with no note.
func NoteID(n ledger.ThankYouNote) string {
	if n.ID == 0 {
		return ""
	}
	return strconv.FormatInt(n.ID, 10)
}

// NoteDetail is the one-line summary of a note for tables: its subject and
// credit when sent, its error when it failed.
func NoteDetail(n ledger.ThankYouNote) string {
	if n.Status != ledger.NoteSent {
		return n.Error
	}
	d := n.Subject
	if c := n.Credit; c != nil {
		d += " (+" + money.Format(c.AmountMinor, c.Currency) + ")"
	}
	return d
}

// NoteHeaders are the table columns of NoteCells.
func NoteHeaders() []string { return []string{"ID", "WHEN", "OCCASION", "VIA", "STATUS", "DETAIL"} }

// NoteCells is a note as table cells for people; DETAIL comes last, so a
// table can let it shrink to fit.
func NoteCells(n ledger.ThankYouNote) []string {
	return []string{NoteID(n), HumanTime(n.At), n.Key, n.Via, n.Status, NoteDetail(n)}
}
