package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
)

// TestStripeTablesAreAppendOnly: the Stripe sync's records refuse edits,
// deletes and replacements typed in SQL; the contract suite tests the
// sync's records themselves.
func TestStripeTablesAreAppendOnly(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	addCustomer(t, s, "cus_A", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "cus_A", AmountMinor: 2500, Currency: "USD"})
	p := stripe.Push{CreditID: c.ID, Kind: stripe.KindCredit, Customer: "cus_A", StripeCustomer: "cus_A", AmountMinor: 2500,
		AmountStripe: -2500, Currency: "USD", Description: "d", IdempotencyKey: "k1", IntendedAt: t0}
	if _, err := s.ClaimPushes(ctx, []stripe.Push{p}); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingPushes(ctx, "")
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %+v %v", pending, err)
	}
	if err := s.ConfirmPush(ctx, pending[0].ID, "cbtxn_1", stripe.HowSent, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPull(ctx, stripe.PullRecord{Customer: "cus_A", StripeCustomer: "cus_A", CursorUnix: t0.Unix(), At: t0,
		Txns: []stripe.PulledTxn{{ID: "cbtxn_9", Type: "applied_to_invoice", Disposition: stripe.PulledApplied, AmountStripe: 500,
			AmountMinor: 500, Currency: "USD", Invoice: "in_1", Created: t0, Entries: []stripe.Allocation{{CreditID: c.ID, AmountMinor: -500}}}}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE ledger_identity SET uuid = 'x'`, `DELETE FROM ledger_identity`,
		`INSERT OR REPLACE INTO ledger_identity (id, uuid) VALUES (1, 'x')`} {
		if _, err := s.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "written once") {
			t.Errorf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		`UPDATE stripe_pushes SET amount_stripe = 0`, `DELETE FROM stripe_pushes`,
		`INSERT OR REPLACE INTO stripe_pushes (credit_id, kind, customer_id, stripe_customer, amount_minor, amount_stripe,
			currency, description, idempotency_key, intended_at) VALUES (1, 'credit', 'cus_A', 'cus_A', 1, -1, 'USD', '', 'k1', '')`,
		`UPDATE stripe_push_results SET transaction_id = 'x'`, `DELETE FROM stripe_push_results`,
		`INSERT OR REPLACE INTO stripe_push_results (push_id, transaction_id, how, at) VALUES (1, 'cbtxn_1', 'sent', '')`,
		`INSERT OR REPLACE INTO stripe_pull_cursors (id, stripe_customer, created_unix, at) VALUES (1, 'cus_A', 1, '')`,
		`INSERT OR REPLACE INTO stripe_pulled (transaction_id, customer_id, stripe_customer, type, disposition, amount_stripe,
			amount_minor, currency, created_at, pulled_at) VALUES ('cbtxn_9', 'cus_A', 'cus_A', 'x', 'foreign', 0, 0, 'USD', '', '')`,
		`UPDATE stripe_pulled SET amount_minor = 0`, `DELETE FROM stripe_pull_entries`, `UPDATE stripe_pull_cursors SET created_unix = 0`,
	} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("allowed: %s", q)
		}
	}
	if n := count(t, s, "stripe_pushes"); n != 1 {
		t.Errorf("%d pushes", n)
	}
	if n := count(t, s, "stripe_pulled"); n != 1 {
		t.Errorf("%d pulled", n)
	}
}
