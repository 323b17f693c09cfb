package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/makegood/makegood/internal/ledger"
)

// apologyStatus is an apology's status: its latest delivery attempt's, or
// the one it was recorded with.
const apologyStatus = `COALESCE((SELECT d.status FROM apology_deliveries d
	WHERE d.apology_id = apologies.id ORDER BY d.id DESC LIMIT 1), apologies.status)`

// RecordCase writes a whole case in one transaction.
func (s *SQLite) RecordCase(ctx context.Context, c ledger.Case) (ledger.CaseResult, error) {
	var out ledger.CaseResult
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = ledger.CaseResult{}
		for _, nc := range c.NewCustomers {
			if err := insertCustomer(ctx, tx, nc); err != nil {
				return err
			}
		}
		id := c.Incident
		if c.NewIncident != nil {
			var err error
			if id, out.Existing, err = insertIncident(ctx, tx, *c.NewIncident); err != nil {
				return err
			}
		}
		for _, r := range c.Resolutions {
			r.Incident = id
			if r.Apology != nil {
				// The first apology only: another run may have recorded
				// it since this one read the case.
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apologies WHERE incident_id = ? AND customer_id = ?`,
					id, r.Customer).Scan(&n); err != nil {
					return fmt.Errorf("look up apologies: %w", err)
				}
				if n > 0 {
					r.Apology = nil
				}
			}
			res, err := recordResolution(ctx, tx, r)
			if err != nil {
				return fmt.Errorf("customer %s: %w", r.Customer, err)
			}
			out.Resolutions = append(out.Resolutions, res)
		}
		var err error
		out.Incident, err = incidentByID(ctx, tx, id)
		return err
	})
	return out, err
}

// Apology returns one apology with its delivery status.
func (s *SQLite) Apology(ctx context.Context, id int64) (ledger.Apology, error) {
	a, err := scanApology(s.db.QueryRowContext(ctx, `SELECT id, customer_id, incident_id, body, recorded_at, via, `+
		apologyStatus+` FROM apologies WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(id)}
	}
	if err != nil {
		return a, fmt.Errorf("look up apology %d: %w", id, err)
	}
	return a, nil
}

// RecordDelivery appends a delivery attempt.
func (s *SQLite) RecordDelivery(ctx context.Context, d ledger.Delivery) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apologies WHERE id = ?`, d.Apology).Scan(&n); err != nil {
			return fmt.Errorf("look up apology: %w", err)
		}
		if n == 0 {
			return &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(d.Apology)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO apology_deliveries (apology_id, via, status, message_id, error, at)
			VALUES (?, ?, ?, ?, ?, ?)`, d.Apology, d.Via, d.Status, nullString(d.MessageID), nullString(d.Error), fmtTime(d.At)); err != nil {
			return fmt.Errorf("record delivery of apology %d: %w", d.Apology, err)
		}
		return nil
	})
}

// Deliveries lists an apology's delivery attempts, oldest first.
func (s *SQLite) Deliveries(ctx context.Context, apology int64) ([]ledger.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT apology_id, via, status, COALESCE(message_id, ''), COALESCE(error, ''), at
		FROM apology_deliveries WHERE apology_id = ? ORDER BY id`, apology)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of apology %d: %w", apology, err)
	}
	defer rows.Close()
	var out []ledger.Delivery
	for rows.Next() {
		var (
			d  ledger.Delivery
			at string
		)
		if err := rows.Scan(&d.Apology, &d.Via, &d.Status, &d.MessageID, &d.Error, &at); err != nil {
			return nil, err
		}
		if d.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
