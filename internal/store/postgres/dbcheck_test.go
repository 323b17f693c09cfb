package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
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

// TestImportGoesOnPastADeadlock: an import adds its sums to the kept
// balances in key order, but a transaction writing entries one statement
// at a time (a case's resolutions, in the order given) need not: here
// one holds b's kept balance while the import, holding a's, waits for it,
// then asks for a's. PostgreSQL gives the import's writing up (the
// import's session checks for deadlocks first); the import goes back to
// before its writing, lets the other commit, writes again and commits,
// and the kept balances are the entries' sums.
func TestImportGoesOnPastADeadlock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := open(t, dsn)
	credit := map[string]int64{}
	for _, c := range []string{"a", "b"} {
		if err := st.AddCustomer(ctx, ledger.Customer{ID: c, Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		cr, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: c, AmountMinor: 1000, Currency: "USD", Reason: "bug", IssuedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		credit[c] = cr.ID
	}
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	use := func(customer string) error {
		_, err := tx.Exec(ctx, `INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at)
			VALUES ($1, $2, 'USD', 'apply', -100, $3)`, credit[customer], customer, t0)
		return err
	}
	// The other session waits long before it looks for a deadlock, so
	// that the import's session is the one that finds it.
	if _, err := tx.Exec(ctx, `SET LOCAL deadlock_timeout = '30s'`); err != nil {
		t.Fatal(err)
	}
	if err := use("b"); err != nil {
		t.Fatal(err)
	}
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	for i, c := range []string{"a", "b"} {
		if err := imp.Add(ctx, 2+i, ledger.NewCredit{Customer: c, AmountMinor: 50, Currency: "USD", Reason: "outage", IssuedAt: t0,
			IdempotencyKey: "k-" + c}); err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		res ledger.ImportResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.res, r.err = imp.Finish(ctx, true, func(line int, err error) { t.Errorf("line %d: %v", line, err) })
		if r.err == nil {
			_, r.err = imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "deadlock"})
		}
		done <- r
	}()
	// The import waits for b's kept balance: the server says so.
	for waiting := 0; waiting == 0; {
		select {
		case r := <-done:
			t.Fatalf("the import finished while another held b's kept balance: %+v", r)
		default:
		}
		if err := st.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := use("a"); err != nil {
		t.Fatalf("the other session, once the import gave way: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.Issued != 2 {
		t.Fatalf("import: %+v, %v", r.res, r.err)
	}
	bals, err := st.Balances(ctx, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Balance{{Customer: "a", Currency: "USD", BalanceMinor: 950}, {Customer: "b", Currency: "USD", BalanceMinor: 950}}
	if !slices.Equal(bals, want) {
		t.Errorf("balances: %+v, want %+v", bals, want)
	}
	if res, err := st.Check(ctx); err != nil || !res.Sound() {
		t.Fatalf("check: %+v, %v", res, err)
	}
}
