package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// claimSelect yields one row per claim with its outcome, if any. Callers
// add WHERE clauses on the alias c.
const claimSelect = `SELECT c.id, c.kind, c.key, c.customer_id, c.attempt, c.via, c.nonce, c.claimed_at, c.host, c.pid, c.run,
	o.status, o.message_id, o.error, o.by_hand, o.at
FROM delivery_claims c LEFT JOIN delivery_outcomes o ON o.claim_id = c.id`

// lockMessageRef takes the lock of one message: claims of it, and the
// notes recorded for it, queue there.
func lockMessageRef(ctx context.Context, q querier, m ledger.MessageRef) error {
	return lock(ctx, q, lockMessage, m.Kind, m.Customer, m.Key)
}

// Claim appends an attempt at n.Message, in a transaction of its own,
// once ledger.StateOf and MaySend (or MayMark) allow it. The message's
// lock is taken first, so the state read is the state the claim is added
// to; the UNIQUE attempt number refuses a second claim all the same.
func (s *Ledger) Claim(ctx context.Context, n ledger.NewClaim) (ledger.Claim, error) {
	var out ledger.Claim
	err := s.tx(ctx, func(tx *wtx) error {
		if err := lockMessageRef(ctx, tx, n.Message); err != nil {
			return err
		}
		st, err := messageState(ctx, tx, n.Message, n.At, n.Alive)
		if err != nil {
			return err
		}
		attempt, err := n.NextAttempt(st)
		if err != nil {
			return err
		}
		out = ledger.Claim{Message: n.Message, Attempt: attempt, Via: n.Via, Nonce: n.Nonce, ClaimedAt: utc(n.At), By: n.By}
		err = tx.QueryRow(ctx, `INSERT INTO delivery_claims
			(kind, key, customer_id, attempt, via, nonce, claimed_at, host, pid, run)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			n.Message.Kind, n.Message.Key, n.Message.Customer, attempt, n.Via, n.Nonce, utc(n.At), n.By.Host, n.By.PID, n.By.Run).
			Scan(&out.ID)
		switch {
		case isUniqueViolation(err, "delivery_claims_kind_key_customer_id_attempt_key"):
			return ledger.ClaimRaced(n.Message)
		case isForeignKeyViolation(err):
			return &ledger.NotFoundError{Kind: "customer", ID: n.Message.Customer}
		case err != nil:
			return fmt.Errorf("claim %s: %w", n.Message, err)
		}
		return nil
	})
	return out, err
}

// MessageState is where a message stands.
func (s *Ledger) MessageState(ctx context.Context, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	return messageState(ctx, s.pool, m, now, alive)
}

func messageState(ctx context.Context, q querier, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	return ledger.ReadMessageState(alive, func() (ledger.MessageState, error) {
		return messageStateOnce(ctx, q, m, now, alive)
	})
}

func messageStateOnce(ctx context.Context, q querier, m ledger.MessageRef, now time.Time, alive ledger.Liveness) (ledger.MessageState, error) {
	claims, err := queryAll(ctx, q, "look up claims", claimSelect+` WHERE c.kind = $1 AND c.key = $2 AND c.customer_id = $3
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
		err := q.QueryRow(ctx, `SELECT via FROM thank_you_notes
			WHERE customer_id = $1 AND occasion_key = $2 AND status = 'sent'`, m.Customer, m.Key).Scan(&via)
		switch {
		case err == nil:
			return ledger.ThanksSentState(via, last), nil
		case !errors.Is(err, pgx.ErrNoRows):
			return prior, fmt.Errorf("look up thank-you notes: %w", err)
		}
	case ledger.MessageApology:
		var recorded, delivery, via *string
		aid, perr := strconv.ParseInt(m.Key, 10, 64)
		err := perr
		if perr == nil {
			err = q.QueryRow(ctx, `SELECT a.status, d.status, d.via FROM apologies a
				LEFT JOIN apology_deliveries d ON d.id = (SELECT MAX(id) FROM apology_deliveries WHERE apology_id = a.id)
				WHERE a.id = $1 AND a.customer_id = $2`, aid, m.Customer).Scan(&recorded, &delivery, &via)
		}
		if errors.Is(err, pgx.ErrNoRows) || perr != nil {
			return prior, &ledger.NotFoundError{Kind: "apology", ID: m.Key}
		}
		if err != nil {
			return prior, fmt.Errorf("look up apology %s: %w", m.Key, err)
		}
		prior = ledger.ApologyPrior(deref(recorded), deref(delivery), deref(via))
	default:
		return prior, fmt.Errorf("claim: unknown kind of message %q", m.Kind)
	}
	return ledger.StateOf(prior, last, now, alive), nil
}

// Claims lists claims with their outcomes, oldest first.
func (s *Ledger) Claims(ctx context.Context, f ledger.ClaimFilter) ([]ledger.Claim, error) {
	var (
		where []string
		p     params
	)
	for _, c := range []struct{ col, val string }{{"c.kind", f.Kind}, {"c.customer_id", f.Customer}, {"c.key", f.Key}} {
		if c.val != "" {
			where = append(where, c.col+" = "+p.add(c.val))
		}
	}
	if f.Unrecorded {
		where = append(where, "o.note_id IS NULL AND o.delivery_id IS NULL")
	}
	q := claimSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return queryAll(ctx, s.pool, "list claims", q+" ORDER BY c.id", p.args, scanClaim)
}

// RecordOutcome appends the outcome of a claim that has none.
func (s *Ledger) RecordOutcome(ctx context.Context, claim int64, o ledger.Outcome) error {
	return s.tx(ctx, func(tx *wtx) error { return insertOutcome(ctx, tx, claim, o, nil, nil) })
}

// insertOutcome appends a claim's outcome, pointing at the note or
// delivery written with it in the same transaction. Of two transactions
// recording an outcome of one claim at once, the second meets the first's
// row in the primary key, and is refused as the check before it would
// have refused it.
func insertOutcome(ctx context.Context, q querier, claim int64, o ledger.Outcome, noteID, deliveryID *int64) error {
	var recorded bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM delivery_outcomes WHERE claim_id = $1)`, claim).Scan(&recorded); err != nil {
		return fmt.Errorf("record outcome of claim %d: %w", claim, err)
	}
	if recorded {
		return ledger.OutcomeRecorded(claim)
	}
	_, err := q.Exec(ctx, `INSERT INTO delivery_outcomes (claim_id, status, message_id, error, by_hand, at, note_id, delivery_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, claim, o.Status, nullString(o.MessageID), o.Error, o.ByHand, utc(o.At), noteID, deliveryID)
	switch {
	case isUniqueViolation(err, ""):
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
		status, messageID, oerr *string
		byHand                  *bool
		outcomeAt               *time.Time
	)
	if err := r.Scan(&c.ID, &c.Message.Kind, &c.Message.Key, &c.Message.Customer, &c.Attempt, &c.Via, &c.Nonce, &c.ClaimedAt,
		&c.By.Host, &c.By.PID, &c.By.Run, &status, &messageID, &oerr, &byHand, &outcomeAt); err != nil {
		return c, err
	}
	if status != nil {
		c.Outcome = &ledger.Outcome{Status: *status, MessageID: deref(messageID), Error: deref(oerr), ByHand: deref(byHand),
			At: deref(outcomeAt)}
	}
	return c, nil
}
