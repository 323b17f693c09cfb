package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// CreditsPlan returns SQLite's query plan for Credits(f), one line per step,
// so tests and benchmarks can show which indexes a listing uses.
func (s *Ledger) CreditsPlan(ctx context.Context, f ledger.CreditFilter) ([]string, error) {
	q, args, err := creditsQuery(f)
	if err != nil {
		return nil, err
	}
	return s.plan(ctx, q, args)
}

// BalancesPlan returns SQLite's query plan for Balances(customer, now).
func (s *Ledger) BalancesPlan(ctx context.Context, customer string, now time.Time) ([]string, error) {
	q, args := balancesQuery(customer, now)
	return s.plan(ctx, q, args)
}

func (s *Ledger) plan(ctx context.Context, q string, args []any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}
