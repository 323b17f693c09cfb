package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// claimSelect yields one row per claim with its outcome, if any. Callers
// add WHERE clauses on the alias c.
const claimSelect = `SELECT c.id, c.kind, c.key, c.customer_id, c.attempt, c.via, c.nonce, c.claimed_at, c.host, c.pid, c.run,
	o.status, o.message_id, o.error, o.by_hand, o.at
FROM delivery_claims c LEFT JOIN delivery_outcomes o ON o.claim_id = c.id`

// Claim appends an attempt at n.Message, in its own IMMEDIATE transaction,
// once ledger.StateOf and MaySend (or MayMark) allow it. The transaction
// holds SQLite's write lock from its start, so the state read is the state
// the claim is added to; the UNIQUE attempt number refuses a second claim
// even on an engine that does not serialize.
func (s *Ledger) Claim(ctx context.Context, n ledger.NewClaim) (ledger.Claim, error) {
	var out ledger.Claim
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := messageState(ctx, tx, n.Message, n.At, n.Alive)
		if err != nil {
			return err
		}
		attempt, err := n.NextAttempt(st)
		if err != nil {
			return err
		}
		out = ledger.Claim{Message: n.Message, Attempt: attempt, Via: n.Via, Nonce: n.Nonce, ClaimedAt: n.At.UTC(), By: n.By}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_claims WHERE kind = ? AND key = ? AND customer_id = ? AND attempt = ?`,
			n.Message.Kind, n.Message.Key, n.Message.Customer, attempt).Scan(&taken); err != nil {
			return fmt.Errorf("claim %s: %w", n.Message, err)
		}
		if taken > 0 {
			return ledger.ClaimRaced(n.Message)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO delivery_claims
			(kind, key, customer_id, attempt, via, nonce, claimed_at, host, pid, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Message.Kind, n.Message.Key, n.Message.Customer, attempt, n.Via, n.Nonce, fmtTime(n.At), n.By.Host, n.By.PID, n.By.Run)
		switch {
		case isUniqueViolation(err):
			return ledger.ClaimRaced(n.Message)
		case isForeignKeyViolation(err):
			return &ledger.NotFoundError{Kind: "customer", ID: n.Message.Customer}
		case err != nil:
			return fmt.Errorf("claim %s: %w", n.Message, err)
		}
		out.ID, err = res.LastInsertId()
		return err
	})
	return out, err
}

// MessageState is where a message stands.
func (s *Ledger) MessageState(ctx context.Context, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	return messageState(ctx, s.db, m, now, alive)
}

func messageState(ctx context.Context, q queryer, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	return ledger.ReadMessageState(alive, func() (ledger.MessageState, error) {
		return messageStateOnce(ctx, q, m, now, alive)
	})
}

func messageStateOnce(ctx context.Context, q queryer, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	claims, err := queryAll(ctx, q, "look up claims", claimSelect+` WHERE c.kind = ? AND c.key = ? AND c.customer_id = ?
		ORDER BY c.attempt DESC LIMIT 1`, []any{m.Kind, m.Key, m.Customer}, scanClaim)
	if err != nil {
		return ledger.MessageState{}, err
	}
	var last *ledger.Claim
	if len(claims) > 0 {
		last = &claims[0]
	}
	prior := ledger.MessageState{Kind: m.Kind}
	switch m.Kind {
	case ledger.MessageThanks:
		var via string
		err := q.QueryRowContext(ctx, `SELECT via FROM thank_you_notes
			WHERE customer_id = ? AND occasion_key = ? AND status = 'sent'`, m.Customer, m.Key).Scan(&via)
		switch {
		case err == nil:
			return ledger.ThanksSentState(via, last), nil
		case !errors.Is(err, sql.ErrNoRows):
			return prior, fmt.Errorf("look up thank-you notes: %w", err)
		}
	case ledger.MessageApology:
		var recorded, delivery, via sql.NullString
		err := q.QueryRowContext(ctx, `SELECT a.status, d.status, d.via FROM apologies a
			LEFT JOIN apology_deliveries d ON d.id = (SELECT MAX(id) FROM apology_deliveries WHERE apology_id = a.id)
			WHERE a.id = ? AND a.customer_id = ?`, m.Key, m.Customer).Scan(&recorded, &delivery, &via)
		if errors.Is(err, sql.ErrNoRows) {
			return prior, &ledger.NotFoundError{Kind: "apology", ID: m.Key}
		}
		if err != nil {
			return prior, fmt.Errorf("look up apology %s: %w", m.Key, err)
		}
		prior = ledger.ApologyPrior(recorded.String, delivery.String, via.String)
	default:
		return prior, fmt.Errorf("claim: unknown kind of message %q", m.Kind)
	}
	return ledger.StateOf(prior, last, now, alive), nil
}

// Claims lists claims with their outcomes, oldest first.
func (s *Ledger) Claims(ctx context.Context, f ledger.ClaimFilter) ([]ledger.Claim, error) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, val string }{{"c.kind", f.Kind}, {"c.customer_id", f.Customer}, {"c.key", f.Key}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if f.Unrecorded {
		where = append(where, "o.note_id IS NULL AND o.delivery_id IS NULL")
	}
	q := claimSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return queryAll(ctx, s.db, "list claims", q+" ORDER BY c.id", args, scanClaim)
}

// RecordOutcome appends the outcome of a claim that has none.
func (s *Ledger) RecordOutcome(ctx context.Context, claim int64, o ledger.Outcome) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return insertOutcome(ctx, tx, claim, o, nil, nil) })
}

// insertOutcome appends a claim's outcome, pointing at the note or
// delivery written with it in the same transaction.
func insertOutcome(ctx context.Context, tx *sql.Tx, claim int64, o ledger.Outcome, noteID, deliveryID any) error {
	byHand := 0
	if o.ByHand {
		byHand = 1
	}
	var recorded int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_outcomes WHERE claim_id = ?`, claim).Scan(&recorded); err != nil {
		return fmt.Errorf("record outcome of claim %d: %w", claim, err)
	}
	if recorded > 0 {
		return ledger.OutcomeRecorded(claim)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO delivery_outcomes (claim_id, status, message_id, error, by_hand, at, note_id, delivery_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, claim, o.Status, nullString(o.MessageID), o.Error, byHand, fmtTime(o.At), noteID, deliveryID)
	switch {
	case isUniqueViolation(err):
		return ledger.OutcomeRecorded(claim)
	case isForeignKeyViolation(err):
		return &ledger.NotFoundError{Kind: "claim", ID: fmt.Sprint(claim)}
	case err != nil:
		return fmt.Errorf("record outcome of claim %d: %w", claim, err)
	}
	return nil
}

func scanClaim(r scanner) (ledger.Claim, error) {
	var (
		c                       ledger.Claim
		claimedAt               string
		status, messageID, oerr sql.NullString
		byHand                  sql.NullInt64
		outcomeAt               sql.NullString
	)
	if err := r.Scan(&c.ID, &c.Message.Kind, &c.Message.Key, &c.Message.Customer, &c.Attempt, &c.Via, &c.Nonce, &claimedAt,
		&c.By.Host, &c.By.PID, &c.By.Run, &status, &messageID, &oerr, &byHand, &outcomeAt); err != nil {
		return c, err
	}
	var err error
	if c.ClaimedAt, err = parseTime(claimedAt); err != nil {
		return c, err
	}
	if status.Valid {
		o := &ledger.Outcome{Status: status.String, MessageID: messageID.String, Error: oerr.String, ByHand: byHand.Int64 == 1}
		if o.At, err = parseTime(outcomeAt.String); err != nil {
			return c, err
		}
		c.Outcome = o
	}
	return c, nil
}
