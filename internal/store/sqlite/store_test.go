package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func addCustomer(t *testing.T, s *Ledger, id, currency string) ledger.Customer {
	t.Helper()
	c := ledger.Customer{ID: id, Name: "Name of " + id, Currency: currency, Period: "month",
		PriceMinor: 4900, Tags: []string{"vip"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.AddCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func issue(t *testing.T, s *Ledger, nc ledger.NewCredit) ledger.Credit {
	t.Helper()
	if nc.IssuedAt.IsZero() {
		nc.IssuedAt = t0
	}
	if nc.Reason == "" {
		nc.Reason = "outage"
	}
	c, created, err := s.IssueCredit(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatalf("credit %d was not created", c.ID)
	}
	return c
}

func count(t *testing.T, s *Ledger, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	s, err := Open(context.Background(), filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addCustomer(t, s, "a", "USD") // forces the WAL and shared-memory files into being
	for path, want := range map[string]os.FileMode{
		dir:                                 0o700,
		filepath.Join(dir, "ledger.db"):     0o600,
		filepath.Join(dir, "ledger.db-wal"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

// Several processes opening a brand-new ledger at once must all succeed:
// the switch to WAL and the migrations race, and SQLite answers some of
// that race with an immediate SQLITE_BUSY rather than waiting. Many rounds,
// because the race is lost only now and then.
func TestMigrationsApplyOnceEvenConcurrently(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 40 {
		path := filepath.Join(t.TempDir(), "ledger.db")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(context.Background(), path)
				if err != nil {
					errs <- err
					return
				}
				errs <- s.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent open: %v", round, err)
			}
		}
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(context.Background())
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if v != len(ms) {
			t.Fatalf("schema version %d, want %d", v, len(ms))
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}

func TestLedgerTablesAreAppendOnly(t *testing.T) {
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD"})
	for _, stmt := range []string{
		"UPDATE credits SET amount_minor = 1",
		"DELETE FROM credits",
		"UPDATE credit_entries SET amount_minor = 1",
		"DELETE FROM credit_entries",
	} {
		_, err := s.DB().Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
		}
	}
	if n := count(t, s, "credits"); n != 1 {
		t.Fatalf("credits = %d after refused statements", n)
	}
}

// TestLatestMigrationIsTheLast: Open knows the newest schema from the
// migration file names alone; that is the number migrations applies up to.
func TestLatestMigrationIsTheLast(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if latest, err := latestMigration(); err != nil || latest != len(ms) {
		t.Fatalf("latestMigration = %d, %v; want %d", latest, err, len(ms))
	}
}

// TestOpenSwitchesToWAL: a ledger file in another journal mode (a copy,
// one written by hand) is switched to WAL when it is opened.
func TestOpenSwitchesToWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil || mode != "delete" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("after Open, journal_mode = %q, %v", mode, err)
	}
}

// TestMigrationRebuildKeepsTheLedger: migration 0011 builds credits again
// (the idempotency key's uniqueness becomes an index of its own) under a
// ledger whose other tables point at its rows. Ids, values, keys and
// every reference survive, the key stays unique, migration 0012's kept
// balances start from the entries, and db check finds the ledger sound.
func TestMigrationRebuildKeepsTheLedger(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	before := -1
	for i, m := range ms {
		if strings.HasPrefix(m.name, "0011_") {
			before = i
		}
	}
	if before < 0 {
		t.Fatal("no migration 0011")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, m := range ms[:before] {
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	now := fmtTime(t0)
	for _, q := range []string{
		fmt.Sprintf("PRAGMA user_version = %d", before),
		`INSERT INTO customers (id, currency, created_at, updated_at) VALUES ('cus_1', 'USD', '` + now + `', '` + now + `')`,
		`INSERT INTO credits (id, customer_id, amount_minor, currency, reason, issued_at, idempotency_key) VALUES
			(3, 'cus_1', 500, 'USD', 'outage', '` + now + `', 'k3'), (7, 'cus_1', 700, 'USD', 'sla', '` + now + `', NULL),
			(9, 'cus_1', 900, 'USD', 'outage', '` + now + `', 'k9')`,
		`INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at)
			SELECT id, customer_id, currency, 'issue', amount_minor, issued_at FROM credits`,
		`INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at) VALUES (7, 'cus_1', 'USD', 'apply', -200, '` + now + `')`,
		`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, at, credit_id)
			VALUES ('cus_1', 'welcome', 'welcome', 'print', 'sent', '` + now + `', 9)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dump := func(db *sql.DB) string {
		var out string
		if err := db.QueryRowContext(ctx, `SELECT group_concat(r, ';') FROM (SELECT id || ',' || customer_id || ',' || amount_minor || ','
			|| reason || ',' || COALESCE(idempotency_key, '-') AS r FROM credits ORDER BY id)`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := dump(db)
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(ms) {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if got := dump(s.DB()); got != want {
		t.Errorf("credits after the migration: %s, want %s", got, want)
	}
	_, err = s.DB().ExecContext(ctx, `INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at, idempotency_key)
		VALUES ('cus_1', 1, 'USD', 'outage', ?, 'k3')`, now)
	if err == nil || !strings.Contains(err.Error(), "idempotency key is taken") {
		t.Errorf("a second credit keyed k3: %v", err)
	}
	bal, err := s.Balances(ctx, "cus_1", t0)
	if err != nil || len(bal) != 1 || bal[0].BalanceMinor != 500+700-200+900 {
		t.Errorf("balance %+v, %v", bal, err)
	}
	res, err := CheckFile(ctx, path)
	if err != nil || !res.Sound() {
		t.Errorf("db check: %+v, %v", res, err)
	}
	var fks bool
	conn, err := s.DB().Conn(ctx) // the migration's, given back to the pool
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fks); err != nil || !fks {
		t.Errorf("foreign keys on the pooled connection after the migration: %v, %v", fks, err)
	}
	var kept int64
	if err := s.DB().QueryRowContext(ctx, "SELECT SUM(amount_minor) FROM credit_balances").Scan(&kept); err != nil || kept != 500+700-200+900 {
		t.Errorf("kept balances after the migration sum to %d (%v)", kept, err)
	}
}
