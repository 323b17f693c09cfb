package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/postgres"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func pgErr(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func open(t *testing.T, dsn string) *postgres.Ledger {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func exec(t *testing.T, dsn string, queries ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range queries {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestMigrationsApplyOnceEvenConcurrently: eight pools (eight sessions,
// as eight processes have) open one new ledger at once, again and again;
// each round, one migrates and the others wait for it (the advisory lock),
// and every migration is recorded once.
func TestMigrationsApplyOnceEvenConcurrently(t *testing.T) {
	for round := range 10 {
		dsn := pgtest.NewDatabase(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := postgres.Open(context.Background(), dsn)
				if err != nil {
					errs <- err
					return
				}
				errs <- st.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent open: %v", round, err)
			}
		}
		st := open(t, dsn)
		v, err := st.SchemaVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var rows, distinct int
		if err := st.Pool().QueryRow(context.Background(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		res, err := st.Check(context.Background())
		if err != nil || !res.Sound() || v != res.Latest || rows != res.Latest || distinct != rows {
			t.Fatalf("round %d: version %d, %d migrations recorded (%d distinct), check %+v %v", round, v, rows, distinct, res, err)
		}
	}
}

// TestOpenRefusesWhatItDoesNotKnow: a newer schema version, and a schema
// holding someone else's tables, are refused rather than added to.
func TestOpenRefusesWhatItDoesNotKnow(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	open(t, dsn).Close()
	exec(t, dsn, `INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future.sql')`)
	if _, err := postgres.Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "schema version 99 is newer than this makegood knows") {
		t.Fatalf("a newer schema: %v", err)
	}
	res, err := postgres.CheckDSN(ctx, dsn)
	if err != nil || res.Sound() || res.SchemaVersion != 99 || res.Findings[0].Check != "schema_version" {
		t.Fatalf("db check of a newer schema: %+v, %v", res, err)
	}

	other := pgtest.NewDatabase(t)
	exec(t, other, `CREATE TABLE invoices (id int)`)
	if _, err := postgres.Open(ctx, other); err == nil || !strings.Contains(err.Error(), `holds a table "invoices"`) {
		t.Fatalf("someone else's schema: %v", err)
	}
	if ok, err := postgres.Exists(ctx, other); ok || err != nil {
		t.Fatalf("Exists on someone else's schema = %v, %v", ok, err)
	}
	exec(t, other, `SELECT 1`) // still there, untouched

	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = "search_path=nowhere"
	if _, err := postgres.Open(ctx, u.String()); err == nil || !strings.Contains(err.Error(), "names no schema that exists") {
		t.Fatalf("a search_path of no schema: %v", err)
	}
}

// TestLedgerTablesAreAppendOnly: typed in SQL on every ledger table,
// UPDATE, DELETE, TRUNCATE and INSERT … ON CONFLICT DO UPDATE are refused
// by the triggers (even for the superuser the tests connect as), an insert
// over a taken id or key by its constraint, and the ledger is unchanged.
func TestLedgerTablesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := open(t, dsn)
	if err := st.AddCustomer(ctx, ledger.Customer{ID: "a", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	c, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD", Reason: "bug", IssuedAt: t0, IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ApplyCredit(ctx, ledger.Apply{Credit: c.ID, AmountMinor: 100, Invoice: "in_1", At: t0}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables []string
	rows, err := conn.Query(ctx, `SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE NOT t.tgisinternal ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) != 18 {
		t.Fatalf("append-only tables: %d %v", len(tables), tables)
	}
	var before int64
	count := func() int64 {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM credits) + (SELECT COUNT(*) FROM credit_entries) +
			(SELECT COUNT(*) FROM ledger_identity)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before = count()
	for _, table := range tables {
		col := firstColumn(t, conn, table)
		for _, q := range []string{
			"UPDATE " + table + " SET " + col + " = " + col,
			"UPDATE " + table + " SET " + col + " = " + col + " WHERE false", // refused even when it matches nothing
			"DELETE FROM " + table,
			"TRUNCATE " + table + " CASCADE",
			"INSERT INTO " + table + " SELECT * FROM " + table + " ON CONFLICT ON CONSTRAINT " + table + "_pkey DO UPDATE SET " + col + " = EXCLUDED." + col,
		} {
			_, err := conn.Exec(ctx, q)
			if pe := pgErr(err); pe == nil || !strings.Contains(pe.Message, "append-only") && !strings.Contains(pe.Message, "written once") {
				t.Errorf("%s: %v, want refused as append-only", q, err)
			}
		}
	}
	for _, q := range []string{
		"INSERT INTO credits SELECT * FROM credits",
		"INSERT INTO credit_entries SELECT * FROM credit_entries",
		"INSERT INTO ledger_identity SELECT * FROM ledger_identity",
		`INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at, idempotency_key) VALUES ('a', 1, 'USD', 'bug', now(), 'k')`,
		`INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at) VALUES (1, 'a', 'USD', 'issue', 1, now())`,
	} {
		if _, err := conn.Exec(ctx, q); pgErr(err) == nil || pgErr(err).Code != "23505" {
			t.Errorf("%s: %v, want a unique violation", q, err)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at)
		VALUES (1, 'a', 'USD', 'apply', -9000000000000000000, now())`); pgErr(err) == nil || pgErr(err).ConstraintName != "credit_entries_amount_bound" {
		t.Errorf("an entry past the bound: %v", err)
	}
	if after := count(); after != before {
		t.Fatalf("rows %d, were %d", after, before)
	}
	// Customers describe the operator's current view and may be edited.
	if _, err := conn.Exec(ctx, `UPDATE customers SET plan = 'team'`); err != nil {
		t.Fatal(err)
	}
	if res, err := st.Check(ctx); err != nil || !res.Sound() {
		t.Fatalf("check: %+v, %v", res, err)
	}
}

// TestLedgerInItsOwnSchema: ?search_path=NAME keeps a ledger in a schema
// of its own, apart from another in the same database.
func TestLedgerInItsOwnSchema(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	exec(t, dsn, `CREATE SCHEMA team_a`, `CREATE SCHEMA team_b`)
	in := func(schema string) *postgres.Ledger {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return open(t, u.String())
	}
	a, b := in("team_a"), in("team_b")
	if err := a.AddCustomer(ctx, ledger.Customer{ID: "only-in-a", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Customer(ctx, "only-in-a"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a customer of team_a in team_b: %v", err)
	}
	ida, _ := a.LedgerID(ctx)
	idb, _ := b.LedgerID(ctx)
	if ida == idb || ida == "" {
		t.Fatalf("identities %q and %q", ida, idb)
	}
	for _, l := range []*postgres.Ledger{a, b} {
		if res, err := l.Check(ctx); err != nil || !res.Sound() {
			t.Fatalf("check: %+v, %v", res, err)
		}
	}
	var public int
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&public); err != nil || public != 0 {
		t.Fatalf("tables in public: %d, %v", public, err)
	}
}

// TestCheckFindsTampering: what a superuser can do behind the triggers'
// backs is found: a disabled or replaced trigger, an extra one, an entry
// written with the checks off, an index dropped.
func TestCheckFindsTampering(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := open(t, dsn)
	if err := st.AddCustomer(ctx, ledger.Customer{ID: "a", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD", Reason: "bug", IssuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn,
		`ALTER TABLE credit_entries DISABLE TRIGGER credit_entries_no_update`,
		`CREATE OR REPLACE FUNCTION makegood_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
		`CREATE FUNCTION sneaky() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
		`CREATE TRIGGER sneaky BEFORE INSERT ON credits FOR EACH ROW EXECUTE FUNCTION sneaky()`,
		`DROP INDEX credit_entries_by_month`,
		`SET session_replication_role = replica`,
		`INSERT INTO credit_entries (credit_id, customer_id, currency, kind, amount_minor, at) VALUES (42, 'a', 'USD', 'issue', 700, now())`,
	)
	res, err := st.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"trigger: credit_entries_no_update is disabled (tgenabled D): ALTER TABLE credit_entries ENABLE TRIGGER credit_entries_no_update",
		"function: makegood_append_only is not the one migration 0001_ledger.sql makes: ",
		"function: sneaky is not one of makegood's",
		"trigger: sneaky is not one of makegood's",
		"index: credit_entries_by_month is missing (it comes from migration 0010_report.sql)",
		"foreign_key: 1 rows of credit_entries point at a missing credits (credit_id)",
		"orphan_entry: entry 2 (issue) names credit 42, which does not exist",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("findings lack %q:\n%s", want, all)
		}
	}
}

// TestImportMeetsAKeyCommittedMeanwhile: two imports (two sessions, as two
// processes are) share an idempotency key; the second writes while the
// first holds the key uncommitted, waits for it, and once it commits
// counts that line as already recorded and writes the rest. A key taken
// meanwhile with other values is a problem of the line, not a failure.
func TestImportMeetsAKeyCommittedMeanwhile(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	if err := a.AddCustomer(ctx, ledger.Customer{ID: "c", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	nc := func(key string, amount int64) ledger.NewCredit {
		return ledger.NewCredit{Customer: "c", AmountMinor: amount, Currency: "USD", Reason: "outage", IssuedAt: t0, IdempotencyKey: key}
	}
	for _, tc := range []struct {
		name         string
		second       int64 // the second import's amount for the shared key
		issued, seen int
		problem      string
	}{
		{"same values", 100, 1, 1, ""},
		{"other values", 999, 0, 0, "with a different amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shared := "shared-" + tc.name
			first, err := a.BeginCreditImport(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Rollback()
			if err := first.Add(ctx, 2, nc(shared, 100)); err != nil {
				t.Fatal(err)
			}
			if _, err := first.Finish(ctx, true, func(line int, err error) { t.Errorf("first: line %d: %v", line, err) }); err != nil {
				t.Fatal(err)
			}
			second, err := b.BeginCreditImport(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer second.Rollback()
			for i, c := range []ledger.NewCredit{nc(shared, tc.second), nc("own-"+tc.name, 7)} {
				if err := second.Add(ctx, 2+i, c); err != nil {
					t.Fatal(err)
				}
			}
			type result struct {
				res      ledger.ImportResult
				problems []string
				err      error
			}
			done := make(chan result, 1)
			go func() {
				var r result
				r.res, r.err = second.Finish(ctx, true, func(line int, err error) {
					r.problems = append(r.problems, fmt.Sprintf("line %d: %v", line, err))
				})
				done <- r
			}()
			// The second waits on the first's key: the server says so.
			for waiting := 0; waiting == 0; {
				select {
				case r := <-done:
					t.Fatalf("the second import finished while the first held its key: %+v", r)
				default:
				}
				if err := a.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := first.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "first " + tc.name}); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				t.Fatalf("second import: %v", r.err)
			}
			if r.res.Issued != tc.issued || r.res.AlreadyRecorded != tc.seen {
				t.Fatalf("second import: %+v, %v", r.res, r.problems)
			}
			if tc.problem == "" {
				if len(r.problems) != 0 {
					t.Fatalf("problems: %v", r.problems)
				}
				if _, err := second.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "second " + tc.name}); err != nil {
					t.Fatal(err)
				}
			} else if len(r.problems) != 1 || !strings.Contains(r.problems[0], "line 2: ") || !strings.Contains(r.problems[0], tc.problem) {
				t.Fatalf("problems: %v", r.problems)
			}
		})
	}
	cs, err := a.Credits(ctx, ledger.CreditFilter{Now: t0})
	if err != nil || len(cs) != 3 {
		t.Fatalf("credits: %d, %v; want the two shared keys' once and the one the second import wrote", len(cs), err)
	}
	if res, err := a.Check(ctx); err != nil || !res.Sound() {
		t.Fatalf("check: %+v, %v", res, err)
	}
}
