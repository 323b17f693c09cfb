// Package view turns ledger records into the stable JSON shapes scripts
// read and the cells people read. Keys are snake_case and never renamed.
package view

import (
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// Credit is the JSON shape of a credit.
type Credit struct {
	ID             int64   `json:"id"`
	Customer       string  `json:"customer"`
	Amount         string  `json:"amount"`
	AmountMinor    int64   `json:"amount_minor"`
	Currency       string  `json:"currency"`
	Reason         string  `json:"reason"`
	Note           *string `json:"note"`
	Status         string  `json:"status"`
	Remaining      string  `json:"remaining"`
	RemainingMinor int64   `json:"remaining_minor"`
	IssuedAt       string  `json:"issued_at"`
	ExpiresAt      *string `json:"expires_at"`
	IdempotencyKey *string `json:"idempotency_key"`
	VoidedAt       *string `json:"voided_at"`
}

// NewCredit shapes c as seen at now.
func NewCredit(c ledger.Credit, now time.Time) Credit {
	remaining := c.RemainingMinor
	if c.VoidedAt != nil {
		remaining = 0
	}
	return Credit{
		ID:             c.ID,
		Customer:       c.Customer,
		Amount:         money.DecimalString(c.AmountMinor, c.Currency),
		AmountMinor:    c.AmountMinor,
		Currency:       c.Currency,
		Reason:         c.Reason,
		Note:           optString(c.Note),
		Status:         c.Status(now),
		Remaining:      money.DecimalString(remaining, c.Currency),
		RemainingMinor: remaining,
		IssuedAt:       Time(c.IssuedAt),
		ExpiresAt:      optTime(c.ExpiresAt),
		IdempotencyKey: optString(c.IdempotencyKey),
		VoidedAt:       optTime(c.VoidedAt),
	}
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
}

// NewCustomer shapes c.
func NewCustomer(c ledger.Customer) Customer {
	v := Customer{
		ID: c.ID, Name: optString(c.Name), Email: optString(c.Email), Plan: optString(c.Plan),
		PriceMinor: c.PriceMinor, Currency: optString(c.Currency), Period: c.Period,
		Locale: optString(c.Locale), Tags: c.Tags, Advocate: c.Advocate,
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

// Entry is the JSON shape of one ledger entry in a history.
type Entry struct {
	ID          int64   `json:"id"`
	Credit      int64   `json:"credit"`
	Kind        string  `json:"kind"`
	Amount      string  `json:"amount"`
	AmountMinor int64   `json:"amount_minor"`
	Currency    string  `json:"currency"`
	Reason      string  `json:"reason"`
	Invoice     *string `json:"invoice"`
	Note        *string `json:"note"`
	At          string  `json:"at"`
}

// NewEntry shapes e.
func NewEntry(e ledger.Entry) Entry {
	return Entry{ID: e.ID, Credit: e.CreditID, Kind: e.Kind,
		Amount: money.DecimalString(e.AmountMinor, e.Currency), AmountMinor: e.AmountMinor,
		Currency: e.Currency, Reason: e.Reason, Invoice: optString(e.Invoice), Note: optString(e.Note), At: Time(e.At)}
}

// Time formats t as RFC 3339 in UTC.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// HumanTime is the short form for tables.
func HumanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
