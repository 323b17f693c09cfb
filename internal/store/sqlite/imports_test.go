package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

func TestCreditImport(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	fill(t, st, 2, 3) // k0..k2 recorded, customers cus_0 and cus_1

	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	known, cur, err := imp.Customer(ctx, "cus_1")
	if err != nil || !known || cur != "USD" {
		t.Fatalf("Customer(cus_1) = %v, %q, %v", known, cur, err)
	}
	if known, _, _ := imp.Customer(ctx, "nobody"); known {
		t.Fatalf("an unknown customer is known")
	}
	nc := func(key string, amount int64) ledger.NewCredit {
		return ledger.NewCredit{Customer: "cus_0", AmountMinor: amount, Currency: "USD", Reason: "outage", IssuedAt: testNow, IdempotencyKey: key}
	}
	type problem struct {
		line int
		err  error
	}
	var problems []problem
	report := func(line int, err error) { problems = append(problems, problem{line, err}) }
	add := func(line int, c ledger.NewCredit) {
		t.Helper()
		if err := imp.Add(ctx, line, c); err != nil {
			t.Fatal(err)
		}
	}

	// k0 was recorded by fill with amount 100 for cus_0: the same values
	// are skipped, other values are a conflict; a key twice in the file is
	// a problem naming both lines.
	add(2, nc("k0", 100))
	add(3, nc("k2", 999))
	add(4, nc("new", 5))
	add(9, nc("new", 5))
	res, err := imp.Finish(ctx, true, report)
	if err != nil {
		t.Fatal(err)
	}
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
	if n := count(t, st, "credits"); n != 3 {
		t.Errorf("with problems, credits = %d, want the 3 from before", n)
	}
	if err := imp.Rollback(); err != nil {
		t.Fatal(err)
	}

	imp, err = st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	problems = nil
	add(2, nc("k0", 100))
	add(3, nc("new", 5))
	add(4, nc("", 7))
	eur := nc("", 1)
	eur.Currency = "EUR"
	add(5, eur)
	res, err = imp.Finish(ctx, true, report)
	if err != nil || len(problems) > 0 {
		t.Fatalf("Finish: %v, problems %v", err, problems)
	}
	if res.Issued != 3 || res.AlreadyRecorded != 1 || res.Totals["USD"] != 12 || res.Totals["EUR"] != 1 {
		t.Errorf("result = %+v", res)
	}
	if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: testNow, SHA256: "abc", Source: "f.csv", Rows: 9, Written: 2, AlreadyRecorded: 1, Operator: "ann"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "credits"); n != 6 {
		t.Errorf("credits = %d, want 3 + 3", n)
	}
	if n := count(t, st, "credit_entries"); n != 6 {
		t.Errorf("entries = %d, want 6", n)
	}

	imps, err := st.Imports(ctx)
	if err != nil || len(imps) != 2 || imps[0].SHA256 != "abc" || imps[0].Operator != "ann" || !imps[0].At.Equal(testNow) {
		t.Fatalf("Imports = %+v, %v", imps, err)
	}
	imp2, err := st.BeginCreditImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := imp2.PreviousImport(ctx, ledger.ImportCredits, "abc")
	if err != nil || prev == nil || prev.Rows != 9 {
		t.Fatalf("PreviousImport = %+v, %v", prev, err)
	}
	if prev, err := imp2.PreviousImport(ctx, ledger.ImportCustomers, "abc"); err != nil || prev != nil {
		t.Fatalf("PreviousImport of another kind = %+v, %v", prev, err)
	}
	if err := imp2.Add(ctx, 2, nc("rolled back", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := imp2.Finish(ctx, true, report); err != nil {
		t.Fatal(err)
	}
	if err := imp2.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "credits"); n != 6 {
		t.Errorf("after rollback credits = %d, want 6", n)
	}
}

func TestImportsAppendOnly(t *testing.T) {
	st := openTest(t)
	fill(t, st, 1, 1)
	for _, q := range []string{"UPDATE imports SET rows = 0", "DELETE FROM imports"} {
		if _, err := st.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestCustomerImport(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	fill(t, st, 1, 1)
	imp, err := st.BeginCustomerImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Rollback()
	c, found, err := imp.Customer(ctx, "cus_0")
	if err != nil || !found || c.Currency != "USD" {
		t.Fatalf("Customer = %+v, %v, %v", c, found, err)
	}
	c.Name = "Zero"
	if err := imp.Claim(ctx, 2, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := imp.Put(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	n := ledger.Customer{ID: "new", Name: "New", Tags: []string{"a"}, CreatedAt: testNow, UpdatedAt: testNow}
	if err := imp.Claim(ctx, 3, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := imp.Put(ctx, n, true); err != nil {
		t.Fatal(err)
	}
	var dup *ledger.DuplicateKeyError
	if err := imp.Claim(ctx, 4, n.ID); !errors.As(err, &dup) || dup.FirstLine != 3 {
		t.Fatalf("id twice: %v", err)
	}
	if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCustomers, At: testNow, SHA256: "c"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Customer(ctx, "cus_0")
	if err != nil || got.Name != "Zero" {
		t.Fatalf("updated customer = %+v, %v", got, err)
	}
	got, err = st.Customer(ctx, "new")
	if err != nil || got.Name != "New" || len(got.Tags) != 1 {
		t.Fatalf("created customer = %+v, %v", got, err)
	}
}
