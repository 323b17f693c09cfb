package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

const customerColumns = `id, name, email, plan, price_minor, currency, period, since, locale, tags, advocate, created_at, updated_at`

// customerSelectColumns are the columns scanCustomer reads.
const customerSelectColumns = customerColumns + `, stripe_id`

// AddCustomer inserts a new customer.
func (s *Ledger) AddCustomer(ctx context.Context, c ledger.Customer) error {
	return s.tx(ctx, func(tx *wtx) error { return insertCustomer(ctx, tx, c) })
}

// customerArgs are c's values for customerColumns.
func customerArgs(c ledger.Customer) ([]any, error) {
	tags, err := encodeTags(c.Tags)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
		dateOrNull(c.Since), c.Locale, tags, c.Advocate, utc(c.CreatedAt), utc(c.UpdatedAt)}, nil
}

func insertCustomer(ctx context.Context, q querier, c ledger.Customer) error {
	args, err := customerArgs(c)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO customers (`+customerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, args...)
	if isUniqueViolation(err, "customers_pkey") {
		return ledger.CustomerExists(c.ID)
	}
	if err != nil {
		return fmt.Errorf("add customer %q: %w", c.ID, err)
	}
	return nil
}

const updateCustomer = `UPDATE customers SET name = $2, email = $3, plan = $4, price_minor = $5, currency = $6,
	period = $7, since = $8, locale = $9, tags = $10, advocate = $11, updated_at = $12 WHERE id = $1`

func updateArgs(c ledger.Customer) ([]any, error) {
	tags, err := encodeTags(c.Tags)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
		dateOrNull(c.Since), c.Locale, tags, c.Advocate, utc(c.UpdatedAt)}, nil
}

// UpdateCustomer replaces a customer's fields.
func (s *Ledger) UpdateCustomer(ctx context.Context, c ledger.Customer) error {
	args, err := updateArgs(c)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *wtx) error {
		tag, err := tx.Exec(ctx, updateCustomer, args...)
		if err != nil {
			return fmt.Errorf("update customer %q: %w", c.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return &ledger.NotFoundError{Kind: "customer", ID: c.ID}
		}
		return nil
	})
}

// Customer returns one customer.
func (s *Ledger) Customer(ctx context.Context, id string) (ledger.Customer, error) {
	return customerByID(ctx, s.pool, id)
}

func customerByID(ctx context.Context, q querier, id string) (ledger.Customer, error) {
	c, err := scanCustomer(q.QueryRow(ctx, `SELECT `+customerSelectColumns+` FROM customers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.Customer{}, &ledger.NotFoundError{Kind: "customer", ID: id}
	}
	return c, err
}

// Customers lists every customer by id.
func (s *Ledger) Customers(ctx context.Context) ([]ledger.Customer, error) {
	return queryAll(ctx, s.pool, "list customers", `SELECT `+customerSelectColumns+` FROM customers ORDER BY id`, nil, scanCustomer)
}

// scanner is a row to read: pgx.Row, or pgx.Rows at a row.
type scanner interface{ Scan(dest ...any) error }

func scanCustomer(r scanner) (ledger.Customer, error) {
	var (
		c        ledger.Customer
		since    *time.Time
		tags     []byte
		stripeID *string
	)
	if err := r.Scan(&c.ID, &c.Name, &c.Email, &c.Plan, &c.PriceMinor, &c.Currency, &c.Period,
		&since, &c.Locale, &tags, &c.Advocate, &c.CreatedAt, &c.UpdatedAt, &stripeID); err != nil {
		return c, err
	}
	c.StripeID = deref(stripeID)
	if since != nil {
		y, m, d := since.Date()
		c.Since = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if err := json.Unmarshal(tags, &c.Tags); err != nil {
		return c, fmt.Errorf("customer %q: stored tags: %w", c.ID, err)
	}
	return c, nil
}

// dateOrNull is a customer's since as a date (its UTC day), or NULL.
func dateOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(ledger.DateLayout)
}

func periodOrDefault(p string) string {
	if p == "" {
		return ledger.PeriodMonth
	}
	return p
}

// encodeTags is tags as the JSON array the tags column holds.
func encodeTags(tags []string) (string, error) {
	if tags == nil {
		tags = []string{}
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}

// queryAll runs q and scans every row with scan; what names the list in
// errors ("list incidents").
func queryAll[T any](ctx context.Context, q querier, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
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

// listQuery finishes a list query: the WHERE clauses joined, newest first
// by idColumn, and a LIMIT when limit > 0. Clauses number their
// parameters from $1 in the order of args.
func listQuery(q string, where []string, args []any, idColumn string, limit int) (string, []any) {
	if len(where) > 0 {
		q += " WHERE " + joinAnd(where)
	}
	q += " ORDER BY " + idColumn + " DESC"
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return q, args
}

func joinAnd(where []string) string {
	out := ""
	for i, w := range where {
		if i > 0 {
			out += " AND "
		}
		out += w
	}
	return out
}

// params numbers a query's parameters as clauses are added.
type params struct{ args []any }

// add appends v and returns its placeholder ($n).
func (p *params) add(v any) string {
	p.args = append(p.args, v)
	return fmt.Sprintf("$%d", len(p.args))
}
