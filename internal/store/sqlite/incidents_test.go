package sqlite

import (
	"context"
	"database/sql"
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

// TestFixCorrectionsAreAppendOnly: corrections are appended, never edited
// or replaced in SQL either.
func TestFixCorrectionsAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	inc := openIncident(t, s, ledger.NewIncident{})
	if _, err := s.FixIncident(ctx, inc.ID, t0, t0); err != nil {
		t.Fatal(err)
	}
	for _, h := range []time.Duration{7, 6} {
		if _, err := s.CorrectFix(ctx, inc.ID, t0.Add(-h*time.Hour), t0); err != nil {
			t.Fatal(err)
		}
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
	fixes, err := s.Fixes(ctx, inc.ID)
	if err != nil || len(fixes) != 3 {
		t.Fatalf("after refused statements: %+v %v", fixes, err)
	}
}

// TestSchemaChecks: what a row typed in SQL may not hold, the schema
// refuses: an impact of nothing, a gesture with money.
func TestSchemaChecks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	if _, err := s.DB().Exec("INSERT INTO incidents (title, what, started_at, reported_at, created_at, impact_bp) VALUES ('t', 'w', 'a', 'a', 'a', 0)"); err == nil {
		t.Error("an impact of 0 basis points was stored")
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at, gesture)
		VALUES ('a', 100, 'USD', 'bug', '2026-01-01T00:00:00.000000Z', 'a card')`); err == nil || !strings.Contains(err.Error(), "CHECK") {
		t.Errorf("gesture with money, written by hand: %v", err)
	}
	if n := count(t, s, "credits") + count(t, s, "incidents"); n != 0 {
		t.Errorf("%d rows after refused statements", n)
	}
}
