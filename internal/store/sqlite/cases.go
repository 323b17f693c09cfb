package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// apologySelect yields one row per apology with what its status is worked
// out from: the status it was recorded with, its latest delivery, and its
// latest claim with the claim's outcome. Callers add WHERE clauses on the
// alias a.
const apologySelect = `SELECT a.id, a.customer_id, a.incident_id, a.body, a.recorded_at, a.via, a.status, d.status, d.via,
	c.id, c.kind, c.key, c.customer_id, c.attempt, c.via, c.nonce, c.claimed_at, c.host, c.pid, c.run,
	o.status, o.message_id, o.error, o.by_hand, o.at
FROM apologies a
LEFT JOIN apology_deliveries d ON d.id = (SELECT MAX(id) FROM apology_deliveries WHERE apology_id = a.id)
LEFT JOIN delivery_claims c ON c.id = (SELECT MAX(id) FROM delivery_claims
	WHERE kind = 'apology' AND key = CAST(a.id AS TEXT) AND customer_id = a.customer_id)
LEFT JOIN delivery_outcomes o ON o.claim_id = c.id`

// scanApology reads a row of apologySelect. Its Status is worked out by
// ledger.StateOf without checking processes (a claim with no outcome reads
// unknown); commands that can check call Apology.DeliveryState.
func scanApology(r scanner) (ledger.Apology, error) {
	var (
		a                       ledger.Apology
		at                      string
		recorded                string
		delivery, deliveryVia   sql.NullString
		claimID                 sql.NullInt64
		kind, key, cust, via    sql.NullString
		nonce, claimedAt, host  sql.NullString
		run                     sql.NullString
		attempt, pid            sql.NullInt64
		status, messageID, oerr sql.NullString
		byHand                  sql.NullInt64
		outcomeAt               sql.NullString
	)
	if err := r.Scan(&a.ID, &a.Customer, &a.Incident, &a.Body, &at, &a.Via, &recorded, &delivery, &deliveryVia,
		&claimID, &kind, &key, &cust, &attempt, &via, &nonce, &claimedAt, &host, &pid, &run,
		&status, &messageID, &oerr, &byHand, &outcomeAt); err != nil {
		return a, err
	}
	var err error
	if a.RecordedAt, err = parseTime(at); err != nil {
		return a, err
	}
	a.Prior = ledger.ApologyPrior(recorded, delivery.String, deliveryVia.String)
	if claimID.Valid {
		c := &ledger.Claim{ID: claimID.Int64, Message: ledger.MessageRef{Kind: kind.String, Key: key.String, Customer: cust.String},
			Attempt: int(attempt.Int64), Via: via.String, Nonce: nonce.String,
			By: ledger.Claimer{Host: host.String, PID: int(pid.Int64), Run: run.String}}
		if c.ClaimedAt, err = parseTime(claimedAt.String); err != nil {
			return a, err
		}
		if status.Valid {
			c.Outcome = &ledger.Outcome{Status: status.String, MessageID: messageID.String, Error: oerr.String, ByHand: byHand.Int64 == 1}
			if c.Outcome.At, err = parseTime(outcomeAt.String); err != nil {
				return a, err
			}
		}
		a.LastClaim = c
	}
	a.Status = ledger.ApologyStatus(a.DeliveryState(time.Time{}, nil))
	return a, nil
}

// RecordCase writes a whole case in one transaction (ledger.RecordCase);
// the transaction holds the write lock from its start, so no other lock is
// taken.
func (s *Ledger) RecordCase(ctx context.Context, c ledger.Case) (ledger.CaseResult, error) {
	var out ledger.CaseResult
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = ledger.RecordCase(c, ledger.CaseWrites{
			ResolutionWrites: resolutionWrites(ctx, tx),
			InsertCustomer:   func(nc ledger.Customer) error { return insertCustomer(ctx, tx, nc) },
			InsertIncident:   func(n ledger.NewIncident) (int64, bool, error) { return insertIncident(ctx, tx, n) },
			Apologies: func(id int64, customer string) (int, error) {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apologies WHERE incident_id = ? AND customer_id = ?`,
					id, customer).Scan(&n); err != nil {
					return 0, fmt.Errorf("look up apologies: %w", err)
				}
				return n, nil
			},
		})
		return err
	})
	return out, err
}

// Apology returns one apology with its delivery status.
func (s *Ledger) Apology(ctx context.Context, id int64) (ledger.Apology, error) {
	a, err := scanApology(s.db.QueryRowContext(ctx, apologySelect+` WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(id)}
	}
	if err != nil {
		return a, fmt.Errorf("look up apology %d: %w", id, err)
	}
	return a, nil
}

// RecordDelivery appends a delivery attempt, and the outcome of its claim
// in the same transaction.
func (s *Ledger) RecordDelivery(ctx context.Context, d ledger.Delivery) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM apologies WHERE id = ?`, d.Apology).Scan(&n); err != nil {
			return fmt.Errorf("look up apology: %w", err)
		}
		if n == 0 {
			return &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(d.Apology)}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO apology_deliveries (apology_id, via, status, message_id, error, at)
			VALUES (?, ?, ?, ?, ?, ?)`, d.Apology, d.Via, d.Status, nullString(d.MessageID), nullString(d.Error), fmtTime(d.At))
		if err != nil {
			return fmt.Errorf("record delivery of apology %d: %w", d.Apology, err)
		}
		if d.Claim == 0 {
			return nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("record delivery of apology %d: %w", d.Apology, err)
		}
		return insertOutcome(ctx, tx, d.Claim, d.Outcome(), nil, id)
	})
}

// Deliveries lists an apology's delivery attempts, oldest first.
func (s *Ledger) Deliveries(ctx context.Context, apology int64) ([]ledger.Delivery, error) {
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
