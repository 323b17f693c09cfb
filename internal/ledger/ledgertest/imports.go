package ledgertest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func importTests() []contractTest {
	return []contractTest{
		{"CreditImport", testCreditImport},
		{"CreditImportRepeatedKeys", testCreditImportRepeatedKeys},
		{"CreditImportConflictsAfterRepeats", testCreditImportConflictsAfterRepeats},
		{"CreditImportChecksOnlyWithoutWrite", testCreditImportChecksOnlyWithoutWrite},
		{"CreditImportChecksCustomers", testCreditImportChecksCustomers},
		{"CreditImportValues", testCreditImportValues},
		{"CustomerImport", testCustomerImport},
		{"CustomerImportKeepsStripeID", testCustomerImportKeepsStripeID},
	}
}

// fill imports n credits spread over customers cus_0 … (in USD, added by
// the import), through the bulk path: credit i is 100+i minor units for
// cus_<i%customers>, keyed k<i>.
func (e *env) fill(customers, n int) []ledger.Credit {
	e.t.Helper()
	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	for i := range customers {
		e.must(imp.AddCustomer(e.ctx, ledger.Customer{ID: fmt.Sprintf("cus_%d", i), Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}))
	}
	for i := range n {
		nc := ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%customers), AmountMinor: int64(100 + i), Currency: "USD",
			Reason: "outage", IssuedAt: t0, IdempotencyKey: fmt.Sprintf("k%d", i)}
		e.must(imp.Add(e.ctx, i+2, nc))
	}
	if _, err := imp.Finish(e.ctx, true, func(line int, err error) { e.t.Fatalf("line %d: %v", line, err) }); err != nil {
		e.t.Fatal(err)
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: fmt.Sprint("fill", n), Rows: n, Written: n}); err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.st.Credits(e.ctx, ledger.CreditFilter{Now: t0})
	e.must(err)
	slices.Reverse(cs)
	return cs
}

type importProblem struct {
	line int
	err  error
}

// importRows runs one credit import of rows (line -> credit) through
// Finish and returns what it reported; commit says whether to commit.
func (e *env) importRows(lines []int, credit func(i int) ledger.NewCredit, commit bool) (ledger.ImportResult, []importProblem) {
	e.t.Helper()
	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	for i, line := range lines {
		if err := imp.Add(e.ctx, line, credit(i)); err != nil {
			e.t.Fatalf("Add line %d: %v", line, err)
		}
	}
	var problems []importProblem
	res, err := imp.Finish(e.ctx, true, func(line int, err error) { problems = append(problems, importProblem{line, err}) })
	e.must(err)
	if commit && len(problems) == 0 {
		if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: fmt.Sprint(lines[0], len(lines)),
			Rows: len(lines), Written: res.Issued}); err != nil {
			e.t.Fatal(err)
		}
	}
	return res, problems
}

func keyed(customers int) func(i int) ledger.NewCredit {
	return func(i int) ledger.NewCredit {
		return ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%customers), AmountMinor: int64(100 + i), Currency: "USD",
			Reason: "outage", IssuedAt: t0, IdempotencyKey: fmt.Sprintf("key-%d", i)}
	}
}

func testCreditImport(e *env) {
	t := e.t
	e.fill(2, 3) // k0..k2 recorded, customers cus_0 and cus_1

	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	known, cur, err := imp.Customer(e.ctx, "cus_1")
	if err != nil || !known || cur != "USD" {
		t.Fatalf("Customer(cus_1) = %v, %q, %v", known, cur, err)
	}
	if known, _, _ := imp.Customer(e.ctx, "nobody"); known {
		t.Fatalf("an unknown customer is known")
	}
	nc := func(key string, amount int64) ledger.NewCredit {
		return ledger.NewCredit{Customer: "cus_0", AmountMinor: amount, Currency: "USD", Reason: "outage", IssuedAt: t0, IdempotencyKey: key}
	}
	var problems []importProblem
	report := func(line int, err error) { problems = append(problems, importProblem{line, err}) }
	add := func(imp ledger.CreditImport, line int, c ledger.NewCredit) {
		t.Helper()
		e.must(imp.Add(e.ctx, line, c))
	}

	// k0 was recorded by fill with amount 100 for cus_0: the same values
	// are skipped, other values are a conflict; a key twice in the file is
	// a problem naming both lines.
	add(imp, 2, nc("k0", 100))
	add(imp, 3, nc("k2", 999))
	add(imp, 4, nc("new", 5))
	add(imp, 9, nc("new", 5))
	_, err = imp.Finish(e.ctx, true, report)
	e.must(err)
	if len(problems) != 2 {
		t.Fatalf("problems = %v", problems)
	}
	var dup *ledger.DuplicateKeyError
	if problems[0].line != 9 || !errors.As(problems[0].err, &dup) || dup.FirstLine != 4 {
		t.Errorf("key twice: %+v", problems[0])
	}
	if problems[1].line != 3 || !errors.Is(problems[1].err, ledger.ErrConflict) || !strings.Contains(problems[1].err.Error(), "with a different amount") {
		t.Errorf("different values: %+v", problems[1])
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "bad"}); err == nil {
		t.Fatal("an import with problems was committed")
	}
	if n := e.counts(); n.Credits != 3 || n.Imports != 1 {
		t.Errorf("with problems, credits = %d imports = %d, want the 3 and 1 from before", n.Credits, n.Imports)
	}

	imp, err = e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	problems = nil
	add(imp, 2, nc("k0", 100))
	add(imp, 3, nc("new", 5))
	add(imp, 4, nc("", 7))
	eur := nc("", 1)
	eur.Currency = "EUR"
	add(imp, 5, eur)
	res, err := imp.Finish(e.ctx, true, report)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Finish: %v, problems %v", err, problems)
	}
	if res.Issued != 3 || res.AlreadyRecorded != 1 || res.Totals["USD"] != 12 || res.Totals["EUR"] != 1 {
		t.Errorf("result = %+v", res)
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "abc", Source: "f.csv", Rows: 9, Written: 2, AlreadyRecorded: 1, Operator: "ann"}); err != nil {
		t.Fatal(err)
	}
	if n := e.counts(); n.Credits != 6 || n.Entries != 6 {
		t.Errorf("credits = %d entries = %d, want 3 + 3", n.Credits, n.Entries)
	}
	bal, err := e.st.Balances(e.ctx, "cus_0", t0)
	e.must(err)
	if !slices.Equal(bal, []ledger.Balance{{Customer: "cus_0", Currency: "EUR", BalanceMinor: 1}, {Customer: "cus_0", Currency: "USD", BalanceMinor: 100 + 102 + 5 + 7}}) {
		t.Errorf("balances %+v", bal)
	}

	imps, err := e.st.Imports(e.ctx)
	if err != nil || len(imps) != 2 || imps[0].SHA256 != "abc" || imps[0].Operator != "ann" || !imps[0].At.Equal(t0) ||
		imps[0].Kind != ledger.ImportCredits || imps[0].Source != "f.csv" || imps[0].Rows != 9 || imps[0].Written != 2 || imps[0].AlreadyRecorded != 1 {
		t.Fatalf("Imports = %+v, %v", imps, err)
	}
	imp2, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp2.Rollback()
	prev, err := imp2.PreviousImport(e.ctx, ledger.ImportCredits, "abc")
	if err != nil || prev == nil || prev.Rows != 9 {
		t.Fatalf("PreviousImport = %+v, %v", prev, err)
	}
	if prev, err := imp2.PreviousImport(e.ctx, ledger.ImportCustomers, "abc"); err != nil || prev != nil {
		t.Fatalf("PreviousImport of another kind = %+v, %v", prev, err)
	}
	before := e.dump()
	add(imp2, 2, nc("rolled back", 5))
	if err := imp2.AddCustomer(e.ctx, ledger.Customer{ID: "rolled back too", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	add(imp2, 3, ledger.NewCredit{Customer: "rolled back too", AmountMinor: 5, Currency: "USD", Reason: "outage", IssuedAt: t0})
	if _, err := imp2.Finish(e.ctx, true, report); err != nil {
		t.Fatal(err)
	}
	e.must(imp2.Rollback())
	if after := e.dump(); after != before {
		t.Errorf("a rolled back import wrote:\n%s\nwas:\n%s", after, before)
	}
}

// testCreditImportRepeatedKeys: a key used twice in a file is reported on
// the later line with the line that used it first, however far apart the
// two are (other batches, lines that do not follow one another, more runs
// of lines than an engine keeps in memory: SQLite keeps 4,096) and
// whether the first one was written by the import or recorded before it.
func testCreditImportRepeatedKeys(e *env) {
	t := e.t
	e.fill(3, 5) // k0..k4 recorded

	// A line left out after every second row (a blank line, a row that
	// failed), so that the import sees many short runs of lines.
	n := 2*4096 + 1200
	lines := make([]int, n)
	for i := range lines {
		lines[i] = 2 + i + i/2
	}
	credit := func(i int) ledger.NewCredit {
		nc := keyed(3)(i)
		switch i {
		case n - 3: // repeats an early row
			nc = keyed(3)(1)
		case n - 2: // repeats a row in the same batch
			nc = keyed(3)(n - 5)
		case n - 1: // recorded before, the same values: skipped
			nc.IdempotencyKey, nc.AmountMinor, nc.Customer = "k1", 101, "cus_1"
		case 10: // recorded before, the same values: skipped, but see below
			nc.IdempotencyKey, nc.AmountMinor, nc.Customer = "k2", 102, "cus_2"
		case 11: // ... used again: a repeat, though neither line is written
			nc.IdempotencyKey, nc.AmountMinor, nc.Customer = "k2", 102, "cus_2"
		}
		return nc
	}
	before := e.dump()
	res, problems := e.importRows(lines, credit, false)
	want := []string{
		fmt.Sprintf("line %d: key-1 first on line 3", lines[n-3]),
		fmt.Sprintf("line %d: key-%d first on line %d", lines[n-2], n-5, lines[n-5]),
		fmt.Sprintf("line %d: k2 first on line %d", lines[11], lines[10]),
	}
	var got []string
	for _, p := range problems {
		var dup *ledger.DuplicateKeyError
		if !errors.As(p.err, &dup) {
			t.Fatalf("line %d: %v, want a repeated key", p.line, p.err)
		}
		got = append(got, fmt.Sprintf("line %d: %s first on line %d", p.line, dup.Key, dup.FirstLine))
	}
	// Reported in the order of the file.
	slices.SortFunc(want, func(a, b string) int { return lineOf(a) - lineOf(b) })
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.AlreadyRecorded != 3 {
		t.Errorf("already recorded = %d, want 3 (lines %d, %d, %d)", res.AlreadyRecorded, lines[10], lines[11], lines[n-1])
	}
	if after := e.dump(); after != before {
		t.Errorf("a file with problems left something behind")
	}
}

func lineOf(s string) int {
	var n int
	fmt.Sscanf(s, "line %d:", &n)
	return n
}

// testCreditImportConflictsAfterRepeats: problems come repeats first, then
// keys recorded with other values, each in the file's order, as the
// command prints them.
func testCreditImportConflictsAfterRepeats(e *env) {
	t := e.t
	e.fill(1, 2) // k0 (100), k1 (101) for cus_0
	credit := func(i int) ledger.NewCredit {
		nc := ledger.NewCredit{Customer: "cus_0", AmountMinor: 5, Currency: "USD", Reason: "outage", IssuedAt: t0}
		switch i {
		case 0:
			nc.IdempotencyKey, nc.AmountMinor = "k1", 7 // conflict
		case 1:
			nc.IdempotencyKey = "a"
		case 2:
			nc.IdempotencyKey, nc.AmountMinor, nc.Reason = "k0", 100, "other" // conflict
		case 3:
			nc.IdempotencyKey = "a" // repeat of line 3
		}
		return nc
	}
	_, problems := e.importRows([]int{2, 3, 4, 5, 6}, credit, false)
	if len(problems) != 3 {
		t.Fatalf("problems = %v", problems)
	}
	var dup *ledger.DuplicateKeyError
	if problems[0].line != 5 || !errors.As(problems[0].err, &dup) || dup.FirstLine != 3 {
		t.Errorf("first problem = %d: %v, want the repeat on line 5", problems[0].line, problems[0].err)
	}
	for i, w := range []struct {
		line int
		diff string
	}{{2, "with a different amount"}, {4, "with a different reason"}} {
		p := problems[1+i]
		if p.line != w.line || !errors.Is(p.err, ledger.ErrConflict) || !strings.Contains(p.err.Error(), w.diff) {
			t.Errorf("problem %d = %d: %v, want line %d %s", 1+i, p.line, p.err, w.line, w.diff)
		}
	}
}

// testCreditImportChecksOnlyWithoutWrite: Finish without write (a dry run)
// reports what would be issued, and the import cannot then be committed;
// nothing is written.
func testCreditImportChecksOnlyWithoutWrite(e *env) {
	t := e.t
	e.fill(2, 2)
	before := e.dump()
	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	for i := range 600 {
		nc := keyed(2)(i)
		nc.IdempotencyKey = ""
		e.must(imp.Add(e.ctx, i+2, nc))
	}
	res, err := imp.Finish(e.ctx, false, func(line int, err error) { t.Errorf("line %d: %v", line, err) })
	if err != nil || res.Issued != 600 || res.Totals["USD"] != 600*100+599*600/2 {
		t.Fatalf("Finish = %+v, %v", res, err)
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCredits, At: t0, SHA256: "dry"}); err == nil {
		t.Fatal("Commit after Finish without write succeeded")
	}
	if after := e.dump(); after != before {
		t.Errorf("a dry run wrote:\n%s", after)
	}
}

// testCreditImportChecksCustomers: an import refuses a credit for a
// customer the ledger does not have, naming it.
func testCreditImportChecksCustomers(e *env) {
	t := e.t
	e.fill(1, 1)
	imp, err := e.st.BeginCreditImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	nc := keyed(1)(5)
	nc.Customer = "nobody"
	var nf *ledger.NotFoundError
	if err := imp.Add(e.ctx, 2, nc); !errors.As(err, &nf) || nf.ID != "nobody" {
		t.Errorf("Add for an unknown customer: %v", err)
	}
	var fe *ledger.FieldError
	bad := keyed(1)(6)
	bad.AmountMinor = 0
	if err := imp.Add(e.ctx, 3, bad); !errors.As(err, &fe) || fe.Line != 3 || fe.Field != "amount" {
		t.Errorf("Add of an invalid row: %v", err)
	}
	e.must(imp.Rollback())
	// Afterwards a credit for an unknown customer is refused as ever.
	if _, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: "nobody", AmountMinor: 1, Currency: "USD", Reason: "bug", IssuedAt: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("a credit for an unknown customer outside imports: %v", err)
	}
}

// testCreditImportValues: each credit is written with its own row's
// values, whether the rows of its batch share them or not.
func testCreditImportValues(e *env) {
	t := e.t
	e.fill(3, 0)
	exp := t0.AddDate(0, 3, 0)
	credit := func(i int) ledger.NewCredit {
		nc := ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%3), AmountMinor: int64(1 + i), Currency: "USD",
			Reason: "outage", IssuedAt: t0}
		if i >= 300 && i%7 == 0 { // the second batch mixes them
			nc.Reason, nc.Currency = "delay", "EUR"
			nc.ExpiresAt = &exp
		}
		if i >= 500 { // the last, partial batch: a note each
			nc.Note = fmt.Sprintf("note %d", i)
		}
		if i%2 == 0 {
			nc.IdempotencyKey = fmt.Sprintf("v%d", i)
		}
		return nc
	}
	lines := make([]int, 600)
	for i := range lines {
		lines[i] = i + 2
	}
	if res, problems := e.importRows(lines, credit, true); len(problems) > 0 || res.Issued != 600 {
		t.Fatalf("import: %+v, %v", res, problems)
	}
	got, err := e.st.Credits(e.ctx, ledger.CreditFilter{Now: t0})
	if err != nil || len(got) != 600 {
		t.Fatalf("credits: %d, %v", len(got), err)
	}
	// Numbered in the file's order.
	slices.Reverse(got) // oldest first
	for i, c := range got {
		want := credit(i)
		if want.Differences(c) != "" || c.IdempotencyKey != want.IdempotencyKey || !c.IssuedAt.Equal(t0) || c.RemainingMinor != want.AmountMinor {
			t.Fatalf("credit %d (row %d) = %+v, want %+v", c.ID, i, c, want)
		}
	}
}

func testCustomerImport(e *env) {
	t := e.t
	e.fill(1, 1)
	imp, err := e.st.BeginCustomerImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	c, found, err := imp.Customer(e.ctx, "cus_0")
	if err != nil || !found || c.Currency != "USD" {
		t.Fatalf("Customer = %+v, %v, %v", c, found, err)
	}
	if _, found, err := imp.Customer(e.ctx, "new"); err != nil || found {
		t.Fatalf("Customer(new) = %v, %v", found, err)
	}
	c.Name = "Zero"
	e.must(imp.Claim(e.ctx, 2, c.ID))
	e.must(imp.Put(e.ctx, c, false))
	n := ledger.Customer{ID: "new", Name: "New", Tags: []string{"a"}, Since: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		CreatedAt: t0, UpdatedAt: t0}
	e.must(imp.Claim(e.ctx, 3, n.ID))
	e.must(imp.Put(e.ctx, n, true))
	if got, found, err := imp.Customer(e.ctx, "new"); err != nil || !found || got.Name != "New" {
		t.Fatalf("the import's own change: %+v %v %v", got, found, err)
	}
	var dup *ledger.DuplicateKeyError
	if err := imp.Claim(e.ctx, 4, n.ID); !errors.As(err, &dup) || dup.FirstLine != 3 {
		t.Fatalf("id twice: %v", err)
	}
	if prev, err := imp.PreviousImport(e.ctx, ledger.ImportCustomers, "c"); err != nil || prev != nil {
		t.Fatalf("PreviousImport = %+v, %v", prev, err)
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCustomers, At: t0, SHA256: "c", Rows: 3, Written: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Customer(e.ctx, "cus_0")
	if err != nil || got.Name != "Zero" {
		t.Fatalf("updated customer = %+v, %v", got, err)
	}
	got, err = e.st.Customer(e.ctx, "new")
	if err != nil || got.Name != "New" || len(got.Tags) != 1 || got.Period != ledger.PeriodMonth || !got.Since.Equal(n.Since) {
		t.Fatalf("created customer = %+v, %v", got, err)
	}
	imps, err := e.st.Imports(e.ctx)
	if err != nil || len(imps) != 2 || imps[0].Kind != ledger.ImportCustomers || imps[0].Written != 2 {
		t.Fatalf("imports %+v, %v", imps, err)
	}
	// A customer import rolled back leaves the customers as they were.
	before := e.dump()
	imp, err = e.st.BeginCustomerImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	got.Name = "Changed"
	e.must(imp.Put(e.ctx, got, false))
	e.must(imp.Put(e.ctx, ledger.Customer{ID: "another", Period: "month", CreatedAt: t0, UpdatedAt: t0}, true))
	e.must(imp.Rollback())
	if after := e.dump(); after != before {
		t.Fatalf("a rolled back customer import wrote:\n%s", after)
	}
}

// testCustomerImportKeepsStripeID: a customer file's Stripe ids are
// written, on new customers and on updates, and one another customer has
// is a conflict that leaves the import going.
func testCustomerImportKeepsStripeID(e *env) {
	t := e.t
	e.must(e.st.AddCustomer(e.ctx, ledger.Customer{ID: "old", Period: "month", CreatedAt: t0, UpdatedAt: t0}))
	imp, err := e.st.BeginCustomerImport(e.ctx)
	e.must(err)
	defer imp.Rollback()
	e.must(imp.Put(e.ctx, ledger.Customer{ID: "new", StripeID: "cus_New", Period: "month", CreatedAt: t0, UpdatedAt: t0}, true))
	old, _, err := imp.Customer(e.ctx, "old")
	e.must(err)
	old.StripeID = "cus_Old"
	e.must(imp.Put(e.ctx, old, false))
	taken := ledger.Customer{ID: "third", StripeID: "cus_New", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	if err := imp.Put(e.ctx, taken, true); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("a Stripe id twice: %v, want a conflict", err)
	}
	if _, err := imp.Commit(e.ctx, ledger.Import{Kind: ledger.ImportCustomers, At: t0, SHA256: "s", Rows: 2, Written: 2}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"new": "cus_New", "old": "cus_Old"} {
		if got, err := e.st.Customer(e.ctx, id); err != nil || got.StripeID != want {
			t.Errorf("customer %s: StripeID %q, %v; want %q", id, got.StripeID, err, want)
		}
	}
	if _, err := e.st.Customer(e.ctx, "third"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("the customer refused for its Stripe id: %v", err)
	}
}
