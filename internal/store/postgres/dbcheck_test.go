package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/report/reporttest"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

// TestCheckComparesKeptBalances: on a sound ledger the kept balances are
// the entries' sums; a kept balance changed, one taken away and one made
// up by hand (as the superuser the tests connect as, whom no privilege
// stops) are each a finding, naming the customer, the currency, the
// expiry and both sums, in SQLite's words.
func TestCheckComparesKeptBalances(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := open(t, dsn)
	reporttest.Fill(t, st)
	if res, err := st.Check(ctx); err != nil || !res.Sound() {
		t.Fatalf("check of the filled ledger: %+v, %v", res, err)
	}
	var (
		customer, currency string
		amount             int64
		expiring           int
	)
	if err := st.Pool().QueryRow(ctx, `SELECT customer_id, currency, amount_minor FROM credit_balances
		WHERE expires_at = 'infinity' ORDER BY customer_id, currency LIMIT 1`).Scan(&customer, &currency, &amount); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM credit_balances WHERE expires_at <> 'infinity' AND amount_minor <> 0`).Scan(&expiring); err != nil || expiring == 0 {
		t.Fatalf("kept balances of expiring credits: %d, %v", expiring, err)
	}
	exec(t, dsn,
		`UPDATE credit_balances SET amount_minor = amount_minor + 1 WHERE customer_id = '`+customer+`' AND currency = '`+currency+`' AND expires_at = 'infinity'`,
		`DELETE FROM credit_balances WHERE (customer_id, currency, expires_at) = (SELECT customer_id, currency, expires_at FROM credit_balances
			WHERE expires_at <> 'infinity' AND amount_minor <> 0 ORDER BY 1, 2, 3 LIMIT 1)`,
		`INSERT INTO credit_balances VALUES ('nobody', 'USD', 'infinity', 5)`,
	)
	res, err := st.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range res.Findings {
		if f.Check == "kept_balance" {
			found = append(found, f.Detail)
		}
	}
	want := fmt.Sprintf("customer %s, currency '%s', no expiry: the kept balance is %d, the entries sum to %d", customer, currency, amount+1, amount)
	missing := func(s string) bool {
		return strings.Contains(s, ", expiring 20") && strings.Contains(s, "Z: the kept balance is missing, the entries sum to ")
	}
	if len(found) != 3 || !slices.Contains(found, want) || !slices.Contains(found, "customer nobody, currency 'USD', no expiry: the kept balance is 5, the entries sum to 0") ||
		!slices.ContainsFunc(found, missing) {
		t.Errorf("kept balance findings:\n%s\nwant 3, among them %q", strings.Join(found, "\n"), want)
	}
	if len(res.Findings) != len(found) {
		t.Errorf("findings besides the kept balances: %v", res.Findings)
	}
}
