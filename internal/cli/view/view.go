// Package view turns ledger records into the stable JSON shapes scripts
// read and the cells people read. Keys are snake_case and never renamed.
package view

import (
	"strconv"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// Credit kinds in JSON: money, or a gesture without money.
const (
	KindCredit  = "credit"
	KindGesture = "gesture"
)

// Credit is the JSON shape of a credit. A gesture has no money: amount,
// currency and remaining are null and the minor amounts 0, so a script
// summing amount_minor needs no special case.
type Credit struct {
	ID             int64   `json:"id"`
	Customer       string  `json:"customer"`
	Amount         *string `json:"amount"`
	AmountMinor    int64   `json:"amount_minor"`
	Currency       *string `json:"currency"`
	Reason         string  `json:"reason"`
	Note           *string `json:"note"`
	Status         string  `json:"status"`
	Remaining      *string `json:"remaining"`
	RemainingMinor int64   `json:"remaining_minor"`
	IssuedAt       string  `json:"issued_at"`
	ExpiresAt      *string `json:"expires_at"`
	IdempotencyKey *string `json:"idempotency_key"`
	VoidedAt       *string `json:"voided_at"`
	Kind           string  `json:"kind"`
	Gesture        *string `json:"gesture"`
	Incident       *int64  `json:"incident"`
}

// NewCredit shapes c as seen at now.
func NewCredit(c ledger.Credit, now time.Time) Credit {
	remaining := c.RemainingMinor
	if c.VoidedAt != nil {
		remaining = 0
	}
	v := Credit{
		ID:             c.ID,
		Customer:       c.Customer,
		AmountMinor:    c.AmountMinor,
		Reason:         c.Reason,
		Note:           optString(c.Note),
		Status:         c.Status(now),
		RemainingMinor: remaining,
		IssuedAt:       Time(c.IssuedAt),
		ExpiresAt:      optTime(c.ExpiresAt),
		IdempotencyKey: optString(c.IdempotencyKey),
		VoidedAt:       optTime(c.VoidedAt),
		Kind:           KindCredit,
		Gesture:        optString(c.Gesture),
		Incident:       optID(c.IncidentID),
	}
	if c.IsGesture() {
		v.Kind = KindGesture
		return v
	}
	amount, left, cur := money.DecimalString(c.AmountMinor, c.Currency), money.DecimalString(remaining, c.Currency), c.Currency
	v.Amount, v.Remaining, v.Currency = &amount, &left, &cur
	return v
}

// Cells is the credit's amount, currency and remaining for CSV and
// tab-separated rows: empty for a gesture.
func (v Credit) Cells() (amount, currency, remaining string) {
	return deref(v.Amount), deref(v.Currency), deref(v.Remaining)
}

// IncidentCell is the incident id for CSV and tab-separated rows, empty for
// none.
func IncidentCell(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// HumanAmount is an amount for people, or "gesture" for a gesture.
func HumanAmount(minor int64, currency, gesture string) string {
	if gesture != "" {
		return KindGesture
	}
	return money.Format(minor, currency)
}

// Balance is the JSON shape of one balance row.
type Balance struct {
	Customer     string `json:"customer"`
	Currency     string `json:"currency"`
	Balance      string `json:"balance"`
	BalanceMinor int64  `json:"balance_minor"`
}

// NewBalance shapes b.
func NewBalance(b ledger.Balance) Balance {
	return Balance{Customer: b.Customer, Currency: b.Currency,
		Balance: money.DecimalString(b.BalanceMinor, b.Currency), BalanceMinor: b.BalanceMinor}
}

// Customer is the JSON shape of a customer.
type Customer struct {
	ID         string   `json:"id"`
	Name       *string  `json:"name"`
	Email      *string  `json:"email"`
	Plan       *string  `json:"plan"`
	Price      *string  `json:"price"`
	PriceMinor int64    `json:"price_minor"`
	Currency   *string  `json:"currency"`
	Period     string   `json:"period"`
	Since      *string  `json:"since"`
	Locale     *string  `json:"locale"`
	Tags       []string `json:"tags"`
	Advocate   int      `json:"advocate"`
	// StripeID is the customer's id in Stripe (ledger.Customer's
	// StripeCustomerID: the one stripe customers import linked, or the
	// id itself when it is a cus_… id); null for none.
	StripeID *string `json:"stripe_id"`
}

// NewCustomer shapes c.
func NewCustomer(c ledger.Customer) Customer {
	v := Customer{
		ID: c.ID, Name: optString(c.Name), Email: optString(c.Email), Plan: optString(c.Plan),
		PriceMinor: c.PriceMinor, Currency: optString(c.Currency), Period: c.Period,
		Locale: optString(c.Locale), Tags: c.Tags, Advocate: c.Advocate, StripeID: optString(c.StripeCustomerID()),
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if c.Currency != "" {
		p := money.DecimalString(c.PriceMinor, c.Currency)
		v.Price = &p
	}
	if !c.Since.IsZero() {
		s := c.Since.Format(ledger.DateLayout)
		v.Since = &s
	}
	return v
}

// Entry is the JSON shape of one ledger entry in a history. An entry of a
// gesture has a null amount and currency, and the gesture's text.
type Entry struct {
	ID          int64   `json:"id"`
	Credit      int64   `json:"credit"`
	Kind        string  `json:"kind"`
	Amount      *string `json:"amount"`
	AmountMinor int64   `json:"amount_minor"`
	Currency    *string `json:"currency"`
	Reason      string  `json:"reason"`
	Invoice     *string `json:"invoice"`
	Note        *string `json:"note"`
	At          string  `json:"at"`
	Gesture     *string `json:"gesture"`
	Incident    *int64  `json:"incident"`
}

// NewEntry shapes e.
func NewEntry(e ledger.Entry) Entry {
	v := Entry{ID: e.ID, Credit: e.CreditID, Kind: e.Kind, AmountMinor: e.AmountMinor,
		Reason: e.Reason, Invoice: optString(e.Invoice), Note: optString(e.Note), At: Time(e.At),
		Gesture: optString(e.Gesture), Incident: optID(e.IncidentID)}
	if e.Gesture == "" {
		amount, cur := money.DecimalString(e.AmountMinor, e.Currency), e.Currency
		v.Amount, v.Currency = &amount, &cur
	}
	return v
}

// Time formats t as RFC 3339 in UTC.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// HumanTime is the short form for tables.
func HumanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// HumanDate is the day alone, for tables where the time of day matters
// less than the room it takes (when a credit was issued).
func HumanDate(t time.Time) string { return t.UTC().Format(ledger.DateLayout) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
