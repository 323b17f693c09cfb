package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report/reporttest"
	"github.com/makegood/makegood/internal/store"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
	"github.com/makegood/makegood/internal/store/tables"
	"github.com/makegood/makegood/internal/stripe"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// open opens the ledger at where (a path or a URL), closed when t ends.
func open(t *testing.T, where string) store.Ledger {
	t.Helper()
	loc, err := store.Parse("--db", where)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fill writes something into every table of the ledger, through the
// ledger's interfaces: the report's fixture, and an import, a fix
// correction, an apology delivery, claims and their outcomes, a customer's
// Stripe id, a push and its answer, and a pull with its entry and cursor.
func fill(t *testing.T, st store.Ledger) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	reporttest.Fill(t, st)
	imp, err := st.BeginCreditImport(ctx)
	must(err)
	must(imp.AddCustomer(ctx, ledger.Customer{ID: "cus_Stripe1", Name: "Zoë \"Quote\", Ünlü", Currency: "USD", Period: "month",
		Tags: []string{"vip", "a,b"}, CreatedAt: now, UpdatedAt: now}))
	for i := range 3 {
		must(imp.Add(ctx, 2+i, ledger.NewCredit{Customer: "cus_Stripe1", AmountMinor: int64(1000 + i), Currency: "USD",
			Reason: "outage", Note: "line\nbreak\ttab", IssuedAt: now, IdempotencyKey: fmt.Sprint("copy-", i)}))
	}
	_, err = imp.Finish(ctx, true, func(line int, err error) { t.Fatalf("line %d: %v", line, err) })
	must(err)
	_, err = imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: now, SHA256: "abc", Source: "f.csv", Rows: 3, Written: 3, Operator: "ann"})
	must(err)

	incs, err := st.Incidents(ctx, ledger.IncidentFilter{Status: ledger.IncidentFixed})
	must(err)
	_, err = st.CorrectFix(ctx, incs[0].ID, incs[0].FixedAt.Add(-time.Minute), now)
	must(err)
	as, err := st.Apologies(ctx, ledger.ApologyFilter{})
	must(err)
	must(st.RecordDelivery(ctx, ledger.Delivery{Apology: as[0].ID, Via: ledger.ViaOutbox, Status: ledger.DeliveryQueued,
		MessageID: "<m@x>", At: now}))
	cl2, err := st.Claim(ctx, ledger.NewClaim{Message: ledger.ThanksMessage("cus_Stripe1", "milestone:copy"), Via: ledger.ViaSMTP,
		Nonce: "nonce-2", At: now, By: ledger.Claimer{Host: "h", PID: 8, Run: "r2"}})
	must(err)
	must(st.RecordOutcome(ctx, cl2.ID, ledger.Outcome{Status: ledger.OutcomeUnknown, Error: "hung up", ByHand: true, At: now}))

	c, err := st.Customer(ctx, "cus_Stripe1")
	must(err)
	c.StripeID = "cus_Stripe1"
	must(st.SaveStripeCustomers(ctx, []stripe.CustomerChange{{Customer: c}}))
	credits, err := st.Credits(ctx, ledger.CreditFilter{Customer: "cus_Stripe1", Now: now})
	must(err)
	p := stripe.Push{CreditID: credits[0].ID, Kind: stripe.KindCredit, Customer: c.ID, StripeCustomer: c.ID, AmountMinor: credits[0].AmountMinor,
		AmountStripe: -credits[0].AmountMinor, Currency: "USD", Description: "d", IdempotencyKey: "key-1", IntendedAt: now}
	_, err = st.ClaimPushes(ctx, []stripe.Push{p})
	must(err)
	pending, err := st.PendingPushes(ctx, "")
	must(err)
	must(st.ConfirmPush(ctx, pending[0].ID, "cbtxn_1", stripe.HowSent, now))
	must(st.RecordPull(ctx, stripe.PullRecord{Customer: c.ID, StripeCustomer: c.ID, CursorUnix: now.Unix(), At: now,
		Txns: []stripe.PulledTxn{{ID: "cbtxn_2", Type: "applied_to_invoice", Disposition: stripe.PulledApplied, AmountStripe: 500,
			AmountMinor: 500, Currency: "USD", Invoice: "in_9", Created: now, UnallocatedMinor: 0,
			Entries: []stripe.Allocation{{CreditID: credits[0].ID, AmountMinor: -500}}}}}))

	n, err := st.Counts(ctx)
	must(err)
	for _, tb := range store.Tables() {
		if n[tb.Name] == 0 {
			t.Fatalf("the fixture leaves %s empty: the copy would not be tried on it", tb.Name)
		}
	}
}

// rows is every row of the ledger as db copy reads it, a line each, JSON
// documents compared as what they hold.
func rows(t *testing.T, st store.Ledger) string {
	t.Helper()
	var b strings.Builder
	err := st.CopyOut(context.Background(), func(tb store.Table, row []any) error {
		fmt.Fprintf(&b, "%s:", tb.Name)
		for i, c := range tb.Columns {
			v := row[i]
			if s, ok := v.(string); ok && c.Kind == tables.JSON {
				var doc any
				if err := json.Unmarshal([]byte(s), &doc); err != nil {
					return err
				}
				v = doc
			}
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(&b, " %s=%#v", c.Name, v)
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// runCopy is `makegood --db from db copy --to to [args]`, and its output.
func runCopy(t *testing.T, from, to string, args ...string) (CopyJSON, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	loc, err := store.Parse("--db", from)
	if err != nil {
		t.Fatal(err)
	}
	var st store.Ledger
	opts := &CopyOptions{IO: ios, To: to, Now: func() time.Time { return now },
		Location: func() (store.Location, error) { return loc, nil },
		Ledger: func(ctx context.Context) (store.Ledger, error) {
			var err error
			st, err = store.Open(ctx, loc)
			return st, err
		}}
	opts.Output.JSON = true
	for _, a := range args {
		if a == "--dry-run" {
			opts.DryRun = true
		}
	}
	err = copyRun(context.Background(), opts)
	if st != nil {
		st.Close()
	}
	var res CopyJSON
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
			t.Fatalf("db copy --json: %v\n%s", jerr, out)
		}
	}
	return res, errOut.String(), err
}

// TestCopyBothWays: a SQLite ledger with rows in every table goes to
// PostgreSQL and back to a new SQLite file, and every row of every table
// reads the same in all three, ids and the ledger's identity kept; a
// credit issued on a copy takes the next id; a dry run writes nothing; a
// target that holds something is refused and left as it was.
func TestCopyBothWays(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orig := filepath.Join(dir, "ledger.db")
	src := open(t, orig)
	fill(t, src)
	want := rows(t, src)
	id, err := src.LedgerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src.Close()

	pg := pgtest.NewDatabase(t)
	dry, _, err := runCopy(t, orig, pg, "--dry-run")
	if err != nil || !dry.DryRun || dry.TargetExists || dry.Tables["credit_entries"] == 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	loc, _ := store.Parse("--to", pg)
	if ok, err := store.Exists(ctx, loc); ok || err != nil {
		t.Fatalf("a dry run made a ledger at the target: %v, %v", ok, err)
	}

	res, msg, err := runCopy(t, orig, pg)
	if err != nil {
		t.Fatalf("db copy to PostgreSQL: %v\n%s", err, msg)
	}
	if res.Rows != dry.Rows || res.Balances == 0 {
		t.Fatalf("copied %+v; the dry run said %+v", res, dry)
	}
	copied := open(t, pg)
	if got := rows(t, copied); got != want {
		t.Fatalf("PostgreSQL's copy reads otherwise:\n%s", firstDiff(got, want))
	}
	if got, _ := copied.LedgerID(ctx); got != id {
		t.Fatalf("identity %q, want %q", got, id)
	}
	if chk, err := copied.Check(ctx); err != nil || !chk.Sound() {
		t.Fatalf("db check of the copy: %+v, %v", chk, err)
	}
	// Refused: the copy holds something now, and stays as it is.
	if _, _, err := runCopy(t, orig, pg); !errors.As(err, new(*cmdutil.FlagError)) || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("a second copy into it: %v", err)
	}
	if got := rows(t, copied); got != want {
		t.Fatal("a refused copy changed the target")
	}

	// And back, to a new file.
	back := filepath.Join(dir, "back.db")
	if _, msg, err := runCopy(t, pg, back); err != nil {
		t.Fatalf("db copy to SQLite: %v\n%s", err, msg)
	}
	returned := open(t, back)
	if got := rows(t, returned); got != want {
		t.Fatalf("the round trip reads otherwise:\n%s", firstDiff(got, want))
	}
	if fi, err := os.Stat(back); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy's file: %v, %v", fi, err)
	}

	// Ids go on past the copied ones on both.
	for _, st := range []store.Ledger{copied, returned} {
		cs, err := st.Credits(ctx, ledger.CreditFilter{Limit: 1, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "cus_Stripe1", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: now})
		if err != nil || c.ID != cs[0].ID+1 {
			t.Fatalf("a credit issued on a copy: %+v, %v; the last copied is %d", c, err, cs[0].ID)
		}
	}
}

// TestCopyFileToFile: SQLite to SQLite, with rows in every table, reads
// the same, PostgreSQL or not.
func TestCopyFileToFile(t *testing.T) {
	dir := t.TempDir()
	orig, copied := filepath.Join(dir, "ledger.db"), filepath.Join(dir, "copy.db")
	src := open(t, orig)
	fill(t, src)
	want := rows(t, src)
	src.Close()
	if _, msg, err := runCopy(t, orig, copied); err != nil {
		t.Fatalf("db copy: %v\n%s", err, msg)
	}
	if got := rows(t, open(t, copied)); got != want {
		t.Fatalf("the copy reads otherwise:\n%s", firstDiff(got, want))
	}
}

// TestCopyIntoAnEmptyLedger: a target someone opened once (migrated,
// with an identity of its own, nothing in it) takes the copy and the
// original's identity.
func TestCopyIntoAnEmptyLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orig := filepath.Join(dir, "ledger.db")
	src := open(t, orig)
	if err := src.AddCustomer(ctx, ledger.Customer{ID: "a", Currency: "USD", Period: "month", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	id, _ := src.LedgerID(ctx)
	src.Close()
	for name, target := range map[string]func(t *testing.T) string{
		"postgres": func(t *testing.T) string { return pgtest.NewDatabase(t) },
		"sqlite":   func(*testing.T) string { return filepath.Join(dir, "empty.db") },
	} {
		t.Run(name, func(t *testing.T) {
			target := target(t)
			empty := open(t, target)
			if other, _ := empty.LedgerID(ctx); other == id {
				t.Fatal("two new ledgers share an identity")
			}
			empty.Close()
			if _, msg, err := runCopy(t, orig, target); err != nil {
				t.Fatalf("db copy: %v\n%s", err, msg)
			}
			st := open(t, target)
			if got, _ := st.LedgerID(ctx); got != id {
				t.Fatalf("identity %q, want %q", got, id)
			}
			if chk, err := st.Check(ctx); err != nil || !chk.Sound() {
				t.Fatalf("db check: %+v, %v", chk, err)
			}
		})
	}
}

// TestCopyRefusesItselfAndStrangers: --to naming the ledger itself, or
// something that is not a ledger's place, is a usage error.
func TestCopyRefusesItselfAndStrangers(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "ledger.db")
	open(t, orig).Close()
	for to, want := range map[string]string{
		orig:                                 "is the ledger itself",
		"mysql://root@localhost/x":           "is a mysql:// URL",
		filepath.Join(dir, ".", "ledger.db"): "is the ledger itself",
	} {
		if _, _, err := runCopy(t, orig, to); !errors.As(err, new(*cmdutil.FlagError)) || !strings.Contains(err.Error(), want) {
			t.Errorf("--to %s: %v, want a usage error saying %q", to, err, want)
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, a, b)
		}
	}
	return ""
}
