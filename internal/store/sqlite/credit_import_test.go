package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/ledger/ledgertest"
)

type importProblem struct {
	line int
	err  error
}

// importRows runs one credit import of rows (line -> credit) through
// Finish and returns what it reported; commit says whether to commit.
func importRows(t *testing.T, st *Ledger, lines []int, credit func(i int) ledger.NewCredit, commit bool) (ledger.ImportResult, []importProblem) {
	t.Helper()
	ctx := context.Background()
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	for i, line := range lines {
		if err := imp.Add(ctx, line, credit(i)); err != nil {
			t.Fatalf("Add line %d: %v", line, err)
		}
	}
	var problems []importProblem
	res, err := imp.Finish(ctx, true, func(line int, err error) { problems = append(problems, importProblem{line, err}) })
	if err != nil {
		t.Fatal(err)
	}
	if commit && len(problems) == 0 {
		if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: testNow, SHA256: fmt.Sprint(lines[0], len(lines)), Rows: len(lines), Written: res.Issued}); err != nil {
			t.Fatal(err)
		}
	}
	return res, problems
}

func keyed(customers int) func(i int) ledger.NewCredit {
	return func(i int) ledger.NewCredit {
		return ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%customers), AmountMinor: int64(100 + i), Currency: "USD",
			Reason: "outage", IssuedAt: testNow, IdempotencyKey: fmt.Sprintf("key-%d", i)}
	}
}

// TestCreditImportRebuildsIndexes: an import as big as the ledger drops
// the credit tables' indexes led by the customer and builds them again
// before it commits; the ledger ends with the same schema, sound, and its
// queries use the indexes. An import that fails after the drop leaves the
// schema as it was.
func TestCreditImportRebuildsIndexes(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	st.rebuildMin = 300
	fill(t, st, 20, 100)
	schema := func() []string {
		var out []string
		err := eachRowDB(ctx, st, `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema ORDER BY name`, func(s string) { out = append(out, s) })
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	before := schema()

	// Fails on its last row, a repeat, long after the indexes went.
	lines := make([]int, 2000)
	for i := range lines {
		lines[i] = i + 2
	}
	failing := func(i int) ledger.NewCredit {
		if i == len(lines)-1 {
			i = 0
		}
		nc := keyed(20)(i)
		nc.IdempotencyKey = "r" + nc.IdempotencyKey
		return nc
	}
	if _, problems := importRows(t, st, lines, failing, true); len(problems) != 1 {
		t.Fatalf("problems = %v, want the repeat", problems)
	}
	if got := schema(); !slices.Equal(got, before) {
		t.Fatalf("after a failed import the schema is\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}

	res, problems := importRows(t, st, lines, func(i int) ledger.NewCredit {
		nc := keyed(20)(i)
		nc.IdempotencyKey = "r" + nc.IdempotencyKey
		return nc
	}, true)
	if len(problems) > 0 || res.Issued != len(lines) {
		t.Fatalf("import: %+v, %v", res, problems)
	}
	if after := schema(); !slices.Equal(after, before) {
		t.Fatalf("schema after the import:\n%s\nwant as before:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	// Built again, they are the newest entries of the schema.
	var newest []string
	if err := eachRowDB(ctx, st, `SELECT name FROM sqlite_schema ORDER BY rowid DESC LIMIT 2`, func(s string) { newest = append(newest, s) }); err != nil {
		t.Fatal(err)
	}
	if slices.Sort(newest); !slices.Equal(newest, []string{"credit_entries_balance", "credits_by_customer"}) {
		t.Errorf("the newest schema entries are %v, want the two indexes led by the customer", newest)
	}
	var ok string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
	// The statistics ANALYZE had for the rebuilt indexes are back.
	var stats int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE idx IN ('credits_by_customer', 'credit_entries_balance')`).Scan(&stats); err != nil || stats != 2 {
		t.Fatalf("statistics for the rebuilt indexes: %d, %v", stats, err)
	}
	plan, err := st.plan(ctx, `SELECT currency, SUM(amount_minor) FROM credit_entries WHERE customer_id = ? GROUP BY currency`, []any{"cus_7"})
	if err != nil || !strings.Contains(strings.Join(plan, "\n"), "COVERING INDEX credit_entries_balance") {
		t.Fatalf("a customer's entries after the rebuild: %v, %v", plan, err)
	}
	if n := count(t, st, "credit_entries"); n != 100+len(lines) {
		t.Errorf("entries = %d, want %d", n, 100+len(lines))
	}
	bal, err := st.Balances(ctx, "cus_7", testNow)
	if err != nil || len(bal) != 1 {
		t.Fatalf("balances: %v, %v", bal, err)
	}
	var want int64
	for i := range 100 {
		if i%20 == 7 {
			want += int64(100 + i)
		}
	}
	for i := range lines {
		if i%20 == 7 {
			want += int64(100 + i)
		}
	}
	if bal[0].BalanceMinor != want {
		t.Errorf("balance of cus_7 = %d, want %d", bal[0].BalanceMinor, want)
	}
}

func eachRowDB(ctx context.Context, st *Ledger, q string, fn func(string)) error {
	rows, err := st.DB().QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}

// TestImportMatchesRowsByKeyNotPosition: the ids an INSERT … RETURNING
// hands back come in no set order and, on an engine with several
// writers, not one after another. match gives each keyed row the id that
// came with its key, the first of two rows with one key, and the keyless
// rows the other ids; here the "returned" rows are a query's, in an order
// and with ids no single writer would give.
func TestImportMatchesRowsByKeyNotPosition(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	ci := imp.(*creditImport)
	row := func(line int, key string) queued {
		return queued{line: line, nc: ledger.NewCredit{Customer: "c", AmountMinor: 1, Currency: "USD", IdempotencyKey: key}}
	}
	rows := []queued{row(2, "a"), row(3, ""), row(4, "b"), row(5, "a"), row(6, ""), row(7, "c")}
	// "c" was taken: not returned. The second "a" was left out.
	got, err := ci.tx.QueryContext(ctx, `SELECT column1, column2 FROM (VALUES (90, 'b'), (17, NULL), (40, 'a'), (12, NULL)) ORDER BY column1 % 7`)
	if err != nil {
		t.Fatal(err)
	}
	if err := ci.match(rows, got, nil); err != nil {
		t.Fatal(err)
	}
	if want := []int64{40, 12, 90, 0, 17, 0}; !slices.Equal(ci.rowIDs[:len(rows)], want) {
		t.Fatalf("ids = %v, want %v", ci.rowIDs[:len(rows)], want)
	}
	var order []int
	for _, w := range ci.byID {
		order = append(order, w.row)
	}
	if want := []int{1, 4, 0, 2}; !slices.Equal(order, want) {
		t.Fatalf("rows by id = %v, want %v", order, want)
	}

	// A returned key no row has, or a keyless row with no id left, is an
	// error, never a guess.
	for _, q := range []string{
		`SELECT 5, 'zzz'`,
		`SELECT 5, 'a' UNION ALL SELECT 6, 'b'`,
	} {
		got, err := ci.tx.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if err := ci.match(rows, got, nil); err == nil {
			t.Errorf("%s: matched", q)
		}
	}
}

// TestImportEntriesForScatteredIds: the issue entries of a batch whose ids
// are not one run are written all the same (by list rather than by range),
// each for its own credit only.
func TestImportEntriesForScatteredIds(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	fill(t, st, 2, 3) // credits 1 to 3, with entries
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	ci := imp.(*creditImport)
	for _, id := range []int64{10, 20, 11} {
		if _, err := ci.tx.ExecContext(ctx, `INSERT INTO credits (id, customer_id, amount_minor, currency, reason, note, issued_at)
			VALUES (?, 'cus_0', ?, 'USD', 'outage', '', ?)`, id, id*100, fmtTime(testNow)); err != nil {
			t.Fatal(err)
		}
	}
	ci.written = []idRange{{10, 11}, {20, 20}}
	if err := ci.writeEntries(ctx, 3); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
		var id, amount int64
		if err := r.Scan(&id, &amount); err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("%d:%d", id, amount))
		return nil
	}, `SELECT credit_id, amount_minor FROM credit_entries WHERE kind = 'issue' ORDER BY credit_id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1:100", "2:101", "3:102", "10:1000", "11:1100", "20:2000"}; !slices.Equal(got, want) {
		t.Fatalf("issue entries = %v, want %v", got, want)
	}
}

// TestImportLineRuns: the import knows exactly which credits it wrote and
// from which line, in memory and once spilled to its temporary table,
// whatever order the ids came in.
func TestImportLineRuns(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	tx := imp.(*creditImport).tx
	var r lineRuns
	written := map[int64]int{}
	add := func(id int64, line int) {
		r.add(ctx, tx, id, line)
		written[id] = line
	}
	for i := range 5 { // one run: ids 101-105, lines 2-6
		add(int64(101+i), 2+i)
	}
	add(107, 7) // a gap in ids
	add(108, 9) // a gap in lines
	add(50, 10) // an id below the runs: they move to the table
	add(51, 11)
	add(200, 12)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.spilled {
		t.Fatal("an id below the runs did not spill them")
	}
	for id := int64(40); id <= 210; id++ {
		line, ours, err := r.line(ctx, tx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, wantOurs := written[id]
		if ours != wantOurs || line != want && ours {
			t.Errorf("credit %d: line %d, ours %v; want line %d, ours %v", id, line, ours, want, wantOurs)
		}
	}
	// Past maxRuns the runs spill too, and stay exact.
	var many lineRuns
	for i := range maxRuns + 10 {
		many.add(ctx, tx, int64(1000+2*i), 3*i) // every id its own run
	}
	if many.err != nil || !many.spilled {
		t.Fatalf("spill: %v, %v", many.spilled, many.err)
	}
	for _, id := range []int64{1000, 1001, 1000 + 2*maxRuns + 18, 1000 + 2*maxRuns + 19} {
		line, ours, err := many.line(ctx, tx, id)
		if err != nil {
			t.Fatal(err)
		}
		if wantOurs := id%2 == 0; ours != wantOurs || ours && line != int(3*(id-1000)/2) {
			t.Errorf("credit %d: line %d, ours %v", id, line, ours)
		}
	}
}

// TestImportFindsItsCreditsWithoutTheRange: when a batch's ids are not the
// run after the largest the import knew (here it is made to know less
// than there is, as if another writer had written meanwhile), the import
// finds its own credits by what only they lack, their issue entry, and
// still counts, keys and reports every row exactly.
func TestImportFindsItsCreditsWithoutTheRange(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	fill(t, st, 2, 5) // k0..k4
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	imp.(*creditImport).maxID = 1 // credits 2 to 5 look like someone else's
	credit := func(key string, amount int64) ledger.NewCredit {
		c := ledger.NewCredit{Customer: "cus_0", AmountMinor: amount, Currency: "USD", Reason: "outage", IssuedAt: testNow, IdempotencyKey: key}
		if key == "k3" { // as fill recorded it
			c.Customer = "cus_1"
		}
		return c
	}
	for i, nc := range []ledger.NewCredit{credit("new-1", 10), credit("", 20), credit("k3", 103), credit("new-2", 30), credit("new-1", 10)} {
		if err := imp.Add(ctx, 2+i, nc); err != nil {
			t.Fatal(err)
		}
	}
	var problems []string
	res, err := imp.Finish(ctx, false, func(line int, err error) { problems = append(problems, fmt.Sprintf("line %d: %v", line, err)) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`line 6: idempotency key "new-1" is also used on line 2; each row needs its own`}
	if !slices.Equal(problems, want) || res.AlreadyRecorded != 1 {
		t.Fatalf("problems %q, %+v; want %q and k3 already recorded", problems, res, want)
	}
	// Without the repeat the same rows import, each with its entry.
	imp.Rollback()
	imp, err = st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	imp.(*creditImport).maxID = 1
	for i, nc := range []ledger.NewCredit{credit("new-1", 10), credit("", 20), credit("k3", 103), credit("new-2", 30)} {
		if err := imp.Add(ctx, 2+i, nc); err != nil {
			t.Fatal(err)
		}
	}
	res, err = imp.Finish(ctx, true, func(line int, err error) { t.Errorf("line %d: %v", line, err) })
	if err != nil || res.Issued != 3 || res.AlreadyRecorded != 1 || res.Totals["USD"] != 60 {
		t.Fatalf("finish: %+v, %v", res, err)
	}
	if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: testNow, SHA256: "x", Rows: 4, Written: 3}); err != nil {
		t.Fatal(err)
	}
	bal, err := st.Balances(ctx, "cus_0", testNow)
	if err != nil || len(bal) != 1 || bal[0].BalanceMinor != 100+102+104+60 {
		t.Fatalf("balance: %+v, %v", bal, err)
	}
	if res, err := st.Check(ctx); err != nil || !res.Sound() {
		t.Fatalf("check: %+v, %v", res, err)
	}
}

// TestCreditImportRestoresTheConnection: the import's connection leaves
// foreign keys to the import, which refuses a credit for a customer the
// ledger does not have (the contract suite); afterwards the connection
// checks them again and has SQLite's default cache.
func TestCreditImportRestoresTheConnection(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	st.DB().SetMaxOpenConns(1) // the import's connection is the one checked below
	fill(t, st, 1, 1)
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nc := keyed(1)(5)
	nc.Customer = "nobody"
	var nf *ledger.NotFoundError
	if err := imp.Add(ctx, 2, nc); !errors.As(err, &nf) || nf.ID != "nobody" {
		t.Errorf("Add for an unknown customer: %v", err)
	}
	if err := imp.Rollback(); err != nil {
		t.Fatal(err)
	}
	var fk, cache int
	if err := st.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys after an import = %d, %v", fk, err)
	}
	if err := st.DB().QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil || cache != -2000 {
		t.Errorf("cache_size after an import = %d, %v; want SQLite's default", cache, err)
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO credits (customer_id, amount_minor, currency, reason, issued_at)
		VALUES ('nobody', 1, 'USD', 'x', 'x')`); err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a credit for an unknown customer outside imports: %v", err)
	}
}

// TestImportChecksKeysAsASet: an import big enough to drop the
// idempotency key's index (and the customer-led ones) checks its keys as
// a set at the end, and comes to what the row-by-row way comes to with
// the index kept: the same repeats and conflicts, on the same lines and
// in the same order, the same rows skipped as already recorded, and, when
// committed, the same credits and balances.
func TestImportChecksKeysAsASet(t *testing.T) {
	ctx := context.Background()
	open := func(rebuildMin int) *Ledger {
		st := openTest(t)
		st.rebuildMin = rebuildMin
		fill(t, st, 20, 100) // k0..k99: cus_<i%20>, 100+i
		return st
	}
	rowByRow, asSet := open(1<<30), open(300) // the set one drops the indexes after 500 rows
	lines := make([]int, 1200)
	for i := range lines {
		lines[i] = 2 + i + i/7 // not every line is a row
	}
	file := func(i int) ledger.NewCredit {
		nc := keyed(20)(i)
		nc.IdempotencyKey = fmt.Sprintf("f%d", i)
		return nc
	}
	recorded := func(nc *ledger.NewCredit, k int) { // the values fill gave k<k>
		nc.IdempotencyKey, nc.Customer, nc.AmountMinor = fmt.Sprintf("k%d", k), fmt.Sprintf("cus_%d", k%20), int64(100+k)
	}
	describe := func(ps []importProblem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("line %d: %v", p.line, p.err))
		}
		return out
	}

	// Problems of every kind, all after the indexes were dropped.
	withProblems := func(i int) ledger.NewCredit {
		nc := file(i)
		switch i {
		case 600:
			nc.IdempotencyKey = "f10" // repeats a line written before the drop
		case 700:
			nc.IdempotencyKey = "f650" // repeats a line written after it
		case 800:
			recorded(&nc, 5) // recorded with these values: skipped
		case 801:
			recorded(&nc, 6)
			nc.AmountMinor++ // recorded with another amount: a conflict
		case 900:
			recorded(&nc, 5) // skipped again, and a repeat of line 800's
		case 901:
			recorded(&nc, 6)
			nc.Reason = "other" // a conflict and a repeat
		case 1100:
			nc.IdempotencyKey = ""
		}
		return nc
	}
	want := rowByRow.dumpCredits(t)
	res1, p1 := importRows(t, rowByRow, lines, withProblems, true)
	res2, p2 := importRows(t, asSet, lines, withProblems, true)
	if len(p1) != 6 || !slices.Equal(describe(p1), describe(p2)) || res1.AlreadyRecorded != res2.AlreadyRecorded {
		t.Fatalf("row by row: %+v\n%s\nas a set: %+v\n%s", res1, strings.Join(describe(p1), "\n"), res2, strings.Join(describe(p2), "\n"))
	}
	for _, st := range []*Ledger{rowByRow, asSet} {
		if got := st.dumpCredits(t); !slices.Equal(got, want) {
			t.Fatalf("an import with problems left credits behind")
		}
	}

	// Only rows already recorded: they are skipped, the rest committed,
	// after a dry run that says the same.
	skipping := func(i int) ledger.NewCredit {
		nc := file(i)
		switch i {
		case 800:
			recorded(&nc, 5)
		case 950:
			recorded(&nc, 7)
			expires := testNow.AddDate(0, 3, 0)
			nc.ExpiresAt = &expires // not as recorded: a conflict, below
		case 1000:
			nc.IdempotencyKey = ""
		case 1199:
			recorded(&nc, 99)
		}
		return nc
	}
	for _, st := range []*Ledger{rowByRow, asSet} {
		_, ps := importRows(t, st, lines, skipping, false)
		if len(ps) != 1 || !errors.Is(ps[0].err, ledger.ErrConflict) || !strings.Contains(ps[0].err.Error(), "expiry") {
			t.Fatalf("problems = %s, want the expiry of line %d", describe(ps), lines[950])
		}
	}
	skipping2 := func(i int) ledger.NewCredit {
		if i == 950 {
			return file(i)
		}
		return skipping(i)
	}
	dry := func(st *Ledger) ledger.ImportResult {
		imp, err := st.BeginCreditImport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer imp.Rollback()
		for i, line := range lines {
			if err := imp.Add(ctx, line, skipping2(i)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := imp.Finish(ctx, false, func(line int, err error) { t.Errorf("dry run: line %d: %v", line, err) })
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	d1, d2 := dry(rowByRow), dry(asSet)
	res1, p1 = importRows(t, rowByRow, lines, skipping2, true)
	res2, p2 = importRows(t, asSet, lines, skipping2, true)
	if len(p1)+len(p2) > 0 {
		t.Fatalf("problems: %s / %s", describe(p1), describe(p2))
	}
	wantRes := fmt.Sprintf("%+v", ledger.ImportResult{Issued: len(lines) - 2, AlreadyRecorded: 2, Totals: res1.Totals})
	for _, r := range []ledger.ImportResult{d1, d2, res1, res2} {
		if fmt.Sprintf("%+v", r) != wantRes {
			t.Errorf("result %+v, want %s (dry runs %+v, %+v)", r, wantRes, d1, d2)
		}
	}
	if a, b := rowByRow.dumpCredits(t), asSet.dumpCredits(t); !slices.Equal(a, b) || len(a) != 100+len(lines)-2 {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Logf("first difference: %s / %s", a[i], b[i])
				break
			}
		}
		t.Errorf("after the import the two ledgers hold %d and %d credits, differing", len(a), len(b))
	}
	for _, st := range []*Ledger{rowByRow, asSet} {
		res, err := CheckFile(ctx, st.Path())
		if err != nil || !res.Sound() {
			t.Errorf("db check: %+v, %v", res, err)
		}
		var idx string
		if err := st.DB().QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'credits_by_key'`).Scan(&idx); err != nil || !strings.Contains(idx, "UNIQUE") {
			t.Errorf("the key's index after the import: %q, %v", idx, err)
		}
	}
	// Only the set way built the key's index again: its schema entry is
	// now newer than that of the index migration 0011 made after it.
	for _, c := range []struct {
		st    *Ledger
		built bool
	}{{rowByRow, false}, {asSet, true}} {
		var built bool
		if err := c.st.DB().QueryRowContext(ctx, `SELECT (SELECT rowid FROM sqlite_schema WHERE name = 'credits_by_key') >
			(SELECT rowid FROM sqlite_schema WHERE name = 'credits_by_reason')`).Scan(&built); err != nil || built != c.built {
			t.Errorf("credits_by_key built again: %v (%v), want %v", built, err, c.built)
		}
	}
	a, err := rowByRow.Balances(ctx, "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := asSet.Balances(ctx, "", testNow); err != nil || !slices.Equal(a, b) {
		t.Errorf("balances %v and %v (%v)", a, b, err)
	}
}

// dumpCredits lists every credit with its issue entry, without ids (two
// ways of importing may number them differently).
func (s *Ledger) dumpCredits(t *testing.T) []string {
	t.Helper()
	var out []string
	err := eachRowDB(context.Background(), s, `SELECT c.customer_id || '|' || c.amount_minor || '|' || c.currency || '|' || c.reason || '|' ||
		c.note || '|' || c.issued_at || '|' || COALESCE(c.expires_at, '-') || '|' || COALESCE(c.idempotency_key, '-') || '|' ||
		e.amount_minor || '|' || e.customer_id || '|' || e.at
		FROM credits c JOIN credit_entries e ON e.credit_id = c.id AND e.kind = 'issue'
		ORDER BY c.idempotency_key, c.amount_minor, c.customer_id`, func(s string) { out = append(out, s) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestContractDroppingIndexes runs the contract with the index rebuild
// from the first full batch on, so every import of more than one batch
// (importBatch rows) drops the indexes and checks its keys as a set.
func TestContractDroppingIndexes(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		st := openTest(t)
		st.rebuildMin = 1
		return st
	})
}
