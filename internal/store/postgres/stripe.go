package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
)

// This file is the PostgreSQL side of the Stripe sync (stripe.Ledger). Its
// tables come from migration 0007_stripe.sql; the rules (what to push, how a
// use is allocated, the keys) are in internal/stripe, and only integrity
// (no overdraw, one claim per push, one answer per claim) is kept here.

var _ stripe.Ledger = (*Ledger)(nil)

// LedgerID is the ledger's identity, written by migration 0007.
func (s *Ledger) LedgerID(ctx context.Context) (string, error) {
	var lid string
	if err := s.pool.QueryRow(ctx, `SELECT uuid FROM ledger_identity WHERE id = 1`).Scan(&lid); err != nil {
		return "", fmt.Errorf("read the ledger identity: %w", err)
	}
	return lid, nil
}

// CreditPushed reports whether a credit was claimed for a push to Stripe.
func (s *Ledger) CreditPushed(ctx context.Context, creditID int64) (bool, error) {
	var pushed bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stripe_pushes WHERE credit_id = $1 AND kind = 'credit')`,
		creditID).Scan(&pushed)
	if err != nil {
		return false, fmt.Errorf("look up pushes of credit %d: %w", creditID, err)
	}
	return pushed, nil
}

// SaveStripeCustomers creates and updates customers from Stripe in one
// transaction.
func (s *Ledger) SaveStripeCustomers(ctx context.Context, changes []stripe.CustomerChange) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, ch := range changes {
			c := ch.Customer
			var err error
			if ch.Create {
				args, aerr := customerArgs(c)
				if aerr != nil {
					return aerr
				}
				_, err = tx.Exec(ctx, `INSERT INTO customers (`+customerColumns+`, stripe_id)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
					append(args, nullString(c.StripeID))...)
			} else {
				args, aerr := updateArgs(c)
				if aerr != nil {
					return aerr
				}
				_, err = tx.Exec(ctx, `UPDATE customers SET name = $2, email = $3, plan = $4, price_minor = $5, currency = $6,
					period = $7, since = $8, locale = $9, tags = $10, advocate = $11, updated_at = $12, stripe_id = $13
					WHERE id = $1`, append(args, nullString(c.StripeID))...)
			}
			if isUniqueViolation(err, "") {
				return ledger.Conflictf("customer %q: another customer already has Stripe id %s or this id", c.ID, c.StripeID)
			}
			if err != nil {
				return fmt.Errorf("write customer %q: %w", c.ID, err)
			}
		}
		return nil
	})
}

const pushColumns = `p.id, p.credit_id, p.kind, p.customer_id, p.stripe_customer, p.amount_minor, p.amount_stripe,
	p.currency, p.description, p.idempotency_key, p.intended_at, COALESCE(r.transaction_id, ''), COALESCE(r.how, '')`

const pushFrom = ` FROM stripe_pushes p LEFT JOIN stripe_push_results r ON r.push_id = p.id`

func scanPush(r scanner) (stripe.Push, error) {
	var p stripe.Push
	err := r.Scan(&p.ID, &p.CreditID, &p.Kind, &p.Customer, &p.StripeCustomer, &p.AmountMinor, &p.AmountStripe,
		&p.Currency, &p.Description, &p.IdempotencyKey, &p.IntendedAt, &p.TransactionID, &p.How)
	return p, err
}

// Candidates lists the customers' money credits with what remains, what
// Stripe would hold, and their pushes. The three reads are of one
// snapshot.
func (s *Ledger) Candidates(ctx context.Context, customers []string) ([]stripe.Candidate, error) {
	var out []stripe.Candidate
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		out = nil
		for _, cust := range customers {
			credits, err := queryAll(ctx, tx, "list credits to push", creditSelect+
				` WHERE c.customer_id = $1 AND c.gesture IS NULL ORDER BY c.id`, []any{cust}, scanCredit)
			if err != nil {
				return err
			}
			if len(credits) == 0 {
				continue
			}
			type held struct{ credit, sum int64 }
			sums, err := queryAll(ctx, tx, "list credits to push", `SELECT credit_id, SUM(amount_minor)::bigint FROM credit_entries
				WHERE customer_id = $1 AND kind <> 'void' GROUP BY credit_id`, []any{cust},
				func(r scanner) (held, error) {
					var h held
					err := r.Scan(&h.credit, &h.sum)
					return h, err
				})
			if err != nil {
				return err
			}
			heldBy := make(map[int64]int64, len(sums))
			for _, h := range sums {
				heldBy[h.credit] = h.sum
			}
			pushes, err := queryAll(ctx, tx, "list pushes", `SELECT `+pushColumns+pushFrom+
				` WHERE p.customer_id = $1 ORDER BY p.id`, []any{cust}, scanPush)
			if err != nil {
				return err
			}
			byCredit := map[int64][]stripe.Push{}
			for _, p := range pushes {
				byCredit[p.CreditID] = append(byCredit[p.CreditID], p)
			}
			for _, c := range credits {
				out = append(out, stripe.Candidate{Credit: c, HeldMinor: heldBy[c.ID], Pushes: byCredit[c.ID]})
			}
		}
		return nil
	})
	return out, err
}

// ClaimPushes records pushes before they are sent, in one transaction. A
// push whose credit and kind (or key) are claimed already is left as it
// is; one being claimed by a concurrent run at the same moment is waited
// for, then left too (ON CONFLICT DO NOTHING, which changes no row).
func (s *Ledger) ClaimPushes(ctx context.Context, pushes []stripe.Push) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *wtx) error {
		n = 0
		for _, p := range pushes {
			tag, err := tx.Exec(ctx, `INSERT INTO stripe_pushes (credit_id, kind, customer_id,
				stripe_customer, amount_minor, amount_stripe, currency, description, idempotency_key, intended_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`, p.CreditID, p.Kind, p.Customer,
				p.StripeCustomer, p.AmountMinor, p.AmountStripe, p.Currency, p.Description, p.IdempotencyKey, utc(p.IntendedAt))
			if err != nil {
				return fmt.Errorf("claim push of credit %d: %w", p.CreditID, err)
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	return n, err
}

// PendingPushes lists claims without an answer, oldest first.
func (s *Ledger) PendingPushes(ctx context.Context, customer string) ([]stripe.Push, error) {
	q := `SELECT ` + pushColumns + pushFrom + ` WHERE r.push_id IS NULL`
	var args []any
	if customer != "" {
		q += ` AND p.customer_id = $1`
		args = append(args, customer)
	}
	return queryAll(ctx, s.pool, "list pending pushes", q+` ORDER BY p.id`, args, scanPush)
}

// ConfirmPush records the balance transaction Stripe created for a claim.
func (s *Ledger) ConfirmPush(ctx context.Context, pushID int64, txnID, how string, at time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		var have string
		err := tx.QueryRow(ctx, `SELECT transaction_id FROM stripe_push_results WHERE push_id = $1`, pushID).Scan(&have)
		switch {
		case err == nil && have == txnID:
			return nil
		case err == nil:
			return ledger.Conflictf("push %d was already answered by %s, not %s", pushID, have, txnID)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		var other int64
		err = tx.QueryRow(ctx, `SELECT push_id FROM stripe_push_results WHERE transaction_id = $1`, txnID).Scan(&other)
		switch {
		case err == nil && other == pushID:
			// Recorded by another run between this one's two reads: the
			// same answer to the same push.
			return nil
		case err == nil:
			return ledger.Conflictf("balance transaction %s already answers push %d, not %d", txnID, other, pushID)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO stripe_push_results (push_id, transaction_id, how, at)
			VALUES ($1, $2, $3, $4)`, pushID, txnID, how, utc(at))
		if isUniqueViolation(err, "") {
			// Another run recorded an answer since this one looked: run
			// again to compare it with this one.
			return errRetry
		}
		if err != nil {
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		return nil
	})
}

// PullCursor is the newest transaction time the last pull saw.
func (s *Ledger) PullCursor(ctx context.Context, stripeCustomer string) (int64, bool, error) {
	v, ok, err := cursorIn(ctx, s.pool, stripeCustomer)
	if err != nil {
		return 0, false, fmt.Errorf("read the pull cursor of %s: %w", stripeCustomer, err)
	}
	return v, ok, nil
}

// Known reports which transactions the ledger holds already.
func (s *Ledger) Known(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	known, err := queryAll(ctx, s.pool, "look up transactions", `SELECT transaction_id FROM stripe_push_results WHERE transaction_id = ANY($1)
		UNION SELECT transaction_id FROM stripe_pulled WHERE transaction_id = ANY($1)`, []any{ids},
		func(r scanner) (string, error) {
			var t string
			return t, r.Scan(&t)
		})
	if err != nil {
		return nil, err
	}
	for _, t := range known {
		out[t] = true
	}
	return out, nil
}

// Pushables lists the customer's credits claimed for a push.
func (s *Ledger) Pushables(ctx context.Context, customer string) ([]stripe.Pushable, error) {
	credits, err := queryAll(ctx, s.pool, "list pushed credits", creditSelect+
		` WHERE c.customer_id = $1 AND c.gesture IS NULL AND EXISTS
		(SELECT 1 FROM stripe_pushes p WHERE p.credit_id = c.id AND p.kind = 'credit') ORDER BY c.id`,
		[]any{customer}, scanCredit)
	if err != nil {
		return nil, err
	}
	out := make([]stripe.Pushable, len(credits))
	for i, c := range credits {
		out[i] = stripe.Pushable{CreditID: c.ID, Currency: c.Currency, RemainingMinor: c.RemainingMinor,
			IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, Voided: c.VoidedAt != nil}
	}
	return out, nil
}

// InvoiceUses sums, per credit, what pulls recorded for an invoice.
func (s *Ledger) InvoiceUses(ctx context.Context, customer, invoice string) ([]stripe.InvoiceUse, error) {
	return queryAll(ctx, s.pool, "list invoice uses", `SELECT pe.credit_id, (-SUM(pe.amount_minor))::bigint,
		EXISTS (SELECT 1 FROM credit_entries v WHERE v.credit_id = pe.credit_id AND v.kind = 'void')
		FROM stripe_pull_entries pe JOIN credits c ON c.id = pe.credit_id
		WHERE pe.invoice = $1 AND c.customer_id = $2 GROUP BY pe.credit_id ORDER BY MIN(pe.entry_id)`,
		[]any{invoice, customer}, func(r scanner) (stripe.InvoiceUse, error) {
			var u stripe.InvoiceUse
			err := r.Scan(&u.CreditID, &u.UsedMinor, &u.Voided)
			return u, err
		})
}

// RecordPull writes one customer's pull in one transaction: under the
// customer's pull lock, and the locks of every credit it uses, so that no
// void or apply of those credits comes between the check of what remains
// and the use.
func (s *Ledger) RecordPull(ctx context.Context, rec stripe.PullRecord) error {
	return s.tx(ctx, func(tx *wtx) error {
		if err := lock(ctx, tx, lockPull, rec.StripeCustomer); err != nil {
			return err
		}
		var credits [][]string
		for _, t := range rec.Txns {
			for _, a := range t.Entries {
				credits = append(credits, []string{id(a.CreditID)})
			}
		}
		if err := advisoryLock(ctx, tx, lockCredit, credits...); err != nil {
			return err
		}
		for _, t := range rec.Txns {
			var seen bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stripe_pulled WHERE transaction_id = $1)`, t.ID).Scan(&seen); err != nil {
				return fmt.Errorf("record pull: %w", err)
			}
			if seen {
				return ledger.Conflictf("balance transaction %s was recorded by another pull meanwhile; run makegood stripe pull again", t.ID)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO stripe_pulled (transaction_id, customer_id, stripe_customer,
				type, disposition, amount_stripe, amount_minor, currency, invoice, description, unallocated_minor,
				created_at, pulled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				t.ID, rec.Customer, rec.StripeCustomer, t.Type, t.Disposition, t.AmountStripe, t.AmountMinor,
				t.Currency, t.Invoice, t.Description, t.UnallocatedMinor, utc(t.Created), utc(rec.At)); err != nil {
				if isUniqueViolation(err, "stripe_pulled_pkey") {
					return ledger.Conflictf("balance transaction %s was recorded by another pull meanwhile; run makegood stripe pull again", t.ID)
				}
				return fmt.Errorf("record transaction %s: %w", t.ID, err)
			}
			for _, a := range t.Entries {
				if err := writePullEntry(ctx, tx, rec.Customer, t, a); err != nil {
					return err
				}
			}
		}
		cur, ok, err := cursorIn(ctx, tx, rec.StripeCustomer)
		if err != nil {
			return fmt.Errorf("read the pull cursor: %w", err)
		}
		if !ok || rec.CursorUnix > cur {
			if _, err := tx.Exec(ctx, `INSERT INTO stripe_pull_cursors (stripe_customer, created_unix, at)
				VALUES ($1, $2, $3)`, rec.StripeCustomer, rec.CursorUnix, utc(rec.At)); err != nil {
				return fmt.Errorf("record the pull cursor: %w", err)
			}
		}
		return nil
	})
}

func cursorIn(ctx context.Context, q querier, stripeCustomer string) (int64, bool, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT created_unix FROM stripe_pull_cursors WHERE stripe_customer = $1
		ORDER BY id DESC LIMIT 1`, stripeCustomer).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return v, true, nil
}

// writePullEntry writes an apply entry for a use (negative) or its return
// (positive), refusing to use more of a credit than remains.
func writePullEntry(ctx context.Context, tx *wtx, customer string, t stripe.PulledTxn, a stripe.Allocation) error {
	c, err := creditByID(ctx, tx, a.CreditID)
	if err != nil {
		return err
	}
	if c.Customer != customer {
		return ledger.Conflictf("credit %d belongs to %q, not %q", c.ID, c.Customer, customer)
	}
	if a.AmountMinor < 0 && (c.VoidedAt != nil || c.RemainingMinor < -a.AmountMinor) {
		return ledger.Conflictf("transaction %s would use %d of credit %d, which has %d left", t.ID, -a.AmountMinor, c.ID, c.RemainingMinor)
	}
	note := fmt.Sprintf("Stripe %s (%s)", t.ID, t.Type)
	var eid int64
	if err := tx.QueryRow(ctx, `INSERT INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, invoice, note, at)
		VALUES ($1, $2, $3, $4, 'apply', $5, $6, $7, $8) RETURNING id`,
		c.ID, c.Customer, c.Currency, c.ExpiresAt, a.AmountMinor, t.Invoice, note, utc(t.Created)).Scan(&eid); err != nil {
		return fmt.Errorf("record the use of credit %d: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stripe_pull_entries (entry_id, transaction_id, credit_id, invoice, amount_minor)
		VALUES ($1, $2, $3, $4, $5)`, eid, t.ID, c.ID, t.Invoice, a.AmountMinor); err != nil {
		return fmt.Errorf("link the use of credit %d: %w", c.ID, err)
	}
	return nil
}

// PulledTotals sums a customer's recorded foreign adjustments and
// unallocated uses per currency.
func (s *Ledger) PulledTotals(ctx context.Context, customer string) (map[string]stripe.PulledTotal, error) {
	type total struct {
		cur string
		t   stripe.PulledTotal
	}
	rows, err := queryAll(ctx, s.pool, "sum pulled transactions", `SELECT currency,
		SUM(CASE WHEN disposition = 'foreign' THEN -amount_minor ELSE 0 END)::bigint,
		SUM(CASE disposition WHEN 'applied' THEN unallocated_minor WHEN 'unapplied' THEN -unallocated_minor ELSE 0 END)::bigint
		FROM stripe_pulled WHERE customer_id = $1 GROUP BY currency`, []any{customer},
		func(r scanner) (total, error) {
			var t total
			err := r.Scan(&t.cur, &t.t.ForeignMinor, &t.t.UnallocatedMinor)
			return t, err
		})
	if err != nil {
		return nil, err
	}
	out := make(map[string]stripe.PulledTotal, len(rows))
	for _, t := range rows {
		out[t.cur] = t.t
	}
	return out, nil
}
