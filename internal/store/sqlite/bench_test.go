package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

// BenchmarkCreditImport measures the store's side of an import: writing
// credits and entries in batches, committing. Each iteration imports
// 10,000 rows into a fresh ledger, keeping the customer-led indexes up
// row by row (incremental), or dropping them and building them again at
// the end (rebuild), as an import does once it is as big as the ledger.
func BenchmarkCreditImport(b *testing.B) {
	b.Run("incremental", func(b *testing.B) { benchCreditImport(b, 1<<62) })
	b.Run("rebuild", func(b *testing.B) { benchCreditImport(b, 0) })
}

func benchCreditImport(b *testing.B, rebuildMin int) {
	const n = 10_000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := Open(ctx, filepath.Join(b.TempDir(), "ledger.db"))
		if err != nil {
			b.Fatal(err)
		}
		st.rebuildMin = rebuildMin
		imp, err := st.BeginCreditImport(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 100 {
			if err := imp.AddCustomer(ctx, ledger.Customer{ID: fmt.Sprintf("cus_%d", i), Currency: "USD", CreatedAt: testNow, UpdatedAt: testNow}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for i := range n {
			nc := ledger.NewCredit{Customer: fmt.Sprintf("cus_%d", i%100), AmountMinor: int64(100 + i), Currency: "USD",
				Reason: "outage", IssuedAt: testNow, IdempotencyKey: fmt.Sprintf("k%d", i)}
			if err := imp.Add(ctx, i+2, nc); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := imp.Finish(ctx, true, func(line int, err error) { b.Fatalf("line %d: %v", line, err) }); err != nil {
			b.Fatal(err)
		}
		if _, err := imp.Commit(ctx, ledger.Import{Kind: ledger.ImportCredits, At: testNow, SHA256: "x", Rows: n, Written: n}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
