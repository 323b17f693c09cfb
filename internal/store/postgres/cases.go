package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	WHERE kind = 'apology' AND key = a.id::text AND customer_id = a.customer_id)
LEFT JOIN delivery_outcomes o ON o.claim_id = c.id`

// scanApology reads a row of apologySelect. Its Status is worked out by
// ledger.StateOf without checking processes (a claim with no outcome reads
// unknown); commands that can check call Apology.DeliveryState.
func scanApology(r scanner) (ledger.Apology, error) {
	var (
		a                      ledger.Apology
		recorded               string
		delivery, deliveryVia  *string
		claimID                *int64
		kind, key, cust, via   *string
		nonce, host, run       *string
		attempt, pid           *int64
		claimedAt              *time.Time
		status, messageID, err *string
		byHand                 *bool
		outcomeAt              *time.Time
	)
	if e := r.Scan(&a.ID, &a.Customer, &a.Incident, &a.Body, &a.RecordedAt, &a.Via, &recorded, &delivery, &deliveryVia,
		&claimID, &kind, &key, &cust, &attempt, &via, &nonce, &claimedAt, &host, &pid, &run,
		&status, &messageID, &err, &byHand, &outcomeAt); e != nil {
		return a, e
	}
	a.Prior = ledger.ApologyPrior(recorded, deref(delivery), deref(deliveryVia))
	if claimID != nil {
		c := &ledger.Claim{ID: *claimID, Message: ledger.MessageRef{Kind: deref(kind), Key: deref(key), Customer: deref(cust)},
			Attempt: int(deref(attempt)), Via: deref(via), Nonce: deref(nonce), ClaimedAt: deref(claimedAt),
			By: ledger.Claimer{Host: deref(host), PID: int(deref(pid)), Run: deref(run)}}
		if status != nil {
			c.Outcome = &ledger.Outcome{Status: *status, MessageID: deref(messageID), Error: deref(err),
				ByHand: deref(byHand), At: deref(outcomeAt)}
		}
		a.LastClaim = c
	}
	a.Status = ledger.ApologyStatus(a.DeliveryState(time.Time{}, nil))
	return a, nil
}

// RecordCase writes a whole case in one transaction (ledger.RecordCase),
// under the incident's lock and each resolved customer's for it.
func (s *Ledger) RecordCase(ctx context.Context, c ledger.Case) (ledger.CaseResult, error) {
	var out ledger.CaseResult
	err := s.tx(ctx, func(tx *wtx) error {
		var err error
		out, err = ledger.RecordCase(c, ledger.CaseWrites{
			ResolutionWrites: resolutionWrites(ctx, tx),
			InsertCustomer:   func(nc ledger.Customer) error { return insertCustomer(ctx, tx, nc) },
			InsertIncident:   func(n ledger.NewIncident) (int64, bool, error) { return insertIncident(ctx, tx, n) },
			Lock: func(iid int64, customers []string) error {
				return lockResolutions(ctx, tx, iid, customers)
			},
			Apologies: func(iid int64, customer string) (int, error) {
				var n int
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM apologies WHERE incident_id = $1 AND customer_id = $2`,
					iid, customer).Scan(&n); err != nil {
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
func (s *Ledger) Apology(ctx context.Context, aid int64) (ledger.Apology, error) {
	a, err := scanApology(s.pool.QueryRow(ctx, apologySelect+` WHERE a.id = $1`, aid))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(aid)}
	}
	if err != nil {
		return a, fmt.Errorf("look up apology %d: %w", aid, err)
	}
	return a, nil
}

// RecordDelivery appends a delivery attempt, and the outcome of its claim
// in the same transaction.
func (s *Ledger) RecordDelivery(ctx context.Context, d ledger.Delivery) error {
	return s.tx(ctx, func(tx *wtx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM apologies WHERE id = $1)`, d.Apology).Scan(&exists); err != nil {
			return fmt.Errorf("look up apology: %w", err)
		}
		if !exists {
			return &ledger.NotFoundError{Kind: "apology", ID: fmt.Sprint(d.Apology)}
		}
		var did int64
		if err := tx.QueryRow(ctx, `INSERT INTO apology_deliveries (apology_id, via, status, message_id, error, at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, d.Apology, d.Via, d.Status, nullString(d.MessageID),
			nullString(d.Error), utc(d.At)).Scan(&did); err != nil {
			return fmt.Errorf("record delivery of apology %d: %w", d.Apology, err)
		}
		if d.Claim == 0 {
			return nil
		}
		return insertOutcome(ctx, tx, d.Claim, d.Outcome(), nil, &did)
	})
}

// Deliveries lists an apology's delivery attempts, oldest first.
func (s *Ledger) Deliveries(ctx context.Context, apology int64) ([]ledger.Delivery, error) {
	return queryAll(ctx, s.pool, fmt.Sprintf("list deliveries of apology %d", apology),
		`SELECT apology_id, via, status, COALESCE(message_id, ''), COALESCE(error, ''), at
		FROM apology_deliveries WHERE apology_id = $1 ORDER BY id`, []any{apology},
		func(r scanner) (ledger.Delivery, error) {
			var d ledger.Delivery
			err := r.Scan(&d.Apology, &d.Via, &d.Status, &d.MessageID, &d.Error, &d.At)
			return d, err
		})
}
