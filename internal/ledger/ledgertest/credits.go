package ledgertest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func customerTests() []contractTest {
	return []contractTest{
		{"Customers", testCustomers},
	}
}

func creditTests() []contractTest {
	return []contractTest{
		{"IssueCreditIdempotency", testIssueCreditIdempotency},
		{"IssueCreditUnknownCustomer", testIssueCreditUnknownCustomer},
		{"FailedIssueLeavesNoNewCustomer", testFailedIssueLeavesNoNewCustomer},
		{"IssueCreditValidates", testIssueCreditValidates},
		{"VoidAndApply", testVoidAndApply},
		{"FullyAppliedCreditIsApplied", testFullyAppliedCreditIsApplied},
		{"ApplyOnce", testApplyOnce},
		{"ExpiryAndBalances", testExpiryAndBalances},
		{"BalancesAreTheEntries", testBalancesAreTheEntries},
		{"CreditFilters", testCreditFilters},
		{"CreditsLinkedToIncidentsAndGestures", testCreditsLinkedToIncidentsAndGestures},
		{"CompensationOnce", testCompensationOnce},
		{"BudgetCheckedAsItWrites", testBudgetCheckedAsItWrites},
		{"CurrencyTotalBound", testCurrencyTotalBound},
	}
}

func testCustomers(e *env) {
	t := e.t
	c := e.addCustomer("a", "USD")
	if err := e.st.AddCustomer(e.ctx, c); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("duplicate add: %v", err)
	}
	c.Name, c.Tags, c.Since = "Alice", []string{"x", "y"}, time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC)
	c.Email, c.Plan, c.Locale, c.Advocate, c.UpdatedAt = "alice@example.com", "pro", "de-DE", 3, t0.Add(time.Hour)
	e.must(e.st.UpdateCustomer(e.ctx, c))
	got, err := e.st.Customer(e.ctx, "a")
	e.must(err)
	if got.Name != "Alice" || strings.Join(got.Tags, ",") != "x,y" || !got.Since.Equal(c.Since) || got.PriceMinor != 4900 ||
		got.Email != c.Email || got.Plan != "pro" || got.Locale != "de-DE" || got.Advocate != 3 || got.Currency != "USD" ||
		got.Period != "month" || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("after update: %+v", got)
	}
	if err := e.st.UpdateCustomer(e.ctx, ledger.Customer{ID: "nobody", UpdatedAt: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if _, err := e.st.Customer(e.ctx, "nobody"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown customer: %v", err)
	}
	// Ids are the operator's: any text, listed in order.
	e.addCustomer("Zoë Ünlü", "")
	e.addCustomer("b, with a comma", "EUR")
	all, err := e.st.Customers(e.ctx)
	e.must(err)
	var ids []string
	for _, c := range all {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"Zoë Ünlü", "a", "b, with a comma"}) && !slices.Equal(ids, []string{"a", "b, with a comma", "Zoë Ünlü"}) {
		t.Fatalf("customers %q, want them by id", ids)
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("customers %q are not in order", ids)
	}
}

func testIssueCreditIdempotency(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	nc := ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage",
		Note: "n", IssuedAt: t0, IdempotencyKey: "k1"}
	first := e.issue(nc)

	again, created, err := e.st.IssueCredit(e.ctx, nc)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("same key, same values: id %d created %v err %v; want id %d, not created", again.ID, created, err, first.ID)
	}

	other := nc
	other.AmountMinor = 3000
	other.Note = "changed"
	_, _, err = e.st.IssueCredit(e.ctx, other)
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), `"k1"`) ||
		!strings.Contains(err.Error(), "amount, note") {
		t.Fatalf("same key, other values: %v", err)
	}
	if n := e.counts(); n.Credits != 1 || n.Entries != 1 {
		t.Fatalf("credits %d entries %d, want 1 and 1", n.Credits, n.Entries)
	}
}

func testIssueCreditUnknownCustomer(e *env) {
	t := e.t
	_, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "ghost", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: t0})
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
	nc := ledger.NewCredit{Customer: "ghost", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: t0,
		NewCustomer: &ledger.Customer{ID: "ghost", CreatedAt: t0, UpdatedAt: t0}}
	if _, created, err := e.st.IssueCredit(e.ctx, nc); err != nil || !created {
		t.Fatalf("with NewCustomer: created %v err %v", created, err)
	}
	if _, err := e.st.Customer(e.ctx, "ghost"); err != nil {
		t.Fatalf("customer not added with the credit: %v", err)
	}
}

func testFailedIssueLeavesNoNewCustomer(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD", IdempotencyKey: "k"})
	before := e.dump()
	_, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "b", AmountMinor: 100, Currency: "USD",
		Reason: "bug", IssuedAt: t0, IdempotencyKey: "k",
		NewCustomer: &ledger.Customer{ID: "b", CreatedAt: t0, UpdatedAt: t0}})
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
	if _, err := e.st.Customer(e.ctx, "b"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("customer b exists after a refused issue: %v", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("a refused issue wrote:\n%s\nwas:\n%s", after, before)
	}
}

func testIssueCreditValidates(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		nc    ledger.NewCredit
		field string
	}{
		{ledger.NewCredit{AmountMinor: 0, Currency: "USD"}, "amount"},
		{ledger.NewCredit{AmountMinor: 100_000_000_001, Currency: "USD"}, "amount"},
		{ledger.NewCredit{AmountMinor: 100, Currency: "usd"}, "currency"},
		{ledger.NewCredit{AmountMinor: 100, Currency: "USD", Reason: "because"}, "reason"},
		{ledger.NewCredit{AmountMinor: 100, Currency: "USD", IssuedAt: far}, "issued_at"},
		{ledger.NewCredit{AmountMinor: 100, Currency: "USD", ExpiresAt: &far}, "expires"},
		{ledger.NewCredit{Gesture: "a card", Currency: "USD"}, "gesture"},
		{ledger.NewCredit{AmountMinor: 100, Currency: "USD", Gesture: "a card"}, "gesture"},
	} {
		nc := tc.nc
		nc.Customer = "a"
		if nc.Reason == "" {
			nc.Reason = "outage"
		}
		if nc.IssuedAt.IsZero() {
			nc.IssuedAt = t0
		}
		var fe *ledger.FieldError
		if _, _, err := e.st.IssueCredit(e.ctx, nc); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", tc.nc, err, tc.field)
		}
	}
	if n := e.counts(); n.Credits != 0 || n.Entries != 0 {
		t.Fatalf("%d credits written", n.Credits)
	}
}

func testVoidAndApply(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	c := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD"})

	c, created, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1000, Invoice: "in_1", At: t0.Add(time.Hour)})
	e.must(err)
	if !created || c.RemainingMinor != 1500 || c.Status(t0) != ledger.StatusOpen {
		t.Fatalf("after apply: created %v remaining %d status %s", created, c.RemainingMinor, c.Status(t0))
	}
	var fe *ledger.FieldError
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1501, Invoice: "in_2", At: t0}); !errors.As(err, &fe) || fe.Field != "--amount" {
		t.Fatalf("apply more than remains: %v", err)
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: 999, AmountMinor: 1, Invoice: "in_2", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("apply an unknown credit: %v", err)
	}
	if _, err := e.st.VoidCredit(e.ctx, c.ID, "", t0); !errors.As(err, &fe) {
		t.Fatalf("void without a reason: %v", err)
	}
	c, err = e.st.VoidCredit(e.ctx, c.ID, "wrong customer", t0.Add(2*time.Hour))
	e.must(err)
	if c.Status(t0) != ledger.StatusVoid || c.VoidReason != "wrong customer" || c.RemainingMinor != 0 ||
		c.VoidedAt == nil || !c.VoidedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after void: %+v", c)
	}
	if _, err := e.st.VoidCredit(e.ctx, c.ID, "again", t0); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("void twice: %v", err)
	}
	if _, err := e.st.VoidCredit(e.ctx, 999, "no such credit", t0); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("void an unknown credit: %v", err)
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_3", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply after void: %v", err)
	}
	bs, err := e.st.Balances(e.ctx, "a", t0)
	if err != nil || len(bs) != 0 {
		t.Fatalf("balance after void: %v %v", bs, err)
	}
	h, err := e.st.History(e.ctx, "a")
	e.must(err)
	var kinds []string
	for _, en := range h {
		kinds = append(kinds, en.Kind)
	}
	if got := strings.Join(kinds, ","); got != "void,apply,issue" {
		t.Fatalf("history newest first = %s", got)
	}
	if h[0].AmountMinor != -1500 || h[1].AmountMinor != -1000 || h[2].AmountMinor != 2500 || h[2].Reason != "outage" ||
		h[1].Invoice != "in_1" || h[0].Note != "wrong customer" || h[1].CreditID != c.ID || h[0].Currency != "USD" {
		t.Fatalf("history amounts: %+v", h)
	}
	if got, err := e.st.Credit(e.ctx, c.ID); err != nil || got.Status(t0) != ledger.StatusVoid {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := e.st.Credit(e.ctx, 999); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown credit: %v", err)
	}
}

func testFullyAppliedCreditIsApplied(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	c := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD"})
	c, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 500, Invoice: "in_1", At: t0})
	e.must(err)
	if c.Status(t0) != ledger.StatusApplied {
		t.Fatalf("status %s", c.Status(t0))
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_2", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply a used credit: %v", err)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusApplied}); !slices.Equal(got, []int64{c.ID}) {
		t.Fatalf("applied filter: %v", got)
	}
}

// testApplyOnce: a second apply of a credit to one invoice is refused
// unless asked for; a key makes a retry return the apply.
func testApplyOnce(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	c := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 10000, Currency: "USD"})
	apply := ledger.Apply{Credit: c.ID, AmountMinor: 2000, Invoice: "in_1", At: t0}
	if _, created, err := e.st.ApplyCredit(e.ctx, apply); err != nil || !created {
		t.Fatal(err)
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, apply); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "--again") {
		t.Fatalf("twice: %v", err)
	}
	apply.Again = true
	if got, created, err := e.st.ApplyCredit(e.ctx, apply); err != nil || !created || got.RemainingMinor != 6000 {
		t.Fatalf("--again: %+v %v", got, err)
	}
	keyed := ledger.Apply{Credit: c.ID, AmountMinor: 500, Invoice: "in_1", At: t0, IdempotencyKey: "k"}
	for i := range 3 {
		got, created, err := e.st.ApplyCredit(e.ctx, keyed)
		if err != nil || created != (i == 0) || got.RemainingMinor != 5500 {
			t.Fatalf("keyed, try %d: %+v %v %v", i, got, created, err)
		}
	}
	keyed.AmountMinor = 600
	if _, _, err := e.st.ApplyCredit(e.ctx, keyed); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("the key for another apply: %v", err)
	}
	// A retry under its key finds the apply even once nothing remains.
	rest := ledger.Apply{Credit: c.ID, AmountMinor: 5500, Invoice: "in_2", At: t0, IdempotencyKey: "rest"}
	for i := range 2 {
		got, created, err := e.st.ApplyCredit(e.ctx, rest)
		if err != nil || created != (i == 0) || got.RemainingMinor != 0 {
			t.Fatalf("the rest, try %d: %+v %v %v", i, got, created, err)
		}
	}
	if n := e.counts(); n.Entries != 5 {
		t.Fatalf("%d entries, want 5", n.Entries)
	}
}

func testExpiryAndBalances(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "JPY")
	exp := t0.Add(48 * time.Hour)
	expiring := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD", ExpiresAt: &exp})
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: expiring.ID, AmountMinor: 400, Invoice: "in_1", At: t0}); err != nil {
		t.Fatal(err)
	}
	e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD"})
	e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 300, Currency: "EUR"})
	e.issue(ledger.NewCredit{Customer: "b", AmountMinor: 2500, Currency: "JPY"})

	want := func(now time.Time, customer string, exp ...ledger.Balance) {
		t.Helper()
		got, err := e.st.Balances(e.ctx, customer, now)
		e.must(err)
		if !slices.Equal(got, exp) {
			t.Fatalf("balances at %s: %+v, want %+v", now, got, exp)
		}
	}
	want(t0, "",
		ledger.Balance{Customer: "a", Currency: "EUR", BalanceMinor: 300},
		ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 3100},
		ledger.Balance{Customer: "b", Currency: "JPY", BalanceMinor: 2500})
	want(exp.Add(-time.Microsecond), "a",
		ledger.Balance{Customer: "a", Currency: "EUR", BalanceMinor: 300},
		ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 3100})
	want(exp, "a",
		ledger.Balance{Customer: "a", Currency: "EUR", BalanceMinor: 300},
		ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 2500})
	want(t0, "nobody")

	c, err := e.st.Credit(e.ctx, expiring.ID)
	e.must(err)
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(exp) || c.Status(exp.Add(-time.Second)) != ledger.StatusOpen || c.Status(exp) != ledger.StatusExpired {
		t.Fatalf("expiry status around %s wrong: %+v", exp, c)
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_2", At: exp}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply an expired credit: %v", err)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusExpired, Now: exp}); !slices.Equal(got, []int64{c.ID}) {
		t.Fatalf("expired filter: %v", got)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusOpen, Now: t0}); len(got) != 4 {
		t.Fatalf("open filter before expiry: %v", got)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusOpen, Now: exp}); len(got) != 3 || slices.Contains(got, c.ID) {
		t.Fatalf("open filter at the expiry: %v", got)
	}
}

func testCreditFilters(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	var a []int64
	for i := range 5 {
		a = append(a, e.issue(ledger.NewCredit{Customer: "a", AmountMinor: int64(100 + i), Currency: "USD",
			Reason: []string{"outage", "bug"}[i%2], IssuedAt: t0.Add(time.Duration(i) * 24 * time.Hour)}).ID)
	}
	b := e.issue(ledger.NewCredit{Customer: "b", AmountMinor: 999, Currency: "USD"}).ID
	eq := func(f ledger.CreditFilter, want ...int64) {
		t.Helper()
		if want == nil {
			want = []int64{}
		}
		if got := e.creditIDs(f); !slices.Equal(got, want) {
			t.Fatalf("%+v: got %v want %v", f, got, want)
		}
	}
	eq(ledger.CreditFilter{}, b, a[4], a[3], a[2], a[1], a[0])
	eq(ledger.CreditFilter{Customer: "a", Limit: 2}, a[4], a[3])
	eq(ledger.CreditFilter{Reason: "bug"}, a[3], a[1])
	eq(ledger.CreditFilter{Customer: "a", Since: t0.Add(24 * time.Hour), Until: t0.Add(72 * time.Hour)}, a[2], a[1])
	eq(ledger.CreditFilter{Status: ledger.StatusApplied})
	eq(ledger.CreditFilter{Customer: "nobody"})
	var fe *ledger.FieldError
	if _, err := e.st.Credits(e.ctx, ledger.CreditFilter{Status: "lost", Now: t0}); !errors.As(err, &fe) {
		t.Fatalf("an unknown status: %v", err)
	}
}

func testCreditsLinkedToIncidentsAndGestures(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	inc := e.openIncident(ledger.NewIncident{Customers: []string{"a"}})

	money := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", IncidentID: inc.ID})
	gesture := e.issue(ledger.NewCredit{Customer: "b", Gesture: "a handwritten card", IncidentID: inc.ID,
		Reason: "goodwill", IdempotencyKey: "g1"})
	if money.IncidentID != inc.ID || gesture.Gesture != "a handwritten card" || !gesture.IsGesture() {
		t.Fatalf("returned %+v %+v", money, gesture)
	}
	got, err := e.st.Credit(e.ctx, gesture.ID)
	e.must(err)
	if got.Gesture != "a handwritten card" || got.IncidentID != inc.ID || got.AmountMinor != 0 ||
		got.Currency != "" || got.Status(t0) != ledger.StatusGiven {
		t.Fatalf("stored gesture %+v status %s", got, got.Status(t0))
	}
	// Giving a customer something for an incident means it affected them.
	after, err := e.st.Incident(e.ctx, inc.ID)
	if err != nil || strings.Join(after.Customers, ",") != "a,b" {
		t.Fatalf("affected after credits: %v %v", after.Customers, err)
	}

	bs, err := e.st.Balances(e.ctx, "", t0)
	if err != nil || len(bs) != 1 || bs[0] != (ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 2500}) {
		t.Fatalf("balances must ignore gestures: %+v %v", bs, err)
	}
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: gesture.ID, AmountMinor: 1, Invoice: "in_1", At: t0}); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "gesture") {
		t.Fatalf("apply a gesture: %v", err)
	}
	unlinked := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD"})
	if got := e.creditIDs(ledger.CreditFilter{Incident: inc.ID}); !slices.Equal(got, []int64{gesture.ID, money.ID}) {
		t.Fatalf("incident filter: %v", got)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusGiven}); !slices.Equal(got, []int64{gesture.ID}) {
		t.Fatalf("given filter: %v", got)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusApplied}); len(got) != 0 {
		t.Fatalf("a gesture is not an applied credit: %v", got)
	}
	if got := e.creditIDs(ledger.CreditFilter{Status: ledger.StatusOpen}); !slices.Equal(got, []int64{unlinked.ID, money.ID}) {
		t.Fatalf("open filter: %v", got)
	}

	// The same key for another gesture or another incident is a conflict.
	_, _, err = e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "b", Gesture: "a call", IncidentID: inc.ID,
		Reason: "goodwill", IssuedAt: t0, IdempotencyKey: "g1"})
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "gesture") {
		t.Fatalf("key reused for another gesture: %v", err)
	}
	voided, err := e.st.VoidCredit(e.ctx, gesture.ID, "never sent", t0)
	if err != nil || voided.Status(t0) != ledger.StatusVoid {
		t.Fatalf("void a gesture: %+v %v", voided, err)
	}

	before := e.dump()
	if _, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "a", AmountMinor: 1, Currency: "USD",
		Reason: "bug", IssuedAt: t0, IncidentID: 99}); !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "incident") {
		t.Fatalf("unknown incident: %v", err)
	}
	// A gesture that carries money is refused.
	var fe *ledger.FieldError
	if _, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD",
		Reason: "bug", IssuedAt: t0, Gesture: "a card"}); !errors.As(err, &fe) || fe.Field != "gesture" {
		t.Fatalf("gesture with money: %v", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("refused issues wrote:\n%s\nwas:\n%s", after, before)
	}

	h, err := e.st.History(e.ctx, "b")
	if err != nil || len(h) != 2 || h[1].Gesture != "a handwritten card" || h[1].IncidentID != inc.ID || h[1].AmountMinor != 0 {
		t.Fatalf("history of a gesture: %+v %v", h, err)
	}
}

// testCompensationOnce: a customer has one live compensation per
// incident, whatever the amount asked for by the later tries.
func testCompensationOnce(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	inc := e.openIncident(ledger.NewIncident{Customers: []string{"a"}})
	nc := ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0,
		IncidentID: inc.ID, Compensation: true}
	first, created, err := e.st.IssueCredit(e.ctx, nc)
	if err != nil || !created || first.IdempotencyKey != ledger.CompensationKey(inc.ID, "a", 0) {
		t.Fatalf("first: %+v %v %v", first, created, err)
	}
	other := nc
	other.AmountMinor, other.Currency, other.Gesture = 0, "", "a card"
	for _, try := range []ledger.NewCredit{nc, other} {
		got, created, err := e.st.IssueCredit(e.ctx, try)
		if err != nil || created || got.ID != first.ID {
			t.Fatalf("again: %+v %v %v", got, created, err)
		}
	}
	// Voided, it may be given again, once, under a key of its own.
	if _, err := e.st.VoidCredit(e.ctx, first.ID, "give a card instead", t0); err != nil {
		t.Fatal(err)
	}
	card, created, err := e.st.IssueCredit(e.ctx, other)
	if err != nil || !created || card.IdempotencyKey != ledger.CompensationKey(inc.ID, "a", first.ID) {
		t.Fatalf("after the void: %+v %v %v", card, created, err)
	}
	if got, created, err := e.st.IssueCredit(e.ctx, nc); err != nil || created || got.ID != card.ID {
		t.Fatalf("after the card: %+v %v %v", got, created, err)
	}
	if n := e.counts(); n.Credits != 2 {
		t.Fatalf("%d credits, want 2", n.Credits)
	}
	// The caller does not choose the key.
	keyed := nc
	keyed.IdempotencyKey = "mine"
	if _, _, err := e.st.IssueCredit(e.ctx, keyed); err == nil {
		t.Fatal("a compensation with the caller's key was accepted")
	}
}

// testBudgetCheckedAsItWrites: a budget is checked against what has been
// given when the credit is written, never below what is owed.
func testBudgetCheckedAsItWrites(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	from, until := ledger.BudgetMonth(t0)
	b := &ledger.Budget{Name: "the monthly goodwill budget", Currency: "USD", LimitMinor: 10000, From: from, Until: until}
	give := func(amount, owed int64) (ledger.Credit, error) {
		bb := *b
		bb.OwedMinor = owed
		c, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "a", AmountMinor: amount, Currency: "USD", Reason: "goodwill",
			IssuedAt: t0, Budget: &bb})
		return c, err
	}
	first, err := give(6000, 0)
	e.must(err)
	_, err = give(6000, 0)
	var be *ledger.BudgetError
	if !errors.As(err, &be) || be.AllowedMinor != 4000 || !errors.Is(err, ledger.ErrConflict) || !errors.Is(err, ledger.ErrBudget) {
		t.Fatalf("past the budget: %v", err)
	}
	if _, err := give(4000, 0); err != nil {
		t.Fatal(err)
	}
	// Spent: only what is owed may still be given.
	if _, err := give(200, 0); !errors.Is(err, ledger.ErrBudget) {
		t.Fatalf("spent: %v", err)
	}
	if _, err := give(200, 200); err != nil {
		t.Fatalf("owed: %v", err)
	}
	// A void gives its budget back: $60.00 of the $102.00 given.
	if _, err := e.st.VoidCredit(e.ctx, first.ID, "test", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := give(5800, 0); err != nil {
		t.Fatalf("after a void: %v", err)
	}
	if _, err := give(1, 0); !errors.Is(err, ledger.ErrBudget) {
		t.Fatalf("spent again: %v", err)
	}
}

// testCurrencyTotalBound: what a currency's credits add up to stays within
// ledger.MaxCurrencyTotalMinor, so every sum the ledger takes reads back.
// The bound is reached through the bulk path, 100,000 of the largest
// credits there are (CLF 1,000,000,000.0000 each).
func testCurrencyTotalBound(e *env) {
	t := e.t
	e.addCustomer("a", "CLF")
	e.addCustomer("b", "USD")
	const most = 10_000_000_000_000
	const fits = ledger.MaxCurrencyTotalMinor / most // 100,000
	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	row := ledger.NewCredit{Customer: "a", AmountMinor: most, Currency: "CLF", Reason: "outage", IssuedAt: t0}
	for i := range fits - 1 {
		e.must(imp.Add(e.ctx, 2+int(i), row))
	}
	res, err := imp.Finish(e.ctx, true, func(line int, err error) { t.Fatalf("line %d: %v", line, err) })
	if err != nil || res.Issued != int(fits-1) {
		t.Fatalf("finish: %+v %v", res, err)
	}
	_, err = imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "big", Rows: int(fits - 1), Written: int(fits - 1)})
	e.must(err)

	// In an import, the row that would pass the bound is the line error,
	// counted against the ledger and the rows before it.
	imp, err = e.st.BeginCreditImport(e.ctx)
	e.must(err)
	e.must(imp.Add(e.ctx, 2, ledger.NewCredit{Customer: "b", AmountMinor: 100, Currency: "USD", Reason: "outage", IssuedAt: t0}))
	e.must(imp.Add(e.ctx, 3, row)) // reaches the bound exactly
	var fe *ledger.FieldError
	err = imp.Add(e.ctx, 4, ledger.NewCredit{Customer: "b", AmountMinor: 1, Currency: "CLF", Reason: "outage", IssuedAt: t0})
	if !errors.As(err, &fe) || fe.Line != 4 || fe.Field != "amount" || !strings.Contains(err.Error(), "past the ledger's bound") {
		t.Fatalf("line 4: %v", err)
	}
	e.must(imp.Rollback())

	before := e.counts()
	// The credit that reaches the bound exactly is issued; one minor unit
	// more, for any customer, is not.
	last, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "a", AmountMinor: most, Currency: "CLF", Reason: "outage",
		IssuedAt: t0, Note: "the last that fits"})
	if err != nil {
		t.Fatalf("the credit that reaches the bound exactly: %v", err)
	}
	_, _, err = e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "b", AmountMinor: 1, Currency: "CLF", Reason: "outage", IssuedAt: t0})
	if !errors.As(err, &fe) || fe.Field != "amount" || !strings.Contains(err.Error(), "past the ledger's bound") {
		t.Fatalf("one minor unit past the bound, for another customer: %v", err)
	}
	if got := e.counts(); got.Credits != before.Credits+1 {
		t.Fatalf("%d credits, want %d", got.Credits, before.Credits+1)
	}
	// Other currencies have their own bound.
	e.issue(ledger.NewCredit{Customer: "b", AmountMinor: 100, Currency: "USD"})

	// Every sum reads back.
	bals, err := e.st.Balances(e.ctx, "", t0)
	e.must(err)
	if len(bals) != 2 || bals[0].BalanceMinor != ledger.MaxCurrencyTotalMinor {
		t.Fatalf("balances %+v", bals)
	}
	from, until := ledger.BudgetMonth(t0)
	tot, err := e.st.GoodwillTotals(e.ctx, ledger.GoodwillQuery{Customer: "a", Currency: "CLF", Since: from, Until: until,
		MonthStart: from, MonthEnd: until})
	if err != nil || tot.GivenThisMonthMinor != ledger.MaxCurrencyTotalMinor || tot.CreditedMinor != ledger.MaxCurrencyTotalMinor {
		t.Fatalf("given this month: %+v, %v", tot, err)
	}

	// A void frees no room: the bound is on what was ever issued.
	if _, err := e.st.VoidCredit(e.ctx, last.ID, "test", t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "a", AmountMinor: 1, Currency: "CLF", Reason: "outage", IssuedAt: t0}); !errors.As(err, &fe) {
		t.Fatalf("after a void: %v", err)
	}

}

// testBalancesAreTheEntries: however an engine answers Balances (SQLite
// keeps them per customer, currency and expiry: ledger, balances.go),
// they are the sums over the entries of the credits that count then
// (ledger.InBalance), for every customer and for one, before, at and
// after each expiry, through every way of writing entries: credits issued
// one by one and imported (many sharing one expiry), uses, voids after
// uses, gestures, and rows an import skips as already recorded.
func testBalancesAreTheEntries(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "EUR")
	exp1, exp2 := t0.Add(24*time.Hour), t0.Add(72*time.Hour)
	e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD"})
	shared := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD", ExpiresAt: &exp1})
	e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 700, Currency: "USD", ExpiresAt: &exp1})
	voided := e.issue(ledger.NewCredit{Customer: "a", AmountMinor: 300, Currency: "USD", ExpiresAt: &exp2})
	e.issue(ledger.NewCredit{Customer: "b", AmountMinor: 200, Currency: "EUR", ExpiresAt: &exp1})
	e.issue(ledger.NewCredit{Customer: "b", Gesture: "a handwritten card"})
	for _, a := range []ledger.Apply{
		{Credit: shared.ID, AmountMinor: 120, Invoice: "in_1", At: t0.Add(time.Hour)},
		{Credit: voided.ID, AmountMinor: 50, Invoice: "in_2", At: t0.Add(time.Hour)},
	} {
		if _, _, err := e.st.ApplyCredit(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.VoidCredit(e.ctx, voided.ID, "issued twice", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// An import: rows sharing one expiry, rows without, and one already
	// recorded (skipped).
	exp3 := t0.Add(48 * time.Hour)
	res, problems := e.importRows([]int{2, 3, 4, 5, 6}, func(i int) ledger.NewCredit {
		nc := ledger.NewCredit{Customer: []string{"a", "b"}[i%2], AmountMinor: int64(10 * (i + 1)), Currency: []string{"USD", "EUR"}[i%2],
			Reason: "outage", IssuedAt: t0, IdempotencyKey: fmt.Sprintf("bal-%d", i)}
		if i < 3 {
			nc.ExpiresAt = &exp3
		}
		return nc
	}, true)
	if len(problems) > 0 || res.Issued != 5 {
		t.Fatalf("import: %+v, %v", res, problems)
	}
	res, problems = e.importRows([]int{2, 3}, func(i int) ledger.NewCredit {
		nc := ledger.NewCredit{Customer: "a", AmountMinor: 10, Currency: "USD", Reason: "outage", IssuedAt: t0,
			IdempotencyKey: "bal-0", ExpiresAt: &exp3} // as recorded: skipped
		if i == 1 {
			nc.IdempotencyKey, nc.AmountMinor, nc.ExpiresAt = "bal-new", 5, nil
		}
		return nc
	}, true)
	if len(problems) > 0 || res.Issued != 1 || res.AlreadyRecorded != 1 {
		t.Fatalf("import again: %+v, %v", res, problems)
	}

	entries, credits := e.entries()
	for _, now := range []time.Time{t0, exp1.Add(-time.Microsecond), exp1, exp3, exp2.Add(-time.Microsecond), exp2, exp2.Add(time.Hour)} {
		sums := map[[2]string]int64{}
		for _, en := range entries {
			if ledger.InBalance(credits[en.CreditID].ExpiresAt, now) {
				sums[[2]string{en.Customer, en.Currency}] += en.AmountMinor
			}
		}
		for _, customer := range []string{"", "a", "b"} {
			var want []ledger.Balance
			for k, v := range sums {
				if v != 0 && (customer == "" || k[0] == customer) {
					want = append(want, ledger.Balance{Customer: k[0], Currency: k[1], BalanceMinor: v})
				}
			}
			slices.SortFunc(want, func(x, y ledger.Balance) int {
				return strings.Compare(x.Customer+"\x00"+x.Currency, y.Customer+"\x00"+y.Currency)
			})
			got, err := e.st.Balances(e.ctx, customer, now)
			e.must(err)
			if !slices.Equal(got, want) {
				t.Errorf("balances of %q at %s: %+v, want the entries' %+v", customer, now.Format(time.RFC3339Nano), got, want)
			}
		}
	}
}
