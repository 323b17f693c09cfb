package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCreditCurrency(t *testing.T) {
	usd := Customer{ID: "ana", Currency: "USD"}
	none := Customer{ID: "bo"}
	for _, tt := range []struct {
		name       string
		c          Customer
		configured string
		given      []CurrencyGiven
		want, from string
		wantErr    string
	}{
		{name: "given first", c: usd, configured: "EUR", given: []CurrencyGiven{{"", "currency"}, {"jpy", "--currency"}}, want: "JPY", from: "--currency"},
		{name: "the customer's", c: usd, configured: "EUR", want: "USD", from: "customer currency"},
		{name: "configured", c: none, configured: "eur", want: "EUR", from: "config currency"},
		{name: "none", c: none},
		{name: "not a code", c: none, given: []CurrencyGiven{{"dollars", "--currency"}}, wantErr: "--currency"},
	} {
		cur, from, err := CreditCurrency(tt.c, tt.configured, tt.given...)
		if tt.wantErr != "" {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantErr {
				t.Errorf("%s: err = %v, want a %s error", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || cur != tt.want || from != tt.from {
			t.Errorf("%s: %q from %q, %v; want %q from %q", tt.name, cur, from, err, tt.want, tt.from)
		}
	}
	if err := NoCurrency("--amount", none); err == nil || !strings.HasPrefix(err.Error(), `--amount: customer "bo" has no currency`) {
		t.Errorf("NoCurrency: %v", err)
	}
}

func TestCheckPast(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	if err := CheckPast("--at", now, now); err != nil {
		t.Errorf("now: %v", err)
	}
	if err := CheckPast("--at", now.Add(time.Second), now); err == nil || err.Error() != "--at: 2026-11-24T10:00:01Z is in the future" {
		t.Errorf("a second later: %v", err)
	}
	if _, err := ParsePastTime("--started", "2026-11-25", now); err == nil || !strings.Contains(err.Error(), "--started: 2026-11-25T00:00:00Z is in the future") {
		t.Errorf("tomorrow: %v", err)
	}
}

func TestFixRules(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	open := Incident{ID: 3, StartedAt: start}
	fixedAt := start.Add(time.Hour)
	fixed := Incident{ID: 3, StartedAt: start, FixedAt: &fixedAt}
	var fe *FieldError
	if err := open.CheckFix("--at", start.Add(-time.Minute)); !errors.As(err, &fe) || fe.Field != "--at" ||
		!strings.Contains(err.Error(), "is before incident 3 started") {
		t.Errorf("fix before the start: %v", err)
	}
	if err := open.CheckFix("fixed_at", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.As(err, &fe) || fe.Field != "fixed_at" {
		t.Errorf("fix in the year 10000: %v", err)
	}
	if err := open.CheckFix("--at", fixedAt); err != nil {
		t.Errorf("fix: %v", err)
	}
	if err := fixed.CheckFix("--at", fixedAt); !errors.Is(err, ErrConflict) {
		t.Errorf("second fix: %v", err)
	}
	if err := open.CheckCorrection("--at", fixedAt); !errors.Is(err, ErrConflict) {
		t.Errorf("correction without a fix: %v", err)
	}
	if err := fixed.CheckCorrection("--at", start); err != nil {
		t.Errorf("correction: %v", err)
	}
	if err := (Incident{StartedAt: start}).CheckAfterStart("--fixed-at", start.Add(-time.Hour)); err == nil ||
		!strings.Contains(err.Error(), "is before the incident started") {
		t.Errorf("a new incident: %v", err)
	}
}

func TestFindCompensation(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	given := []Credit{
		{ID: 4, Customer: "ana", IncidentID: 7, VoidedAt: &at},
		{ID: 9, Customer: "ana", IncidentID: 7, VoidedAt: &at},
		{ID: 12, Customer: "bo", IncidentID: 7},
		{ID: 15, Customer: "ana", IncidentID: 8},
	}
	if c, key := FindCompensation(7, "ana", given); c != nil || key != "compensation:7:9:ana" {
		t.Errorf("after two voided: %v, %q", c, key)
	}
	given = append(given, Credit{ID: 20, Customer: "ana", IncidentID: 7}, Credit{ID: 21, Customer: "ana", IncidentID: 7})
	if c, key := FindCompensation(7, "ana", given); c == nil || c.ID != 20 || key != "" {
		t.Errorf("live: %v, %q", c, key)
	}
	if c, key := FindCompensation(3, "ana", nil); c != nil || key != "compensation:3:0:ana" {
		t.Errorf("none: %v, %q", c, key)
	}
}

func TestRetries(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Credit{ID: 5, Customer: "ana", AmountMinor: 2500, Currency: "USD", Reason: ReasonOutage, ExpiresAt: &exp}
	nc := NewCredit{Customer: "ana", AmountMinor: 2500, Currency: "USD", Reason: ReasonOutage, ExpiresAt: &exp, IdempotencyKey: "k"}
	if err := nc.CheckRetry(c); err != nil {
		t.Errorf("same values: %v", err)
	}
	nc.AmountMinor, nc.ExpiresAt = 3000, nil
	if err := nc.CheckRetry(c); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "credit 5 with a different amount, expiry") {
		t.Errorf("other values: %v", err)
	}
	a := Apply{Credit: 5, AmountMinor: 1000, Invoice: "in_1", IdempotencyKey: "a"}
	prev := Entry{Kind: EntryApply, CreditID: 5, AmountMinor: -1000, Currency: "USD", Invoice: "in_1"}
	if err := a.CheckRetry(prev); err != nil {
		t.Errorf("same apply: %v", err)
	}
	prev.Invoice = "in_2"
	if err := a.CheckRetry(prev); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "invoice in_2") {
		t.Errorf("another apply: %v", err)
	}
	if err := (Credit{ID: 5, VoidedAt: &exp}).CheckVoid(); !errors.Is(err, ErrConflict) {
		t.Errorf("void twice: %v", err)
	}
	if err := ValidateVoidReason("--reason", ""); err == nil || !strings.HasPrefix(err.Error(), "--reason: must not be empty") {
		t.Errorf("no reason: %v", err)
	}
}
