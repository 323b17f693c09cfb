package sqlite

import (
	"context"
	"errors"
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

func TestIssueCreditIdempotency(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	nc := ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage",
		Note: "n", IssuedAt: t0, IdempotencyKey: "k1"}
	first := issue(t, s, nc)

	again, created, err := s.IssueCredit(ctx, nc)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("same key, same values: id %d created %v err %v; want id %d, not created", again.ID, created, err, first.ID)
	}

	other := nc
	other.AmountMinor = 3000
	other.Note = "changed"
	_, _, err = s.IssueCredit(ctx, other)
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), `"k1"`) ||
		!strings.Contains(err.Error(), "amount, note") {
		t.Fatalf("same key, other values: %v", err)
	}
	if n := count(t, s, "credits"); n != 1 {
		t.Fatalf("credits = %d, want 1", n)
	}
	if n := count(t, s, "credit_entries"); n != 1 {
		t.Fatalf("entries = %d, want 1", n)
	}
}

func TestIssueCreditUnknownCustomer(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	_, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "ghost", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: t0})
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
	nc := ledger.NewCredit{Customer: "ghost", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: t0,
		NewCustomer: &ledger.Customer{ID: "ghost", CreatedAt: t0, UpdatedAt: t0}}
	if _, created, err := s.IssueCredit(ctx, nc); err != nil || !created {
		t.Fatalf("with NewCustomer: created %v err %v", created, err)
	}
	if _, err := s.Customer(ctx, "ghost"); err != nil {
		t.Fatalf("customer not added with the credit: %v", err)
	}
}

func TestFailedIssueLeavesNoNewCustomer(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 100, Currency: "USD", IdempotencyKey: "k"})
	_, _, err := s.IssueCredit(ctx, ledger.NewCredit{Customer: "b", AmountMinor: 100, Currency: "USD",
		Reason: "bug", IssuedAt: t0, IdempotencyKey: "k",
		NewCustomer: &ledger.Customer{ID: "b", CreatedAt: t0, UpdatedAt: t0}})
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
	if _, err := s.Customer(ctx, "b"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("customer b exists after a refused issue: %v", err)
	}
}

func TestVoidAndApply(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD"})

	c, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1000, Invoice: "in_1", At: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if c.RemainingMinor != 1500 || c.Status(t0) != ledger.StatusOpen {
		t.Fatalf("after apply: remaining %d status %s", c.RemainingMinor, c.Status(t0))
	}
	var fe *ledger.FieldError
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1501, Invoice: "in_2", At: t0}); !errors.As(err, &fe) || fe.Field != "--amount" {
		t.Fatalf("apply more than remains: %v", err)
	}
	c, err = s.VoidCredit(ctx, c.ID, "wrong customer", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status(t0) != ledger.StatusVoid || c.VoidReason != "wrong customer" || c.RemainingMinor != 0 {
		t.Fatalf("after void: %+v", c)
	}
	if _, err := s.VoidCredit(ctx, c.ID, "again", t0); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("void twice: %v", err)
	}
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_3", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply after void: %v", err)
	}
	bs, err := s.Balances(ctx, "a", t0)
	if err != nil || len(bs) != 0 {
		t.Fatalf("balance after void: %v %v", bs, err)
	}
	h, err := s.History(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range h {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "void,apply,issue" {
		t.Fatalf("history newest first = %s", got)
	}
	if h[0].AmountMinor != -1500 || h[1].AmountMinor != -1000 || h[2].AmountMinor != 2500 || h[2].Reason != "outage" {
		t.Fatalf("history amounts: %+v", h)
	}
}

func TestFullyAppliedCreditIsApplied(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	c := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD"})
	c, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 500, Invoice: "in_1", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status(t0) != ledger.StatusApplied {
		t.Fatalf("status %s", c.Status(t0))
	}
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_2", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply a used credit: %v", err)
	}
}

func TestExpiryAndBalances(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "JPY")
	exp := t0.Add(48 * time.Hour)
	expiring := issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD", ExpiresAt: &exp})
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: expiring.ID, AmountMinor: 400, Invoice: "in_1", At: t0}); err != nil {
		t.Fatal(err)
	}
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD"})
	issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: 300, Currency: "EUR"})
	issue(t, s, ledger.NewCredit{Customer: "b", AmountMinor: 2500, Currency: "JPY"})

	want := func(now time.Time, customer string, exp ...ledger.Balance) {
		t.Helper()
		got, err := s.Balances(ctx, customer, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(exp) {
			t.Fatalf("balances at %s: %+v, want %+v", now, got, exp)
		}
		for i := range exp {
			if got[i] != exp[i] {
				t.Fatalf("balances at %s: %+v, want %+v", now, got, exp)
			}
		}
	}
	want(t0, "",
		ledger.Balance{Customer: "a", Currency: "EUR", BalanceMinor: 300},
		ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 3100},
		ledger.Balance{Customer: "b", Currency: "JPY", BalanceMinor: 2500})
	want(exp, "a",
		ledger.Balance{Customer: "a", Currency: "EUR", BalanceMinor: 300},
		ledger.Balance{Customer: "a", Currency: "USD", BalanceMinor: 2500})

	c, err := s.Credit(ctx, expiring.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status(exp.Add(-time.Second)) != ledger.StatusOpen || c.Status(exp) != ledger.StatusExpired {
		t.Fatalf("expiry status around %s wrong", exp)
	}
	if _, _, err := s.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 1, Invoice: "in_2", At: exp}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("apply an expired credit: %v", err)
	}
	got, err := s.Credits(ctx, ledger.CreditFilter{Status: ledger.StatusExpired, Now: exp})
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("expired filter: %+v %v", got, err)
	}
	got, err = s.Credits(ctx, ledger.CreditFilter{Status: ledger.StatusOpen, Now: t0})
	if err != nil || len(got) != 4 {
		t.Fatalf("open filter before expiry: %d %v", len(got), err)
	}
}

func TestCreditFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	for i := range 5 {
		issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: int64(100 + i), Currency: "USD",
			Reason: []string{"outage", "bug"}[i%2], IssuedAt: t0.Add(time.Duration(i) * 24 * time.Hour)})
	}
	issue(t, s, ledger.NewCredit{Customer: "b", AmountMinor: 999, Currency: "USD"})
	ids := func(f ledger.CreditFilter) []int64 {
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
	eq := func(got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("got %v want %v", got, want)
			}
		}
	}
	eq(ids(ledger.CreditFilter{}), 6, 5, 4, 3, 2, 1)
	eq(ids(ledger.CreditFilter{Customer: "a", Limit: 2}), 5, 4)
	eq(ids(ledger.CreditFilter{Reason: "bug"}), 4, 2)
	eq(ids(ledger.CreditFilter{Customer: "a", Since: t0.Add(24 * time.Hour), Until: t0.Add(72 * time.Hour)}), 3, 2)
	eq(ids(ledger.CreditFilter{Status: ledger.StatusApplied}))
}

func TestCustomers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := addCustomer(t, s, "a", "USD")
	if err := s.AddCustomer(ctx, c); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("duplicate add: %v", err)
	}
	c.Name, c.Tags, c.Since = "Alice", []string{"x", "y"}, time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := s.UpdateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Customer(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Alice" || strings.Join(got.Tags, ",") != "x,y" || !got.Since.Equal(c.Since) || got.PriceMinor != 4900 {
		t.Fatalf("after update: %+v", got)
	}
	if err := s.UpdateCustomer(ctx, ledger.Customer{ID: "nobody", UpdatedAt: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	all, err := s.Customers(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("customers: %v %v", all, err)
	}
}
