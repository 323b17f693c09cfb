package sqlite

import (
	"context"
	"errors"
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

// insertCredits writes n credits of amount in currency straight into the
// tables, as fast as SQLite can: enough of them to reach the ledger's
// bounds, which goes through the same sums as credits issued one by one.
func insertCredits(t *testing.T, s *Ledger, customer, currency string, amount int64, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.DB().ExecContext(ctx, `WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
		INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at) SELECT ?, ?, ?, 'other', ? FROM i`,
		n, customer, amount, currency, fmtTime(t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at)
		SELECT id, customer_id, currency, 'issue', amount_minor, issued_at FROM credits
		WHERE id NOT IN (SELECT credit_id FROM credit_entries)`); err != nil {
		t.Fatal(err)
	}
}

// TestCurrencyTotalBound: what a currency's credits add up to stays
// within ledger.MaxCurrencyTotalMinor, for a credit issued alone and for
// every row of an import, so every sum the ledger takes can be read back.
func TestCurrencyTotalBound(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "CLF")
	addCustomer(t, s, "b", "USD")
	const most = 10_000_000_000_000 // CLF 1,000,000,000.0000, the largest credit
	// 99,998 of the largest CLF credits: the bound is two more away. The
	// ids no longer bound the sum, so the engine sums the currency.
	insertCredits(t, s, "a", "CLF", most, 99_998)
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: most, Currency: "CLF"})

	before := count(t, s, "credits")
	var fe *ledger.FieldError
	_, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: most, Currency: "CLF", Reason: "outage",
		IssuedAt: t0, Note: "the last that fits"})
	if err != nil {
		t.Fatalf("the credit that reaches the bound exactly: %v", err)
	}
	_, _, err = s.IssueCredit(ctx, ledger.NewCredit{Customer: "b", AmountMinor: 1, Currency: "CLF", Reason: "outage", IssuedAt: t0})
	if !errors.As(err, &fe) || fe.Field != "amount" || !strings.Contains(err.Error(), "past the ledger's bound") {
		t.Fatalf("one minor unit past the bound, for another customer: %v", err)
	}
	if got := count(t, s, "credits"); got != before+1 {
		t.Fatalf("%d credits, want %d", got, before+1)
	}
	// Other currencies have their own bound.
	issue(t, s, ledger.NewCredit{Customer: "b", AmountMinor: 100, Currency: "USD"})

	// Every sum reads back.
	bals, err := s.Balances(ctx, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(bals) != 2 || bals[0].BalanceMinor != ledger.MaxCurrencyTotalMinor {
		t.Fatalf("balances %+v", bals)
	}
	from, until := ledger.BudgetMonth(t0)
	if given, err := givenInPeriod(ctx, s.DB(), "CLF", from, until); err != nil || given != ledger.MaxCurrencyTotalMinor {
		t.Fatalf("given this month: %d, %v", given, err)
	}

	// A void frees no room: the bound is on what was ever issued.
	if _, err := s.VoidCredit(ctx, 1, "test", t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 1, Currency: "CLF", Reason: "outage", IssuedAt: t0}); !errors.As(err, &fe) {
		t.Fatalf("after a void: %v", err)
	}
}

// TestImportCurrencyTotalBound: in an import, the row that would take a
// currency past the bound is the line error, counted against the ledger
// and the rows before it.
func TestImportCurrencyTotalBound(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "CLF")
	const most = 10_000_000_000_000
	insertCredits(t, s, "a", "CLF", most, 99_998)
	before := count(t, s, "credits")

	imp, err := s.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	row := ledger.NewCredit{Customer: "a", AmountMinor: most, Currency: "CLF", Reason: "outage", IssuedAt: t0}
	for line := 2; line <= 3; line++ {
		if err := imp.Add(ctx, line, row); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
	}
	var fe *ledger.FieldError
	err = imp.Add(ctx, 4, row)
	if !errors.As(err, &fe) || fe.Line != 4 || fe.Field != "amount" || !strings.Contains(err.Error(), "past the ledger's bound") {
		t.Fatalf("line 4: %v", err)
	}
	// Another currency is counted on its own.
	if err := imp.Add(ctx, 5, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD", Reason: "outage", IssuedAt: t0}); err != nil {
		t.Fatalf("line 5: %v", err)
	}
	imp.Rollback()
	if got := count(t, s, "credits"); got != before {
		t.Fatalf("%d credits after the rollback, want %d", got, before)
	}
}

func TestIssueCreditValidates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
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
		if _, _, err := s.IssueCredit(ctx, nc); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: err = %v, want a %s error", tc.nc, err, tc.field)
		}
	}
	if n := count(t, s, "credits"); n != 0 {
		t.Fatalf("%d credits written", n)
	}
}

// TestCompensationOnce: a customer has one live compensation per
// incident, whatever the amount asked for by the later tries.
func TestCompensationOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	inc := openIncident(t, s, ledger.NewIncident{Customers: []string{"a"}})
	nc := ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0,
		IncidentID: inc.ID, Compensation: true}
	first, created, err := s.IssueCredit(ctx, nc)
	if err != nil || !created || first.IdempotencyKey != ledger.CompensationKey(inc.ID, "a", 0) {
		t.Fatalf("first: %+v %v %v", first, created, err)
	}
	other := nc
	other.AmountMinor, other.Gesture = 0, ""
	other.Currency = ""
	other.Gesture = "a card"
	for _, try := range []ledger.NewCredit{nc, other} {
		got, created, err := s.IssueCredit(ctx, try)
		if err != nil || created || got.ID != first.ID {
			t.Fatalf("again: %+v %v %v", got, created, err)
		}
	}
	// A credit given for the incident by hand counts as compensated too.
	if _, err := s.VoidCredit(ctx, first.ID, "give a card instead", t0); err != nil {
		t.Fatal(err)
	}
	card, created, err := s.IssueCredit(ctx, other)
	if err != nil || !created || card.IdempotencyKey != ledger.CompensationKey(inc.ID, "a", first.ID) {
		t.Fatalf("after the void: %+v %v %v", card, created, err)
	}
	if n := count(t, s, "credits"); n != 2 {
		t.Fatalf("%d credits, want 2", n)
	}
	// The caller does not choose the key.
	keyed := nc
	keyed.IdempotencyKey = "mine"
	if _, _, err := s.IssueCredit(ctx, keyed); err == nil {
		t.Fatal("a compensation with the caller's key was accepted")
	}
}

// TestBudgetCheckedAsItWrites: a budget is checked against what has been
// given when the credit is written, never below what is owed.
func TestBudgetCheckedAsItWrites(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	from, until := ledger.BudgetMonth(t0)
	b := &ledger.Budget{Name: "the monthly goodwill budget", Currency: "USD", LimitMinor: 10000, From: from, Until: until}
	give := func(amount, owed int64) error {
		bb := *b
		bb.OwedMinor = owed
		_, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: amount, Currency: "USD", Reason: "goodwill",
			IssuedAt: t0, Budget: &bb})
		return err
	}
	if err := give(6000, 0); err != nil {
		t.Fatal(err)
	}
	err := give(6000, 0)
	var be *ledger.BudgetError
	if !errors.As(err, &be) || be.AllowedMinor != 4000 || !errors.Is(err, ledger.ErrConflict) || !errors.Is(err, ledger.ErrBudget) {
		t.Fatalf("past the budget: %v", err)
	}
	if err := give(4000, 0); err != nil {
		t.Fatal(err)
	}
	// Spent: only what is owed may still be given.
	if err := give(200, 0); !errors.Is(err, ledger.ErrBudget) {
		t.Fatalf("spent: %v", err)
	}
	if err := give(200, 200); err != nil {
		t.Fatalf("owed: %v", err)
	}
	// A void gives its budget back: $60.00 of the $102.00 given.
	if _, err := s.VoidCredit(ctx, 1, "test", t0); err != nil {
		t.Fatal(err)
	}
	if err := give(5800, 0); err != nil {
		t.Fatalf("after a void: %v", err)
	}
}

// TestCaseKeyOpensOnce: a case with a case key recorded already goes on
// with its incident; its first apology is not repeated.
func TestCaseKeyOpensOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	c := newCase(nil, "a")
	c.NewIncident.CaseKey = ledger.CaseKey("Login outage", c.NewIncident.StartedAt, []string{"a"})
	first, err := s.RecordCase(ctx, c)
	if err != nil || first.Existing {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := s.RecordCase(ctx, c)
	if err != nil || !again.Existing || again.Incident.ID != first.Incident.ID || again.Resolutions[0].Apology != nil ||
		again.Resolutions[0].Created[0] {
		t.Fatalf("again: %+v %v", again, err)
	}
	for table, want := range map[string]int{"incidents": 1, "apologies": 1, "credits": 1} {
		if n := count(t, s, table); n != want {
			t.Errorf("%s: %d, want %d", table, n, want)
		}
	}
	incs, err := s.Incidents(ctx, ledger.IncidentFilter{CaseKey: c.NewIncident.CaseKey})
	if err != nil || len(incs) != 1 || incs[0].ID != first.Incident.ID {
		t.Fatalf("by case key: %+v %v", incs, err)
	}
}

// TestApplyOnce: a second apply of a credit to one invoice is refused
// unless asked for; a key makes a retry return the apply.
func TestApplyOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 10000, Currency: "USD"})
	apply := ledger.Apply{Credit: c.ID, AmountMinor: 2000, Invoice: "in_1", At: t0}
	if _, created, err := s.ApplyCredit(ctx, apply); err != nil || !created {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyCredit(ctx, apply); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "--again") {
		t.Fatalf("twice: %v", err)
	}
	apply.Again = true
	if got, created, err := s.ApplyCredit(ctx, apply); err != nil || !created || got.RemainingMinor != 6000 {
		t.Fatalf("--again: %+v %v", got, err)
	}
	keyed := ledger.Apply{Credit: c.ID, AmountMinor: 500, Invoice: "in_1", At: t0, IdempotencyKey: "k"}
	for i := range 3 {
		got, created, err := s.ApplyCredit(ctx, keyed)
		if err != nil || created != (i == 0) || got.RemainingMinor != 5500 {
			t.Fatalf("keyed, try %d: %+v %v %v", i, got, created, err)
		}
	}
	keyed.AmountMinor = 600
	if _, _, err := s.ApplyCredit(ctx, keyed); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("the key for another apply: %v", err)
	}
	if n := count(t, s, "credit_entries"); n != 4 {
		t.Fatalf("%d entries, want 4", n)
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
