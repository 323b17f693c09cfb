package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// listQuery finishes a list query: the WHERE clauses joined, newest first
// by idColumn, and a LIMIT when limit > 0.
func listQuery(q string, where []string, args []any, idColumn string, limit int) (string, []any) {
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + idColumn + " DESC"
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	return q, args
}

// queryAll runs q and scans every row with scan; what names the list in
// errors ("list incidents").
func queryAll[T any](ctx context.Context, db queryer, what, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
