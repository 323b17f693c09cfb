package sqlite

import (
	"context"
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
