package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

const customerColumns = `id, name, email, plan, price_minor, currency, period, since, locale, tags, advocate, created_at, updated_at`

// AddCustomer inserts a new customer.
func (s *Ledger) AddCustomer(ctx context.Context, c ledger.Customer) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return insertCustomer(ctx, tx, c) })
}

func insertCustomer(ctx context.Context, tx *sql.Tx, c ledger.Customer) error {
	tags, err := json.Marshal(nonNilTags(c.Tags))
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO customers (`+customerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
		fmtDate(c.Since), c.Locale, string(tags), c.Advocate, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt))
	if isUniqueViolation(err) {
		return ledger.CustomerExists(c.ID)
	}
	if err != nil {
		return fmt.Errorf("add customer %q: %w", c.ID, err)
	}
	return nil
}

// UpdateCustomer replaces a customer's fields.
func (s *Ledger) UpdateCustomer(ctx context.Context, c ledger.Customer) error {
	tags, err := json.Marshal(nonNilTags(c.Tags))
	if err != nil {
		return fmt.Errorf("encode tags: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customers SET name = ?, email = ?, plan = ?,
			price_minor = ?, currency = ?, period = ?, since = ?, locale = ?, tags = ?,
			advocate = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
			fmtDate(c.Since), c.Locale, string(tags), c.Advocate, fmtTime(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update customer %q: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &ledger.NotFoundError{Kind: "customer", ID: c.ID}
		}
		return nil
	})
}

// Customer returns one customer.
func (s *Ledger) Customer(ctx context.Context, id string) (ledger.Customer, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+customerSelectColumns+` FROM customers WHERE id = ?`, id)
	c, err := scanCustomer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Customer{}, &ledger.NotFoundError{Kind: "customer", ID: id}
	}
	return c, err
}

// Customers lists every customer by id.
func (s *Ledger) Customers(ctx context.Context) ([]ledger.Customer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+customerSelectColumns+` FROM customers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []ledger.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanCustomer(r scanner) (ledger.Customer, error) {
	var (
		c                ledger.Customer
		since            sql.NullString
		tags             string
		created, updated string
		stripeID         sql.NullString
	)
	if err := r.Scan(&c.ID, &c.Name, &c.Email, &c.Plan, &c.PriceMinor, &c.Currency, &c.Period,
		&since, &c.Locale, &tags, &c.Advocate, &created, &updated, &stripeID); err != nil {
		return c, err
	}
	c.StripeID = stripeID.String
	if since.Valid {
		t, err := time.Parse(ledger.DateLayout, since.String)
		if err != nil {
			return c, fmt.Errorf("customer %q: stored since %q: %w", c.ID, since.String, err)
		}
		c.Since = t
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return c, fmt.Errorf("customer %q: stored tags: %w", c.ID, err)
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return c, err
	}
	return c, nil
}

func fmtDate(t time.Time) any {
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

func nonNilTags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}
