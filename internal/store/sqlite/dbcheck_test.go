package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/store/sqlite"
)

// TestCheckFileOnASoundLedger: the fixture (every kind of entry, expiries,
// a void after an expiry, gestures, incidents, notes) is sound, and every
// trigger the ledger has is one the check expects, counted from the
// ledger itself rather than written down here.
func TestCheckFileOnASoundLedger(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	res, err := sqlite.CheckFile(ctx, st.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Sound() {
		t.Fatalf("findings on a sound ledger: %v", res.Findings)
	}
	var triggers int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Triggers != triggers || triggers == 0 || res.SchemaVersion != v || res.Latest != v || res.Credits == 0 {
		t.Errorf("checked %d triggers (ledger has %d), version %d/%d (ledger %d), %d credits",
			res.Triggers, triggers, res.SchemaVersion, res.Latest, v, res.Credits)
	}
}

// TestBackupIsTheLedger: a backup answers every query as the ledger does.
func TestBackupIsTheLedger(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	dest := filepath.Join(t.TempDir(), "sub", "backup.db")
	res, err := st.Backup(ctx, dest, false)
	if err != nil || !res.Sound() {
		t.Fatalf("backup: %v %v", err, res.Findings)
	}
	if _, err := st.Backup(ctx, dest, false); err == nil {
		t.Error("a second backup to the same file without replace succeeded")
	}
	b, err := sqlite.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want, _ := st.ReportFacts(ctx, fixtureQuery())
	got, err := b.ReportFacts(ctx, fixtureQuery())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Flows) != len(want.Flows) || len(got.Incidents) != len(want.Incidents) || len(got.Sent) != len(want.Sent) {
		t.Errorf("backup facts differ: %d/%d flows, %d/%d incidents", len(got.Flows), len(want.Flows), len(got.Incidents), len(want.Incidents))
	}
	for i := range want.Flows {
		if got.Flows[i] != want.Flows[i] {
			t.Errorf("flow %d: %+v, want %+v", i, got.Flows[i], want.Flows[i])
		}
	}
}

// TestCheckFileComparesKeptBalances: a kept balance changed, one taken
// away and one made up by hand are each a finding, naming the customer,
// the currency, the expiry and both sums.
func TestCheckFileComparesKeptBalances(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	var customer, currency, expires string
	var amount int64
	if err := st.DB().QueryRowContext(ctx, `SELECT customer_id, currency, expires_at, amount_minor FROM credit_balances
		WHERE expires_at = '' ORDER BY customer_id, currency LIMIT 1`).Scan(&customer, &currency, &expires, &amount); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE credit_balances SET amount_minor = amount_minor + 1 WHERE customer_id = '` + customer + `' AND currency = '` + currency + `' AND expires_at = ''`,
		`DELETE FROM credit_balances WHERE (customer_id, currency, expires_at) = (SELECT customer_id, currency, expires_at FROM credit_balances WHERE expires_at != '' AND amount_minor != 0 ORDER BY 1, 2, 3 LIMIT 1)`,
		`INSERT INTO credit_balances VALUES ('nobody', 'USD', '', 5)`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	res, err := sqlite.CheckFile(ctx, st.Path())
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
	if len(found) != 3 || !slices.Contains(found, want) || !slices.Contains(found, "customer nobody, currency 'USD', no expiry: the kept balance is 5, the entries sum to 0") ||
		!slices.ContainsFunc(found, func(s string) bool { return strings.Contains(s, "the kept balance is missing") }) {
		t.Errorf("kept balance findings:\n%s\nwant 3, among them %q", strings.Join(found, "\n"), want)
	}
}
