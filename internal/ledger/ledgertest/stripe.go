package ledgertest

import (
	"errors"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
)

func stripeTests() []contractTest {
	return []contractTest{
		{"LedgerIDIsWrittenOnce", testLedgerIDIsWrittenOnce},
		{"PushesAreClaimedOnce", testPushesAreClaimedOnce},
		{"RecordPullRefusesOverdrawAndRepeats", testRecordPullRefusesOverdrawAndRepeats},
		{"StripeIDIsKeptAndUnique", testStripeIDIsKeptAndUnique},
	}
}

func testLedgerIDIsWrittenOnce(e *env) {
	t := e.t
	s := e.stripe()
	id, err := s.LedgerID(e.ctx)
	if err != nil || len(id) != 36 || strings.Count(id, "-") != 4 || id[14] != '4' {
		t.Fatalf("LedgerID = %q, %v; want a random (version 4) UUID", id, err)
	}
	if again, _ := s.LedgerID(e.ctx); again != id {
		t.Errorf("the id changed: %q, then %q", id, again)
	}
	other, ok := e.open(t).(stripe.Ledger)
	if !ok {
		t.Fatal("the second ledger is not a stripe.Ledger")
	}
	if oid, _ := other.LedgerID(e.ctx); oid == id {
		t.Errorf("two ledgers share the id %q", id)
	}
}

func testPushesAreClaimedOnce(e *env) {
	t := e.t
	s := e.stripe()
	e.addCustomer("cus_A", "USD")
	c := e.issue(ledger.NewCredit{Customer: "cus_A", AmountMinor: 2500, Currency: "USD"})
	other := e.issue(ledger.NewCredit{Customer: "cus_A", AmountMinor: 700, Currency: "USD"})
	e.issue(ledger.NewCredit{Customer: "cus_A", Gesture: "a card"})
	if pushed, err := e.st.CreditPushed(e.ctx, c.ID); err != nil || pushed {
		t.Fatalf("CreditPushed before a push = %v, %v", pushed, err)
	}
	p := stripe.Push{CreditID: c.ID, Kind: stripe.KindCredit, Customer: "cus_A", StripeCustomer: "cus_A", AmountMinor: 2500,
		AmountStripe: -2500, Currency: "USD", Description: "d", IdempotencyKey: "k1", IntendedAt: t0}
	if n, err := s.ClaimPushes(e.ctx, []stripe.Push{p}); err != nil || n != 1 {
		t.Fatalf("ClaimPushes = %d, %v", n, err)
	}
	if n, err := s.ClaimPushes(e.ctx, []stripe.Push{p}); err != nil || n != 0 {
		t.Errorf("claiming again = %d, %v; want nothing recorded", n, err)
	}
	if pushed, err := e.st.CreditPushed(e.ctx, c.ID); err != nil || !pushed {
		t.Errorf("CreditPushed = %v, %v", pushed, err)
	}
	if err := ledger.RefuseHandApply(e.ctx, e.st, c.ID); err == nil {
		t.Error("a pushed credit may be applied by hand")
	}
	if err := ledger.RefuseHandApply(e.ctx, e.st, other.ID); err != nil {
		t.Errorf("a credit not pushed: %v", err)
	}
	pending, err := s.PendingPushes(e.ctx, "")
	if err != nil || len(pending) != 1 || pending[0].IdempotencyKey != "k1" || pending[0].AmountStripe != -2500 ||
		pending[0].CreditID != c.ID || pending[0].Kind != stripe.KindCredit || !pending[0].IntendedAt.Equal(t0) || pending[0].TransactionID != "" {
		t.Fatalf("PendingPushes = %+v, %v", pending, err)
	}
	if pending, err := s.PendingPushes(e.ctx, "cus_B"); err != nil || len(pending) != 0 {
		t.Fatalf("PendingPushes of another customer = %+v, %v", pending, err)
	}
	cands, err := s.Candidates(e.ctx, []string{"cus_A"})
	if err != nil || len(cands) != 2 || cands[0].Credit.ID != c.ID || !cands[0].Pushed() || cands[1].Pushed() ||
		cands[0].HeldMinor != 2500 || cands[1].HeldMinor != 700 {
		t.Fatalf("Candidates = %+v, %v", cands, err)
	}
	e.must(s.ConfirmPush(e.ctx, pending[0].ID, "cbtxn_1", stripe.HowSent, t0))
	if err := s.ConfirmPush(e.ctx, pending[0].ID, "cbtxn_1", stripe.HowReplayed, t0); err != nil {
		t.Errorf("recording the same answer twice: %v", err)
	}
	if err := s.ConfirmPush(e.ctx, pending[0].ID, "cbtxn_2", stripe.HowSent, t0); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("a push got a second answer: %v", err)
	}
	if pending, _ := s.PendingPushes(e.ctx, ""); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
	cands, err = s.Candidates(e.ctx, []string{"cus_A"})
	if err != nil || len(cands[0].Pushes) != 1 || cands[0].Pushes[0].TransactionID != "cbtxn_1" || cands[0].Pushes[0].How != stripe.HowSent {
		t.Fatalf("Candidates after the answer = %+v, %v", cands, err)
	}
	// Another push claiming the answered transaction is refused.
	p2 := p
	p2.CreditID, p2.IdempotencyKey, p2.AmountMinor, p2.AmountStripe = other.ID, "k2", 700, -700
	if n, err := s.ClaimPushes(e.ctx, []stripe.Push{p2}); err != nil || n != 1 {
		t.Fatalf("ClaimPushes of another credit = %d, %v", n, err)
	}
	pending, err = s.PendingPushes(e.ctx, "cus_A")
	e.must(err)
	if err := s.ConfirmPush(e.ctx, pending[0].ID, "cbtxn_1", stripe.HowSent, t0); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("one transaction answering two pushes: %v", err)
	}
	if known, err := s.Known(e.ctx, []string{"cbtxn_1", "cbtxn_2"}); err != nil || !known["cbtxn_1"] || known["cbtxn_2"] {
		t.Errorf("Known = %v, %v", known, err)
	}
	pushables, err := s.Pushables(e.ctx, "cus_A")
	if err != nil || len(pushables) != 2 || pushables[0].CreditID != c.ID || pushables[0].RemainingMinor != 2500 || pushables[0].Voided {
		t.Errorf("Pushables = %+v, %v", pushables, err)
	}
}

func testRecordPullRefusesOverdrawAndRepeats(e *env) {
	t := e.t
	s := e.stripe()
	e.addCustomer("cus_A", "USD")
	e.addCustomer("cus_B", "USD")
	c := e.issue(ledger.NewCredit{Customer: "cus_A", AmountMinor: 2500, Currency: "USD"})
	txn := stripe.PulledTxn{ID: "cbtxn_9", Type: "applied_to_invoice", Disposition: stripe.PulledApplied, AmountStripe: 3000,
		AmountMinor: 3000, Currency: "USD", Invoice: "in_1", Created: t0, Entries: []stripe.Allocation{{CreditID: c.ID, AmountMinor: -3000}}}
	rec := stripe.PullRecord{Customer: "cus_A", StripeCustomer: "cus_A", Txns: []stripe.PulledTxn{txn}, CursorUnix: t0.Unix(), At: t0}
	before := e.dump()
	if err := s.RecordPull(e.ctx, rec); err == nil {
		t.Fatal("a pull used more than remains")
	}
	// Nor may a pull use another customer's credit.
	theirs := rec
	theirs.Customer, theirs.StripeCustomer = "cus_B", "cus_B"
	theirs.Txns = []stripe.PulledTxn{txn}
	theirs.Txns[0].Entries = []stripe.Allocation{{CreditID: c.ID, AmountMinor: -100}}
	if err := s.RecordPull(e.ctx, theirs); err == nil {
		t.Fatal("a pull used another customer's credit")
	}
	if after := e.dump(); after != before {
		t.Fatalf("a refused pull wrote:\n%s", after)
	}
	if known, _ := s.Known(e.ctx, []string{"cbtxn_9"}); known["cbtxn_9"] {
		t.Fatal("a refused pull's transaction is known")
	}
	if _, ok, err := s.PullCursor(e.ctx, "cus_A"); err != nil || ok {
		t.Fatalf("a refused pull moved the cursor: %v %v", ok, err)
	}
	rec.Txns[0].Entries[0].AmountMinor = -2500
	rec.Txns[0].UnallocatedMinor = 500
	e.must(s.RecordPull(e.ctx, rec))
	if err := s.RecordPull(e.ctx, rec); err == nil {
		t.Error("the same transaction was recorded twice")
	}
	uses, err := s.InvoiceUses(e.ctx, "cus_A", "in_1")
	if err != nil || len(uses) != 1 || uses[0].UsedMinor != 2500 || uses[0].CreditID != c.ID || uses[0].Voided {
		t.Errorf("InvoiceUses = %+v, %v", uses, err)
	}
	if cur, ok, err := s.PullCursor(e.ctx, "cus_A"); err != nil || !ok || cur != t0.Unix() {
		t.Errorf("PullCursor = %d, %v, %v", cur, ok, err)
	}
	tot, err := s.PulledTotals(e.ctx, "cus_A")
	if err != nil || tot["USD"].UnallocatedMinor != 500 {
		t.Errorf("PulledTotals = %+v, %v", tot, err)
	}
	known, err := s.Known(e.ctx, []string{"cbtxn_9", "cbtxn_other"})
	if err != nil || !known["cbtxn_9"] || known["cbtxn_other"] {
		t.Errorf("Known = %v, %v", known, err)
	}
	// The use is an apply entry of the credit: nothing remains.
	if got, err := e.st.Credit(e.ctx, c.ID); err != nil || got.RemainingMinor != 0 {
		t.Errorf("credit after the pull: %+v %v", got, err)
	}
	h, err := e.st.History(e.ctx, "cus_A")
	if err != nil || len(h) != 2 || h[0].Kind != ledger.EntryApply || h[0].Invoice != "in_1" || h[0].AmountMinor != -2500 || !h[0].At.Equal(t0) {
		t.Errorf("history after the pull: %+v %v", h, err)
	}
	// An older cursor does not move it back; a foreign adjustment counts.
	later := stripe.PullRecord{Customer: "cus_A", StripeCustomer: "cus_A", CursorUnix: t0.Unix() - 60, At: t0.Add(time.Hour),
		Txns: []stripe.PulledTxn{{ID: "cbtxn_10", Type: "adjustment", Disposition: stripe.PulledForeign, AmountStripe: -800,
			AmountMinor: -800, Currency: "USD", Created: t0.Add(-time.Minute)}}}
	e.must(s.RecordPull(e.ctx, later))
	if cur, _, _ := s.PullCursor(e.ctx, "cus_A"); cur != t0.Unix() {
		t.Errorf("PullCursor went back to %d", cur)
	}
	if tot, err := s.PulledTotals(e.ctx, "cus_A"); err != nil || tot["USD"].ForeignMinor != 800 || tot["USD"].UnallocatedMinor != 500 {
		t.Errorf("PulledTotals = %+v, %v", tot, err)
	}
}

func testStripeIDIsKeptAndUnique(e *env) {
	t := e.t
	s := e.stripe()
	a := ledger.Customer{ID: "alice@example.com", StripeID: "cus_A", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	e.must(s.SaveStripeCustomers(e.ctx, []stripe.CustomerChange{{Customer: a, Create: true}}))
	got, err := e.st.Customer(e.ctx, "alice@example.com")
	if err != nil || got.StripeID != "cus_A" || got.StripeCustomerID() != "cus_A" {
		t.Fatalf("customer = %+v, %v", got, err)
	}
	// customer edit keeps it.
	got.Name = "Alice"
	e.must(e.st.UpdateCustomer(e.ctx, got))
	if got, _ := e.st.Customer(e.ctx, "alice@example.com"); got.StripeID != "cus_A" || got.Name != "Alice" {
		t.Errorf("an edit lost the Stripe id: %+v", got)
	}
	// A Stripe import updates a customer it knows.
	got.Email = "alice@new.example"
	e.must(s.SaveStripeCustomers(e.ctx, []stripe.CustomerChange{{Customer: got}}))
	if got, _ := e.st.Customer(e.ctx, "alice@example.com"); got.Email != "alice@new.example" || got.StripeID != "cus_A" {
		t.Errorf("after a Stripe update: %+v", got)
	}
	before := e.dump()
	b := ledger.Customer{ID: "bob", StripeID: "cus_B", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	c := ledger.Customer{ID: "carol", StripeID: "cus_A", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveStripeCustomers(e.ctx, []stripe.CustomerChange{{Customer: b, Create: true}, {Customer: c, Create: true}}); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("two customers share a Stripe id: %v", err)
	}
	if after := e.dump(); after != before {
		t.Errorf("a refused import wrote:\n%s", after)
	}
	if cs, _ := s.Customers(e.ctx); len(cs) != 1 {
		t.Errorf("a refused import left %d customers", len(cs))
	}
}
