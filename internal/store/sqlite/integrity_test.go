package sqlite

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// seedEveryTable writes at least one row to every ledger table.
func seedEveryTable(t *testing.T, s *Ledger) {
	t.Helper()
	ctx := context.Background()
	addCustomer(t, s, "a", "USD")
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 2300, Currency: "USD", IdempotencyKey: "k1"})
	fixed := t0
	res, err := s.RecordCase(ctx, ledger.Case{
		NewIncident: &ledger.NewIncident{Title: "Outage", What: "It was down.", StartedAt: t0.Add(-time.Hour),
			ReportedAt: t0.Add(-time.Hour), CreatedAt: t0, Customers: []string{"a"}, CaseKey: "case:x"},
		Resolutions: []ledger.Resolution{{Customer: "a", At: t0, FixedAt: &fixed,
			Apology: &ledger.NewApology{Body: "Sorry.", RecordedAt: t0, Status: ledger.ApologyQueued}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDelivery(ctx, ledger.Delivery{Apology: res.Resolutions[0].Apology.ID, Via: ledger.ViaOutbox,
		Status: ledger.DeliveryQueued, At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordThankYou(ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "welcome", Key: "welcome",
		Via: ledger.ViaPrint, Status: ledger.NoteSent, At: t0}); err != nil {
		t.Fatal(err)
	}
	imp, err := s.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	if err := imp.Add(ctx, 2, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD", Reason: "outage", IssuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Finish(ctx, true, func(line int, err error) { t.Fatalf("line %d: %v", line, err) }); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "x", Rows: 1, Written: 1}); err != nil {
		t.Fatal(err)
	}
}

// ledgerTables are the append-only tables, with a column an upsert could
// set.
var ledgerTables = map[string]string{
	"credits": "note", "credit_entries": "note", "thank_you_notes": "subject", "imports": "source",
	"incidents": "title", "incident_customers": "added_at", "incident_fixes": "fixed_at",
	"apologies": "body", "apology_deliveries": "error",
}

// TestInsertTriggersRefuseReplace: REPLACE deletes the row in its way
// without firing DELETE triggers, so the append-only triggers of 0001 to
// 0005 let it rewrite history. Every ledger table refuses an insert over a
// taken id or key, under every conflict clause, and the ledger stays as
// it was.
func TestInsertTriggersRefuseReplace(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedEveryTable(t, s)
	before := dump(t, s)
	for table, col := range ledgerTables {
		if count(t, s, table) == 0 {
			t.Fatalf("%s has no rows to replace", table)
		}
		for _, q := range []string{
			"REPLACE INTO %[1]s SELECT * FROM %[1]s",
			"INSERT OR REPLACE INTO %[1]s SELECT * FROM %[1]s",
			"INSERT INTO %[1]s SELECT * FROM %[1]s WHERE true ON CONFLICT DO UPDATE SET %[2]s = excluded.%[2]s",
			"INSERT OR IGNORE INTO %[1]s SELECT * FROM %[1]s",
		} {
			stmt := fmt.Sprintf(q, table, col)
			if _, err := s.DB().ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
			}
		}
	}
	// A new id over a taken unique key.
	for _, stmt := range []string{
		`REPLACE INTO credits (customer_id, amount_minor, currency, reason, issued_at, idempotency_key)
			VALUES ('a', 100000000, 'USD', 'other', '2026-11-24T10:00:00.000000Z', 'k1')`,
		`REPLACE INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at)
			VALUES (1, 'a', 'USD', 'issue', 100000000, '2026-11-24T10:00:00.000000Z')`,
		`REPLACE INTO incidents (title, what, started_at, reported_at, created_at, case_key)
			SELECT title, what, started_at, reported_at, created_at, case_key FROM incidents`,
		`REPLACE INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, at)
			SELECT customer_id, occasion, occasion_key, via, status, at FROM thank_you_notes`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
		}
	}
	if after := dump(t, s); after != before {
		t.Fatalf("the ledger changed:\n%s\nwas:\n%s", after, before)
	}
}

// dump is every ledger table's rows, as text.
func dump(t *testing.T, s *Ledger) string {
	t.Helper()
	var b strings.Builder
	tables := slices.Sorted(maps.Keys(ledgerTables))
	for _, table := range tables {
		rows, err := s.DB().Query("SELECT * FROM " + table + " ORDER BY rowid")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

// TestImportKeepsTheTriggers: the import sets the insert triggers aside
// inside its transaction only; committed or rolled back, they are back.
func TestImportKeepsTheTriggers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	triggers := func() int {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%insert_only'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := triggers()
	if want != len(ledgerTables) {
		t.Fatalf("%d insert triggers, want one per ledger table (%d)", want, len(ledgerTables))
	}
	fill(t, s, 3, 10)
	imp, err := s.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Add(ctx, 2, ledger.NewCredit{Customer: "cus_1", AmountMinor: 1, Currency: "USD", Reason: "outage", IssuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	imp.Rollback()
	if got := triggers(); got != want {
		t.Fatalf("%d insert triggers after a rolled-back import, want %d", got, want)
	}
	if got := count(t, s, "credits"); got != 10 {
		t.Fatalf("%d credits, want 10", got)
	}
	if _, err := s.DB().ExecContext(ctx, `REPLACE INTO credits SELECT * FROM credits`); err == nil {
		t.Fatal("REPLACE accepted after imports")
	}
}

// TestOpenRefusesNegativeSchema: PRAGMA user_version = -1 made every
// command panic (a slice out of range in migrate).
func TestOpenRefusesNegativeSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA user_version = -1"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "schema version is -1, which no makegood writes") {
		t.Fatalf("Open on schema -1: %v", err)
	}
}
