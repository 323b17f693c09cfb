package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func openIncident(t *testing.T, s *Ledger, n ledger.NewIncident) ledger.Incident {
	t.Helper()
	if n.Title == "" {
		n.Title = "Login outage"
	}
	if n.What == "" {
		n.What = "Nobody could log in."
	}
	if n.StartedAt.IsZero() {
		n.StartedAt = t0.Add(-10 * time.Hour)
	}
	if n.ReportedAt.IsZero() {
		n.ReportedAt = n.StartedAt.Add(time.Hour)
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = t0
	}
	inc, err := s.OpenIncident(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestIncidentLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "b", "USD")
	addCustomer(t, s, "a", "USD")
	inc := openIncident(t, s, ledger.NewIncident{Title: "Login outage", What: "Logins failed.", Severity: "high",
		StartedAt: t0.Add(-5 * time.Hour), ReportedAt: t0.Add(-4 * time.Hour), Customers: []string{"b", "a"}})
	if inc.ID != 1 || inc.Severity != "high" || inc.Status() != ledger.IncidentOpen ||
		strings.Join(inc.Customers, ",") != "a,b" || !inc.StartedAt.Equal(t0.Add(-5*time.Hour)) {
		t.Fatalf("opened %+v", inc)
	}
	if d := inc.Downtime(t0); d != 5*time.Hour {
		t.Fatalf("downtime while open = %s, want 5h to now", d)
	}
	if _, ok := inc.TimeToFix(); ok {
		t.Fatal("an open incident has a time to fix")
	}
	second := openIncident(t, s, ledger.NewIncident{Title: "Slow exports"})
	if second.Severity != ledger.SeverityNormal || len(second.Customers) != 0 {
		t.Fatalf("defaults: %+v", second)
	}

	var fe *ledger.FieldError
	if _, err := s.FixIncident(ctx, inc.ID, t0.Add(-6*time.Hour), t0); !errors.As(err, &fe) || fe.Field != "fixed_at" {
		t.Fatalf("fix before the start: %v", err)
	}
	fixed, err := s.FixIncident(ctx, inc.ID, t0.Add(-2*time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Status() != ledger.IncidentFixed || !fixed.FixedAt.Equal(t0.Add(-2*time.Hour)) {
		t.Fatalf("fixed %+v", fixed)
	}
	if ttf, ok := fixed.TimeToFix(); !ok || ttf != 2*time.Hour {
		t.Fatalf("time to fix %s %v, want 2h from the report", ttf, ok)
	}
	if d := fixed.Downtime(t0.Add(100 * time.Hour)); d != 3*time.Hour {
		t.Fatalf("downtime after the fix = %s, want 3h whatever the clock", d)
	}
	if _, err := s.FixIncident(ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "already fixed") {
		t.Fatalf("second fix: %v", err)
	}
	if _, err := s.FixIncident(ctx, 99, t0, t0); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("fix unknown: %v", err)
	}

	ids := func(f ledger.IncidentFilter) string {
		t.Helper()
		got, err := s.Incidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range got {
			out = append(out, i.Title)
		}
		return strings.Join(out, ",")
	}
	for f, want := range map[ledger.IncidentFilter]string{
		{}:                               "Slow exports,Login outage",
		{Status: ledger.IncidentOpen}:    "Slow exports",
		{Status: ledger.IncidentFixed}:   "Login outage",
		{Customer: "a"}:                  "Login outage",
		{Customer: "nobody"}:             "",
		{Limit: 1}:                       "Slow exports",
		{Customer: "b", Status: "fixed"}: "Login outage",
	} {
		if got := ids(f); got != want {
			t.Errorf("Incidents(%+v) = %q, want %q", f, got, want)
		}
	}
	if _, err := s.Incidents(ctx, ledger.IncidentFilter{Status: "closed"}); !errors.As(err, &fe) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := s.Incident(ctx, 42); !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), `incident 42 not found`) {
		t.Fatalf("unknown incident: %v", err)
	}
}

func TestOpenIncidentUnknownCustomerLeavesNothing(t *testing.T) {
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	_, err := s.OpenIncident(context.Background(), ledger.NewIncident{Title: "x", What: "y", StartedAt: t0,
		ReportedAt: t0, CreatedAt: t0, Customers: []string{"a", "ghost"}})
	if !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err = %v", err)
	}
	if n := count(t, s, "incidents"); n != 0 {
		t.Fatalf("incidents = %d after a refused open", n)
	}
	if n := count(t, s, "incident_customers"); n != 0 {
		t.Fatalf("incident_customers = %d after a refused open", n)
	}
}

func TestIncidentTablesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	inc := openIncident(t, s, ledger.NewIncident{Customers: []string{"a"}})
	if _, err := s.FixIncident(ctx, inc.ID, t0, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordApology(ctx, ledger.NewApology{Customer: "a", Incident: inc.ID, Body: "Sorry.", RecordedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE incidents SET title = 'x'",
		"DELETE FROM incidents",
		"UPDATE incident_customers SET customer_id = 'b'",
		"DELETE FROM incident_customers",
		"UPDATE incident_fixes SET fixed_at = '2020-01-01T00:00:00.000000Z'",
		"DELETE FROM incident_fixes",
		"UPDATE apologies SET body = 'x'",
		"DELETE FROM apologies",
	} {
		_, err := s.DB().Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
		}
	}
	got, err := s.Incident(ctx, inc.ID)
	if err != nil || got.Title != inc.Title || got.FixedAt == nil || len(got.Customers) != 1 {
		t.Fatalf("after refused statements: %+v %v", got, err)
	}
}

func TestCreditsLinkedToIncidentsAndGestures(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	inc := openIncident(t, s, ledger.NewIncident{Customers: []string{"a"}})

	money := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", IncidentID: inc.ID})
	gesture := issue(t, s, ledger.NewCredit{Customer: "b", Gesture: "a handwritten card", IncidentID: inc.ID,
		Reason: "goodwill", IdempotencyKey: "g1"})
	if money.IncidentID != inc.ID || gesture.Gesture != "a handwritten card" || !gesture.IsGesture() {
		t.Fatalf("returned %+v %+v", money, gesture)
	}
	got, err := s.Credit(ctx, gesture.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Gesture != "a handwritten card" || got.IncidentID != inc.ID || got.AmountMinor != 0 ||
		got.Currency != "" || got.Status(t0) != ledger.StatusGiven {
		t.Fatalf("stored gesture %+v status %s", got, got.Status(t0))
	}
	// Giving a customer something for an incident means it affected them.
	after, err := s.Incident(ctx, inc.ID)
	if err != nil || strings.Join(after.Customers, ",") != "a,b" {
		t.Fatalf("affected after credits: %v %v", after.Customers, err)
	}

	bs, err := s.Balances(ctx, "", t0)
	if err != nil || len(bs) != 1 || bs[0] != (ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 2500}) {
		t.Fatalf("balances must ignore gestures: %+v %v", bs, err)
	}
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: gesture.ID, AmountMinor: 1, Invoice: "in_1", At: t0}); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "gesture") {
		t.Fatalf("apply a gesture: %v", err)
	}
	list := func(f ledger.CreditFilter) []int64 {
		t.Helper()
		f.Now = t0
		cs, err := s.Credits(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	unlinked := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD"})
	if got := list(ledger.CreditFilter{Incident: inc.ID}); len(got) != 2 || got[0] != gesture.ID || got[1] != money.ID {
		t.Fatalf("incident filter: %v", got)
	}
	if got := list(ledger.CreditFilter{Status: ledger.StatusGiven}); len(got) != 1 || got[0] != gesture.ID {
		t.Fatalf("given filter: %v", got)
	}
	if got := list(ledger.CreditFilter{Status: ledger.StatusApplied}); len(got) != 0 {
		t.Fatalf("a gesture is not an applied credit: %v", got)
	}
	if got := list(ledger.CreditFilter{Status: ledger.StatusOpen}); len(got) != 2 || got[0] != unlinked.ID {
		t.Fatalf("open filter: %v", got)
	}

	// The same key for another gesture or another incident is a conflict.
	_, _, err = s.IssueCredit(ctx, ledger.NewCredit{Customer: "b", Gesture: "a call", IncidentID: inc.ID,
		Reason: "goodwill", IssuedAt: t0, IdempotencyKey: "g1"})
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "gesture") {
		t.Fatalf("key reused for another gesture: %v", err)
	}
	voided, err := s.VoidCredit(ctx, gesture.ID, "never sent", t0)
	if err != nil || voided.Status(t0) != ledger.StatusVoid {
		t.Fatalf("void a gesture: %+v %v", voided, err)
	}

	before := count(t, s, "credits")
	if _, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 1, Currency: "USD",
		Reason: "bug", IssuedAt: t0, IncidentID: 99}); !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "incident") {
		t.Fatalf("unknown incident: %v", err)
	}
	// A gesture that carries money is refused (by NewCredit.Validate, and
	// by the database's CHECK behind it).
	var fe *ledger.FieldError
	if _, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD",
		Reason: "bug", IssuedAt: t0, Gesture: "a card"}); !errors.As(err, &fe) || fe.Field != "gesture" {
		t.Fatalf("gesture with money: %v", err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at, gesture)
		VALUES ('a', 100, 'USD', 'bug', '2026-01-01T00:00:00.000000Z', 'a card')`); err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Fatalf("gesture with money, written by hand: %v", err)
	}
	if n := count(t, s, "credits"); n != before {
		t.Fatalf("credits %d after refused issues, want %d", n, before)
	}

	h, err := s.History(ctx, "b")
	if err != nil || len(h) != 2 || h[1].Gesture != "a handwritten card" || h[1].IncidentID != inc.ID || h[1].AmountMinor != 0 {
		t.Fatalf("history of a gesture: %+v %v", h, err)
	}
}

func TestApologies(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	one := openIncident(t, s, ledger.NewIncident{Customers: []string{"a"}})
	two := openIncident(t, s, ledger.NewIncident{Title: "Exports"})
	rec := func(customer string, inc int64, body string) ledger.Apology {
		t.Helper()
		a, err := s.RecordApology(ctx, ledger.NewApology{Customer: customer, Incident: inc, Body: body, RecordedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := rec("a", one.ID, "Logins failed for four hours. It is fixed.")
	if first.Via != "email" || first.Status != ledger.ApologySent || first.ID != 1 {
		t.Fatalf("defaults: %+v", first)
	}
	rec("b", one.ID, "b one")
	rec("b", two.ID, "b two")
	if inc, _ := s.Incident(ctx, two.ID); strings.Join(inc.Customers, ",") != "b" {
		t.Fatalf("an apology adds its customer to the incident: %v", inc.Customers)
	}
	bodies := func(f ledger.ApologyFilter) string {
		t.Helper()
		as, err := s.Apologies(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.Body)
		}
		return strings.Join(out, "|")
	}
	for f, want := range map[ledger.ApologyFilter]string{
		{}:                             "b two|b one|Logins failed for four hours. It is fixed.",
		{Customer: "b"}:                "b two|b one",
		{Incident: one.ID}:             "b one|Logins failed for four hours. It is fixed.",
		{Customer: "b", Incident: 2}:   "b two",
		{Limit: 1}:                     "b two",
		{Customer: "a", Incident: 2}:   "",
		{Customer: "nobody", Limit: 5}: "",
	} {
		if got := bodies(f); got != want {
			t.Errorf("Apologies(%+v) = %q, want %q", f, got, want)
		}
	}
	for _, bad := range []ledger.NewApology{
		{Customer: "ghost", Incident: one.ID, Body: "x", RecordedAt: t0},
		{Customer: "a", Incident: 99, Body: "x", RecordedAt: t0},
	} {
		if _, err := s.RecordApology(ctx, bad); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("%+v: err = %v, want not found", bad, err)
		}
	}
	if n := count(t, s, "apologies"); n != 3 {
		t.Fatalf("apologies = %d", n)
	}
}

func TestRecordResolutionIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	inc := openIncident(t, s, ledger.NewIncident{Customers: []string{"a"}})
	fixAt := t0.Add(-time.Hour)

	res, err := s.RecordResolution(ctx, ledger.Resolution{
		Incident: inc.ID, Customer: "a", At: t0, FixedAt: &fixAt,
		Apology: &ledger.NewApology{Body: "Logins failed. It is fixed. $25 is on your account.", RecordedAt: t0},
		Credits: []ledger.NewCredit{
			{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.FixRecorded || res.Incident.FixedAt == nil || !res.Incident.FixedAt.Equal(fixAt) {
		t.Fatalf("fix: %+v", res)
	}
	if res.Apology == nil || res.Apology.Customer != "a" || res.Apology.Incident != inc.ID {
		t.Fatalf("apology: %+v", res.Apology)
	}
	if len(res.Credits) != 1 || res.Credits[0].IncidentID != inc.ID || res.Credits[0].Customer != "a" || !res.Created[0] {
		t.Fatalf("credits: %+v %v", res.Credits, res.Created)
	}
	// One compensation per resolution.
	if _, err := s.RecordResolution(ctx, ledger.Resolution{Incident: inc.ID, Customer: "a", At: t0, Credits: []ledger.NewCredit{
		{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0},
		{Gesture: "a handwritten card", Reason: "goodwill", IssuedAt: t0},
	}}); err == nil {
		t.Fatal("a resolution with two credits was recorded")
	}

	// A second customer of the same incident keeps the first fix time.
	later := t0
	res, err = s.RecordResolution(ctx, ledger.Resolution{Incident: inc.ID, Customer: "b", At: t0, FixedAt: &later,
		Apology: &ledger.NewApology{Body: "b", RecordedAt: t0}})
	if err != nil {
		t.Fatal(err)
	}
	if res.FixRecorded || !res.Incident.FixedAt.Equal(fixAt) || strings.Join(res.Incident.Customers, ",") != "a,b" {
		t.Fatalf("second resolution: %+v", res)
	}

	// Anything refused leaves nothing behind: here the credit has no
	// amount, found out after the apology and the fix.
	other := openIncident(t, s, ledger.NewIncident{Title: "Exports"})
	snapshot := func() [4]int {
		return [4]int{count(t, s, "apologies"), count(t, s, "credits"), count(t, s, "incident_fixes"), count(t, s, "incident_customers")}
	}
	before := snapshot()
	var fe *ledger.FieldError
	_, err = s.RecordResolution(ctx, ledger.Resolution{Incident: other.ID, Customer: "b", At: t0, FixedAt: &later,
		Apology: &ledger.NewApology{Body: "Exports failed.", RecordedAt: t0},
		Credits: []ledger.NewCredit{
			{AmountMinor: 0, Currency: "USD", Reason: "bug", IssuedAt: t0},
		}})
	if !errors.As(err, &fe) || fe.Field != "amount" {
		t.Fatalf("err = %v, want an amount error", err)
	}
	if after := snapshot(); after != before {
		t.Fatalf("a refused resolution wrote: %v, was %v", after, before)
	}
	if got, _ := s.Incident(ctx, other.ID); got.FixedAt != nil {
		t.Fatal("a refused resolution recorded the fix")
	}
	if _, err := s.RecordResolution(ctx, ledger.Resolution{Incident: other.ID, Customer: "b", At: t0,
		Apology: &ledger.NewApology{Body: "  "}}); !errors.As(err, &fe) || fe.Field != "apology" {
		t.Fatalf("empty apology: %v", err)
	}
	if _, err := s.RecordResolution(ctx, ledger.Resolution{Incident: 99, Customer: "b", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
	if after := snapshot(); after != before {
		t.Fatalf("refused resolutions wrote: %v, was %v", after, before)
	}
}

func TestGoodwillTotals(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	day := 24 * time.Hour
	at := func(d time.Duration) ledger.NewIncident {
		return ledger.NewIncident{StartedAt: t0.Add(d), ReportedAt: t0.Add(d), Customers: []string{"a"}}
	}
	openIncident(t, s, at(-400*day)) // outside the window
	openIncident(t, s, at(-200*day))
	openIncident(t, s, at(-10*day))
	current := openIncident(t, s, at(-time.Hour))
	openIncident(t, s, ledger.NewIncident{StartedAt: t0.Add(-5 * day), ReportedAt: t0.Add(-5 * day), Customers: []string{"b"}})

	credit := func(customer string, minor int64, currency string, when time.Time) ledger.Credit {
		return issue(t, s, ledger.NewCredit{Customer: customer, AmountMinor: minor, Currency: currency, IssuedAt: when})
	}
	credit("a", 1000, "USD", t0.Add(-300*day))                                              // in the 12 months, not this month
	credit("a", 7777, "USD", t0.Add(-500*day))                                              // too old
	credit("a", 5000, "EUR", t0.Add(-day))                                                  // another currency
	used := credit("a", 2500, "USD", t0.Add(-2*day))                                        // this month; 1000 used, the rest voided
	credit("b", 4000, "USD", t0.Add(-3*day))                                                // another customer, this month
	credit("b", 300, "USD", t0.AddDate(0, -1, 0))                                           // last month
	issue(t, s, ledger.NewCredit{Customer: "b", Gesture: "a card", IssuedAt: t0.Add(-day)}) // no money
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: used.ID, AmountMinor: 1000, Invoice: "in_1", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VoidCredit(ctx, used.ID, "too much", t0); err != nil {
		t.Fatal(err)
	}

	got, err := s.GoodwillTotals(ctx, ledger.GoodwillQuery{
		Customer: "a", Currency: "USD", ExcludeIncident: current.ID,
		Since: t0.AddDate(-1, 0, 0), Until: t0.Add(time.Second),
		MonthStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), MonthEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.GoodwillTotals{Incidents: 2, CreditedMinor: 1000 + 1000, GivenThisMonthMinor: 1000 + 4000}
	if got != want {
		t.Fatalf("totals %+v, want %+v", got, want)
	}
}

// A ledger written before incidents existed opens, migrates, and reads its
// old credits as neither gestures nor linked to an incident.
func TestMigrationKeepsExistingCredits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrationFS.ReadFile("migrations/0001_ledger.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{string(first), "PRAGMA user_version = 1",
		`INSERT INTO customers (id, created_at, updated_at) VALUES ('a', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`,
		`INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at) VALUES ('a', 2500, 'USD', 'outage', '2026-01-01T00:00:00.000000Z')`,
		`INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at) VALUES (1, 'a', 'USD', 'issue', 2500, '2026-01-01T00:00:00.000000Z')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Credit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.AmountMinor != 2500 || c.IncidentID != 0 || c.Gesture != "" || c.Status(t0) != ledger.StatusOpen {
		t.Fatalf("old credit after migration: %+v", c)
	}
}

// A wrongly recorded fix is corrected by appending, never by an edit: the
// latest correction is the fix time in every figure, and the first record
// stays.
func TestFixCorrections(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	inc := openIncident(t, s, ledger.NewIncident{StartedAt: t0.Add(-10 * time.Hour), ReportedAt: t0.Add(-8 * time.Hour),
		Customers: []string{"a"}})
	if _, err := s.CorrectFix(ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "no fix to correct") {
		t.Fatalf("correcting an open incident: %v", err)
	}
	if _, err := s.FixIncident(ctx, inc.ID, t0, t0); err != nil { // recorded at the time it was typed, wrongly
		t.Fatal(err)
	}
	var fe *ledger.FieldError
	if _, err := s.CorrectFix(ctx, inc.ID, t0.Add(-11*time.Hour), t0); !errors.As(err, &fe) || fe.Field != "fixed_at" {
		t.Fatalf("a correction before the start: %v", err)
	}
	got, err := s.CorrectFix(ctx, inc.ID, t0.Add(-7*time.Hour), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !got.FixedAt.Equal(t0.Add(-7*time.Hour)) || got.Corrections != 1 {
		t.Fatalf("after one correction: %+v", got)
	}
	if ttf, _ := got.TimeToFix(); ttf != time.Hour {
		t.Fatalf("time to fix %s, want 1h from the report to the corrected fix", ttf)
	}
	if d := got.Downtime(t0); d != 3*time.Hour {
		t.Fatalf("downtime %s, want 3h", d)
	}
	// A second correction wins over the first, in the list too.
	if _, err := s.CorrectFix(ctx, inc.ID, t0.Add(-6*time.Hour), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	list, err := s.Incidents(ctx, ledger.IncidentFilter{Status: ledger.IncidentFixed})
	if err != nil || len(list) != 1 || !list[0].FixedAt.Equal(t0.Add(-6*time.Hour)) || list[0].Corrections != 2 {
		t.Fatalf("listed: %+v %v", list, err)
	}
	fixes, err := s.Fixes(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 3 || fixes[0].Correction || !fixes[0].FixedAt.Equal(t0) ||
		!fixes[1].Correction || !fixes[1].FixedAt.Equal(t0.Add(-7*time.Hour)) ||
		!fixes[2].Correction || !fixes[2].FixedAt.Equal(t0.Add(-6*time.Hour)) || !fixes[2].RecordedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("fixes %+v", fixes)
	}
	// A second fix is still refused: corrections are the only way.
	if _, err := s.FixIncident(ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second fix: %v", err)
	}
	for _, stmt := range []string{
		"UPDATE incident_fix_corrections SET fixed_at = '2020-01-01T00:00:00.000000Z'",
		"DELETE FROM incident_fix_corrections",
		"INSERT OR REPLACE INTO incident_fix_corrections (id, incident_id, fixed_at, recorded_at) VALUES (1, 1, '2020-01-01T00:00:00.000000Z', 'x')",
		"REPLACE INTO incident_fix_corrections (id, incident_id, fixed_at, recorded_at) VALUES (2, 1, '2020-01-01T00:00:00.000000Z', 'x')",
	} {
		if _, err := s.DB().Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
		}
	}
	fixes, err = s.Fixes(ctx, inc.ID)
	if err != nil || len(fixes) != 3 {
		t.Fatalf("after refused statements: %+v %v", fixes, err)
	}
}

// An incident records how much of the service it took away; an outage
// (the default) is all of it.
func TestIncidentImpact(t *testing.T) {
	s := openTest(t)
	full := openIncident(t, s, ledger.NewIncident{})
	degraded := openIncident(t, s, ledger.NewIncident{ImpactBP: 3000})
	if full.ImpactBP != ledger.FullImpact || degraded.ImpactBP != 3000 {
		t.Fatalf("impacts %d %d", full.ImpactBP, degraded.ImpactBP)
	}
	if _, err := s.DB().Exec("INSERT INTO incidents (title, what, started_at, reported_at, created_at, impact_bp) VALUES ('t', 'w', 'a', 'a', 'a', 0)"); err == nil {
		t.Fatal("an impact of 0 basis points was stored")
	}
}
