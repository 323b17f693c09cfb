package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func openTest(t *testing.T) *Ledger {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var testNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fill imports n credits spread over customers, through the bulk path.
func fill(t *testing.T, st *Ledger, customers, n int) {
	t.Helper()
	ctx := context.Background()
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	for i := range customers {
		if err := imp.AddCustomer(ctx, ledger.Customer{ID: fmt.Sprintf("cus_%d", i), Currency: "USD", CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		nc := ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%customers), AmountMinor: int64(100 + i), Currency: "USD",
			Reason: "outage", IssuedAt: testNow, IdempotencyKey: fmt.Sprintf("k%d", i)}
		if err := imp.Add(ctx, i+2, nc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := imp.Finish(ctx, true, func(line int, err error) { t.Fatalf("line %d: %v", line, err) }); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: testNow, SHA256: fmt.Sprint("fill", n), Rows: n, Written: n}); err != nil {
		t.Fatal(err)
	}
}

// TestQueryPlans shows that `credit list --customer X --limit 50` and
// `credit balance --customer X` search indexes instead of reading every
// credit: on a big ledger that is the difference between a millisecond
// and a second.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	fill(t, st, 50, 5000)
	if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		plan func() ([]string, error)
		want []string
	}{
		{"credit list --customer X --limit 50", func() ([]string, error) {
			return st.CreditsPlan(ctx, ledger.CreditFilter{Customer: "cus_7", Limit: 50, Now: testNow})
		}, []string{"SEARCH c USING INDEX credits_by_customer (customer_id=?)", "credit_entries_by_credit (credit_id=?)"}},
		{"credit list --customer X --status open", func() ([]string, error) {
			return st.CreditsPlan(ctx, ledger.CreditFilter{Customer: "cus_7", Status: ledger.StatusOpen, Limit: 50, Now: testNow})
		}, []string{"SEARCH c USING INDEX credits_by_customer (customer_id=?)"}},
		{"credit balance --customer X", func() ([]string, error) {
			return st.BalancesPlan(ctx, "cus_7", testNow)
		}, []string{"SEARCH credit_balances USING PRIMARY KEY (customer_id=?)"}},
		// Each credit issued bounds its currency's total by the span of
		// ids: two look-ups, not a read of every credit.
		{"the credits' ids, for the currency bound", func() ([]string, error) {
			return st.plan(ctx, creditSpanQuery, nil)
		}, []string{"SEARCH credits"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := tc.plan()
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(plan, "\n")
			t.Logf("plan:\n%s", all)
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN ") && line != "SCAN CONSTANT ROW" {
					t.Errorf("plan reads a whole table or index: %q", line)
				}
				if strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("plan sorts in a temporary tree: %q", line)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("plan lacks %q", w)
				}
			}
		})
	}
}
