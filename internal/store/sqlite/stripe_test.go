package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
)

func TestLedgerIDIsWrittenOnce(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	id, err := s.LedgerID(ctx)
	if err != nil || len(id) != 36 || strings.Count(id, "-") != 4 || id[14] != '4' {
		t.Fatalf("LedgerID = %q, %v; want a random (version 4) UUID", id, err)
	}
	again, _ := s.LedgerID(ctx)
	if again != id {
		t.Errorf("the id changed: %q, then %q", id, again)
	}
	other := openTest(t)
	if oid, _ := other.LedgerID(ctx); oid == id {
		t.Errorf("two ledgers share the id %q", id)
	}
	for _, q := range []string{`UPDATE ledger_identity SET uuid = 'x'`, `DELETE FROM ledger_identity`,
		`INSERT OR REPLACE INTO ledger_identity (id, uuid) VALUES (1, 'x')`} {
		if _, err := s.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "written once") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestPushesAreClaimedOnceAndAppendOnly(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	addCustomer(t, s, "cus_A", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "cus_A", AmountMinor: 2500, Currency: "USD"})
	p := stripe.Push{CreditID: c.ID, Kind: stripe.KindCredit, Customer: "cus_A", StripeCustomer: "cus_A", AmountMinor: 2500,
		AmountStripe: -2500, Currency: "USD", Description: "d", IdempotencyKey: "k1", IntendedAt: t0}
	if n, err := s.ClaimPushes(ctx, []stripe.Push{p}); err != nil || n != 1 {
		t.Fatalf("ClaimPushes = %d, %v", n, err)
	}
	if n, err := s.ClaimPushes(ctx, []stripe.Push{p}); err != nil || n != 0 {
		t.Errorf("claiming again = %d, %v; want nothing recorded", n, err)
	}
	if pushed, err := s.CreditPushed(ctx, c.ID); err != nil || !pushed {
		t.Errorf("CreditPushed = %v, %v", pushed, err)
	}
	if err := ledger.RefuseHandApply(ctx, s, c.ID); err == nil {
		t.Error("a pushed credit may be applied by hand")
	}
	pending, err := s.PendingPushes(ctx, "")
	if err != nil || len(pending) != 1 || pending[0].IdempotencyKey != "k1" || pending[0].AmountStripe != -2500 {
		t.Fatalf("PendingPushes = %+v, %v", pending, err)
	}
	if err := s.ConfirmPush(ctx, pending[0].ID, "cbtxn_1", stripe.HowSent, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmPush(ctx, pending[0].ID, "cbtxn_1", stripe.HowReplayed, t0); err != nil {
		t.Errorf("recording the same answer twice: %v", err)
	}
	if err := s.ConfirmPush(ctx, pending[0].ID, "cbtxn_2", stripe.HowSent, t0); err == nil {
		t.Error("a push got a second answer")
	}
	if pending, _ := s.PendingPushes(ctx, ""); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
	for _, q := range []string{
		`UPDATE stripe_pushes SET amount_stripe = 0`, `DELETE FROM stripe_pushes`,
		`INSERT OR REPLACE INTO stripe_pushes (credit_id, kind, customer_id, stripe_customer, amount_minor, amount_stripe,
			currency, description, idempotency_key, intended_at) VALUES (1, 'credit', 'cus_A', 'cus_A', 1, -1, 'USD', '', 'k1', '')`,
		`UPDATE stripe_push_results SET transaction_id = 'x'`, `DELETE FROM stripe_push_results`,
		`INSERT OR REPLACE INTO stripe_push_results (push_id, transaction_id, how, at) VALUES (1, 'cbtxn_1', 'sent', '')`,
	} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("allowed: %s", q)
		}
	}
	if n := count(t, s, "stripe_pushes"); n != 1 {
		t.Errorf("%d pushes", n)
	}
}

func TestRecordPullRefusesOverdrawAndRepeats(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	addCustomer(t, s, "cus_A", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "cus_A", AmountMinor: 2500, Currency: "USD"})
	txn := stripe.PulledTxn{ID: "cbtxn_9", Type: "applied_to_invoice", Disposition: stripe.PulledApplied, AmountStripe: 3000,
		AmountMinor: 3000, Currency: "USD", Invoice: "in_1", Created: t0, Entries: []stripe.Allocation{{CreditID: c.ID, AmountMinor: -3000}}}
	rec := stripe.PullRecord{Customer: "cus_A", StripeCustomer: "cus_A", Txns: []stripe.PulledTxn{txn}, CursorUnix: t0.Unix(), At: t0}
	if err := s.RecordPull(ctx, rec); err == nil {
		t.Fatal("a pull used more than remains")
	}
	if n := count(t, s, "stripe_pulled"); n != 0 {
		t.Fatalf("a refused pull left %d rows", n)
	}
	rec.Txns[0].Entries[0].AmountMinor = -2500
	rec.Txns[0].UnallocatedMinor = 500
	if err := s.RecordPull(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPull(ctx, rec); err == nil {
		t.Error("the same transaction was recorded twice")
	}
	uses, err := s.InvoiceUses(ctx, "cus_A", "in_1")
	if err != nil || len(uses) != 1 || uses[0].UsedMinor != 2500 {
		t.Errorf("InvoiceUses = %+v, %v", uses, err)
	}
	if cur, ok, err := s.PullCursor(ctx, "cus_A"); err != nil || !ok || cur != t0.Unix() {
		t.Errorf("PullCursor = %d, %v, %v", cur, ok, err)
	}
	tot, err := s.PulledTotals(ctx, "cus_A")
	if err != nil || tot["USD"].UnallocatedMinor != 500 {
		t.Errorf("PulledTotals = %+v, %v", tot, err)
	}
	for _, q := range []string{
		`INSERT OR REPLACE INTO stripe_pull_cursors (id, stripe_customer, created_unix, at) VALUES (1, 'cus_A', 1, '')`,
		`INSERT OR REPLACE INTO stripe_pulled (transaction_id, customer_id, stripe_customer, type, disposition, amount_stripe,
			amount_minor, currency, created_at, pulled_at) VALUES ('cbtxn_9', 'cus_A', 'cus_A', 'x', 'foreign', 0, 0, 'USD', '', '')`,
		`UPDATE stripe_pulled SET amount_minor = 0`, `DELETE FROM stripe_pull_entries`, `UPDATE stripe_pull_cursors SET created_unix = 0`,
	} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("allowed: %s", q)
		}
	}
	known, err := s.Known(ctx, []string{"cbtxn_9", "cbtxn_other"})
	if err != nil || !known["cbtxn_9"] || known["cbtxn_other"] {
		t.Errorf("Known = %v, %v", known, err)
	}
}

func TestStripeIDIsKeptAndUnique(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := ledger.Customer{ID: "alice@example.com", StripeID: "cus_A", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveStripeCustomers(ctx, []stripe.CustomerChange{{Customer: a, Create: true}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Customer(ctx, "alice@example.com")
	if err != nil || got.StripeID != "cus_A" || got.StripeCustomerID() != "cus_A" {
		t.Fatalf("customer = %+v, %v", got, err)
	}
	// customer edit keeps it.
	got.Name = "Alice"
	if err := s.UpdateCustomer(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Customer(ctx, "alice@example.com"); got.StripeID != "cus_A" {
		t.Errorf("an edit lost the Stripe id: %+v", got)
	}
	b := ledger.Customer{ID: "bob", StripeID: "cus_A", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveStripeCustomers(ctx, []stripe.CustomerChange{{Customer: b, Create: true}}); err == nil {
		t.Error("two customers share a Stripe id")
	}
	if cs, _ := s.Customers(ctx); len(cs) != 1 {
		t.Errorf("a refused import left %d customers", len(cs))
	}
}
