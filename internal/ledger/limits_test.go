package ledger

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

func TestCurrencyTotalBound(t *testing.T) {
	// The bound leaves int64 room for a few of its totals added together.
	if MaxCurrencyTotalMinor > math.MaxInt64/9 {
		t.Fatalf("MaxCurrencyTotalMinor %d leaves too little room in int64", MaxCurrencyTotalMinor)
	}
	for _, cur := range []string{"USD", "JPY", "KWD", "CLF"} {
		most, err := MaxAmountMinor(cur)
		if err != nil || most > MaxRowMinor {
			t.Fatalf("%s: the largest credit %d is over MaxRowMinor (%v)", cur, most, err)
		}
	}
	if err := CheckCurrencyTotal("amount", "USD", MaxCurrencyTotalMinor-5, 5); err != nil {
		t.Fatalf("up to the bound: %v", err)
	}
	var fe *FieldError
	err := CheckCurrencyTotal("amount", "USD", MaxCurrencyTotalMinor-5, 6)
	if !errors.As(err, &fe) || fe.Field != "amount" || !strings.Contains(err.Error(), "1,000,000,000,000,000,000 minor units") {
		t.Fatalf("past the bound: %v", err)
	}
	// Whatever was issued, the check itself never overflows.
	if err := CheckCurrencyTotal("amount", "USD", MaxCurrencyTotalMinor, MaxRowMinor); err == nil {
		t.Fatal("at the bound, more was allowed")
	}

	for _, tc := range []struct {
		span, rowMax, amount int64
		want                 bool
	}{
		{0, MaxRowMinor, MaxRowMinor, true},
		{99_999, MaxRowMinor, MaxRowMinor, true},   // 10^18 exactly
		{100_000, MaxRowMinor, MaxRowMinor, false}, // could be past it: sum
		{math.MaxInt64, 1, 1, false},
		{-1, 1, 1, false},
		{1, 0, 1, false},
	} {
		if got := CurrencyTotalHeadroom(tc.span, tc.rowMax, tc.amount); got != tc.want {
			t.Errorf("CurrencyTotalHeadroom(%d, %d, %d) = %v", tc.span, tc.rowMax, tc.amount, got)
		}
	}
}

func TestTimesWithinTheLedgersYears(t *testing.T) {
	for s, ok := range map[string]bool{
		"2026-11-24": true, "1970-01-01T00:00:00Z": true, "9999-12-31T23:59:59Z": true,
		"1969-12-31T23:59:59Z": false, "0001-01-01": false, "9999-12-31T23:59:59-01:00": false,
	} {
		_, err := ParseTime("--at", s)
		if ok != (err == nil) {
			t.Errorf("ParseTime(%q): %v", s, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "outside the years 1970 to 9999")) {
			t.Errorf("ParseTime(%q): %v, want a message naming the years", s, err)
		}
	}
	// A time typed in a layout of its own (the walk's, Stripe's export)
	// keeps to the same years.
	for s, ok := range map[string]bool{
		"2026-11-24 09:30": true, "1970-01-01 00:00": true, "2026-11-24T09:30:00Z": true, "2026-11-24": true,
		"1969-12-31 23:59": false, "0001-01-01 00:00": false,
	} {
		got, err := ParseTimeAs("time", s, "YYYY-MM-DD HH:MM", "2006-01-02 15:04")
		if ok != (err == nil) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseTimeAs(%q) = %v, %v", s, got, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "outside the years 1970 to 9999")) {
			t.Errorf("ParseTimeAs(%q): %v, want a message naming the years", s, err)
		}
	}
	if _, err := ParseTimeAs("time", "24/11/2026", "YYYY-MM-DD HH:MM", "2006-01-02 15:04"); err == nil ||
		!strings.Contains(err.Error(), "want YYYY-MM-DD HH:MM, RFC 3339 or YYYY-MM-DD") {
		t.Errorf("ParseTimeAs of no layout: %v, want the layouts named", err)
	}
	if _, err := ParseDate("--since", "1900-01-01"); err == nil {
		t.Error("ParseDate 1900")
	}
	now := time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := ParseExpiry("--expires", "90d", now); err == nil || !strings.Contains(err.Error(), "10000-02-29") {
		t.Errorf("ParseExpiry 90d in 9999: %v", err)
	}
	for s, want := range map[string]string{
		"garbage":              `MAKEGOOD_NOW: "garbage" is not an RFC 3339 time`,
		"2026-11-24":           `is not an RFC 3339 time`,
		"1969-01-01T00:00:00Z": "outside the years",
	} {
		if _, err := ParseClock("MAKEGOOD_NOW", s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseClock(%q): %v, want %q", s, err, want)
		}
	}
	if got, err := ParseClock("MAKEGOOD_NOW", "2026-11-24T12:00:00+02:00"); err != nil || !got.Equal(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("ParseClock: %v %v", got, err)
	}
}

func TestNewCreditValidate(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	ok := NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: now}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	gesture := NewCredit{Customer: "a", Gesture: "a card", Reason: "goodwill", IssuedAt: now}
	if err := gesture.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		edit  func(*NewCredit)
		field string
	}{
		"no customer":               {func(n *NewCredit) { n.Customer = "" }, "customer"},
		"zero":                      {func(n *NewCredit) { n.AmountMinor = 0 }, "amount"},
		"negative":                  {func(n *NewCredit) { n.AmountMinor = -1 }, "amount"},
		"past the cap":              {func(n *NewCredit) { n.AmountMinor = 100_000_000_001 }, "amount"},
		"a billion is fine":         {func(n *NewCredit) { n.AmountMinor = 100_000_000_000 }, ""},
		"lower-case code":           {func(n *NewCredit) { n.Currency = "usd" }, "currency"},
		"unknown currency":          {func(n *NewCredit) { n.Currency = "ZZZ" }, "currency"},
		"reason":                    {func(n *NewCredit) { n.Reason = "why not" }, "reason"},
		"note":                      {func(n *NewCredit) { n.Note = "a\x1b[2Jb" }, "note"},
		"year 10000":                {func(n *NewCredit) { n.IssuedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "issued_at"},
		"expired already":           {func(n *NewCredit) { n.ExpiresAt = &past }, "expires"},
		"gesture and money":         {func(n *NewCredit) { n.Gesture = "a card" }, "gesture"},
		"compensation, no incident": {func(n *NewCredit) { n.Compensation = true }, "incident"},
	} {
		nc := ok
		tc.edit(&nc)
		err := nc.Validate()
		var fe *FieldError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
			t.Errorf("%s: err = %v, want a %s error", name, err, tc.field)
		}
	}
}

func TestCompensationKey(t *testing.T) {
	// A customer id may hold colons; the numbers come first, so two keys
	// never meet.
	a := CompensationKey(1, "a:after:3", 0)
	b := CompensationKey(1, "a", 3)
	if a == b {
		t.Fatalf("%q and %q collide", a, b)
	}
	if CompensationKey(7, "alice", 0) != "compensation:7:0:alice" {
		t.Fatal(CompensationKey(7, "alice", 0))
	}
}

func TestCaseKey(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	k := CaseKey("Login outage", at, []string{"b", "a"})
	if k != CaseKey("Login outage", at.In(time.FixedZone("x", 3600)), []string{"a", "b", "a"}) {
		t.Fatal("the same case, customers in another order, is another key")
	}
	for name, other := range map[string]string{
		"title":     CaseKey("Login outage!", at, []string{"a", "b"}),
		"start":     CaseKey("Login outage", at.Add(time.Second), []string{"a", "b"}),
		"customers": CaseKey("Login outage", at, []string{"a"}),
		"joined":    CaseKey("Login outage", at, []string{"a\x00b"}),
	} {
		if other == k {
			t.Errorf("another %s, the same key", name)
		}
	}
}

func TestBudgetCheck(t *testing.T) {
	b := Budget{Name: "the monthly goodwill budget", Currency: "USD", LimitMinor: 10000, OwedMinor: 500}
	for _, tc := range []struct {
		given, amount int64
		ok            bool
	}{
		{0, 10000, true}, {0, 10001, false}, {9000, 1000, true}, {9000, 1001, false},
		{10000, 500, true}, {10000, 501, false}, {20000, 500, true}, {-100, 10000, true},
	} {
		err := b.Check(tc.given, tc.amount)
		if tc.ok != (err == nil) {
			t.Errorf("given %d, amount %d: %v", tc.given, tc.amount, err)
		}
		if err != nil && (!errors.Is(err, ErrBudget) || !errors.Is(err, ErrConflict)) {
			t.Errorf("given %d, amount %d: %v is not a budget conflict", tc.given, tc.amount, err)
		}
	}
}

func TestCheckApply(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	c := Credit{ID: 1, AmountMinor: 2500, Currency: "USD", RemainingMinor: 1500}
	if err := c.CheckApply(Apply{Credit: 1, AmountMinor: 1500, Invoice: "in_1", At: now}); err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if err := c.CheckApply(Apply{Credit: 1, AmountMinor: 1501, Invoice: "in_1", At: now}); !errors.As(err, &fe) || fe.Field != "--amount" {
		t.Fatalf("more than remains: %v", err)
	}
	void := c
	void.VoidedAt = &now
	if err := void.CheckApply(Apply{Credit: 1, AmountMinor: 1, Invoice: "in_1", At: now}); !errors.Is(err, ErrConflict) {
		t.Fatalf("void: %v", err)
	}
	if err := (Apply{Credit: 1, AmountMinor: 1, Invoice: "in\n1", At: now}).Validate(); !errors.As(err, &fe) || fe.Field != "--invoice" {
		t.Fatalf("invoice: %v", err)
	}
}

func TestCheckCreditBound(t *testing.T) {
	for _, tc := range []struct {
		currency string
		amount   int64
		bad      bool
		want     string
	}{
		{"USD", 100_000_000_000, false, ""},
		{"USD", 100_000_000_001, true, "credit 7: $1,000,000,000.01, more than one credit may be (at most $1,000,000,000.00)"},
		{"JPY", 1_000_000_000, false, ""},
		{"JPY", 1_000_000_001, true, "at most ¥1,000,000,000"},
		{"CLF", MaxRowMinor, false, ""},
		{"XYZ", 5, true, `"XYZ", which is not a currency`},
	} {
		f, bad := CheckCreditBound(7, tc.currency, tc.amount)
		if bad != tc.bad || (bad && (f.Check != "credit_bound" || !strings.Contains(f.Detail, tc.want))) {
			t.Errorf("CheckCreditBound(%s %d) = %v, %v; want %v and %q", tc.currency, tc.amount, f, bad, tc.bad, tc.want)
		}
	}
	// Every currency's largest credit is at least the floor an engine
	// filters by, and at most the database's cap.
	for _, c := range money.Codes() {
		limit, err := money.MaxMinor(c)
		if err != nil || limit < CreditBoundFloor || limit > MaxRowMinor {
			t.Errorf("%s: largest credit %d (%v) outside [%d, %d]", c, limit, err, CreditBoundFloor, MaxRowMinor)
		}
	}
}
