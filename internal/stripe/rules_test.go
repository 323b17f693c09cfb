package stripe

import (
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func ptr(t time.Time) *time.Time { return &t }

func TestIdempotencyKeyIsFixed(t *testing.T) {
	a := IdempotencyKey("6f1c", 12, KindCredit)
	if a != IdempotencyKey("6f1c", 12, KindCredit) {
		t.Fatal("the same push gave two keys")
	}
	for _, other := range []string{IdempotencyKey("6f1d", 12, KindCredit), IdempotencyKey("6f1c", 13, KindCredit),
		IdempotencyKey("6f1c", 12, KindReversal), IdempotencyKey("6f1c", 1, KindCredit)} {
		if other == a {
			t.Errorf("%q is the key of another push too", a)
		}
	}
	if a != "makegood-6f1c-credit-12-credit" {
		t.Errorf("key = %q", a)
	}
	if len(IdempotencyKey(strings.Repeat("f", 36), 1<<62, KindReversal)) > 255 {
		t.Error("a key is longer than Stripe's 255 characters")
	}
}

func credit(id int64, amount, remaining int64, expires *time.Time) ledger.Credit {
	return ledger.Credit{ID: id, Customer: "alice", AmountMinor: amount, RemainingMinor: remaining, Currency: "USD",
		Reason: "outage", Note: "Down for\na day", IssuedAt: t0, ExpiresAt: expires}
}

func TestPlanPushes(t *testing.T) {
	voided := credit(3, 2500, 0, nil)
	voided.VoidedAt, voided.VoidReason = ptr(t0.Add(time.Hour)), "issued twice"
	gesture := credit(6, 0, 0, nil)
	gesture.Gesture, gesture.Currency = "a card", ""
	now := t0.Add(48 * time.Hour)
	cands := []Candidate{
		{Credit: credit(1, 2500, 2500, nil), StripeCustomer: "cus_A"},                                  // open: push −25.00
		{Credit: credit(2, 2500, 1000, nil), StripeCustomer: "cus_A"},                                  // partly used by hand: push −10.00
		{Credit: voided, StripeCustomer: "cus_A", HeldMinor: 1500, Pushes: []Push{{Kind: KindCredit}}}, // pushed then voided: +15.00
		{Credit: credit(4, 900, 900, ptr(t0.Add(24*time.Hour))), StripeCustomer: "cus_A", HeldMinor: 900,
			Pushes: []Push{{Kind: KindCredit}}}, // pushed then expired: +9.00
		{Credit: credit(5, 900, 900, nil), StripeCustomer: "cus_A", HeldMinor: 900, Pushes: []Push{{Kind: KindCredit}}}, // pushed, open: nothing
		{Credit: gesture, StripeCustomer: "cus_A"},                                       // gestures have no money
		{Credit: credit(7, 2500, 0, nil), StripeCustomer: "cus_A"},                       // used up by hand: nothing
		{Credit: credit(8, 2500, 2500, nil)},                                             // no Stripe id: nothing
		{Credit: credit(9, 2500, 2500, ptr(t0.Add(time.Hour))), StripeCustomer: "cus_A"}, // expired before a push: nothing
		{Credit: voided, StripeCustomer: "cus_A", HeldMinor: 1500,
			Pushes: []Push{{Kind: KindCredit}, {Kind: KindReversal}}}, // reversal already claimed: nothing
	}
	got, problems := PlanPushes("L", cands, now)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := []struct {
		credit int64
		kind   string
		amount int64
		desc   string
	}{
		{1, KindCredit, -2500, "makegood credit 1 (outage): Down for a day"},
		{2, KindCredit, -1000, "makegood credit 2 (outage): Down for a day"},
		{3, KindReversal, 1500, "makegood credit 3 voided: issued twice"},
		{4, KindReversal, 900, "makegood credit 4 expired on 2026-11-25"},
	}
	if len(got) != len(want) {
		t.Fatalf("planned %d pushes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.CreditID != w.credit || g.Kind != w.kind || g.AmountStripe != w.amount || g.Description != w.desc ||
			g.IdempotencyKey != IdempotencyKey("L", w.credit, w.kind) || g.StripeCustomer != "cus_A" || !g.IntendedAt.Equal(now) {
			t.Errorf("push %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestPlanPushesReportsWhatCannotBeSent(t *testing.T) {
	c := credit(1, 1250, 1250, nil)
	c.Currency = "MGA"
	got, problems := PlanPushes("L", []Candidate{{Credit: c, StripeCustomer: "cus_A"}}, t0)
	if len(got) != 0 || len(problems) != 1 || problems[0].CreditID != 1 {
		t.Fatalf("got %v, problems %v", got, problems)
	}
}

func TestNeedsLookup(t *testing.T) {
	p := Push{IntendedAt: t0}
	if NeedsLookup(p, t0.Add(time.Hour)) {
		t.Error("an hour-old claim is looked up; its key is still good")
	}
	if !NeedsLookup(p, t0.Add(25*time.Hour)) {
		t.Error("a day-old claim is sent again without looking for what it created")
	}
}

func TestAllocate(t *testing.T) {
	credits := []Pushable{
		{CreditID: 1, Currency: "USD", RemainingMinor: 1000, IssuedAt: t0},                                                    // oldest, no expiry
		{CreditID: 2, Currency: "USD", RemainingMinor: 500, IssuedAt: t0.Add(time.Hour), ExpiresAt: ptr(t0.AddDate(0, 2, 0))}, // expires later
		{CreditID: 3, Currency: "USD", RemainingMinor: 700, IssuedAt: t0.Add(2 * time.Hour), ExpiresAt: ptr(t0.AddDate(0, 1, 0))},
		{CreditID: 4, Currency: "EUR", RemainingMinor: 9000, IssuedAt: t0},                                    // other currency
		{CreditID: 5, Currency: "USD", RemainingMinor: 9000, IssuedAt: t0, Voided: true},                      // void
		{CreditID: 6, Currency: "USD", RemainingMinor: 9000, IssuedAt: t0, ExpiresAt: ptr(t0.Add(time.Hour))}, // expired by then
		{CreditID: 7, Currency: "USD", RemainingMinor: 300, IssuedAt: t0.Add(-time.Hour)},                     // older than 1
	}
	at := t0.AddDate(0, 0, 10)
	got, rest := Allocate(2000, "USD", at, credits)
	want := []Allocation{{3, -700}, {2, -500}, {7, -300}, {1, -500}}
	if rest != 0 || len(got) != len(want) {
		t.Fatalf("Allocate = %v, rest %d; want %v", got, rest, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("allocation %d = %v, want %v", i, got[i], want[i])
		}
	}
	got, rest = Allocate(5000, "USD", at, credits)
	if rest != 2500 || len(got) != 4 {
		t.Errorf("Allocate(5000) = %v, rest %d; want all four usable credits and 25.00 unallocated", got, rest)
	}
	if got, rest := Allocate(100, "JPY", at, credits); len(got) != 0 || rest != 100 {
		t.Errorf("Allocate in a currency with no credit = %v, %d", got, rest)
	}
}

func TestReturn(t *testing.T) {
	uses := []InvoiceUse{{CreditID: 3, UsedMinor: 700}, {CreditID: 2, UsedMinor: 500}, {CreditID: 9, UsedMinor: 100, Voided: true}}
	got, rest := Return(900, uses)
	want := []Allocation{{2, 500}, {3, 400}}
	if rest != 0 || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Return(900) = %v, rest %d; want %v", got, rest, want)
	}
	if got, rest := Return(1500, uses); rest != 300 || len(got) != 2 {
		t.Errorf("Return(1500) = %v, rest %d; want 3.00 with nothing to go back to", got, rest)
	}
}

func TestExplain(t *testing.T) {
	f := BalanceFacts{Currency: "USD", LedgerMinor: 5000, StripeMinor: 1000, UnpushedMinor: 2500,
		UnpulledUsesMinor: 1500, ForeignMinor: 500}
	parts := f.Explain()
	want := []Part{{ExplainUnpushed, -2500}, {ExplainUnpulledUses, -1500}, {ExplainForeign, 500}, {ExplainUnexplained, -500}}
	if len(parts) != len(want) {
		t.Fatalf("Explain = %v, want %v", parts, want)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %v, want %v", i, parts[i], want[i])
		}
	}
	if parts := (BalanceFacts{LedgerMinor: 100, StripeMinor: 100, UnpushedMinor: 5}).Explain(); parts != nil {
		t.Errorf("balances that agree are explained: %v", parts)
	}
}
