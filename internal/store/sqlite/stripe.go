package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
)

// This file is the SQLite side of the Stripe sync (stripe.Ledger). Its
// tables come from migration 0007_stripe.sql; the rules (what to push, how a
// use is allocated, the keys) are in internal/stripe, and only integrity
// (no overdraw, one claim per push, one answer per claim) is checked here.

var _ stripe.Ledger = (*Ledger)(nil)

// customerSelectColumns are the columns scanCustomer reads.
const customerSelectColumns = customerColumns + `, stripe_id`

// LedgerID is the ledger's identity, written by migration 0006.
func (s *Ledger) LedgerID(ctx context.Context) (string, error) {
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT uuid FROM ledger_identity WHERE id = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("read the ledger identity: %w", err)
	}
	return id, nil
}

// CreditPushed reports whether a credit was claimed for a push to Stripe.
func (s *Ledger) CreditPushed(ctx context.Context, creditID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM stripe_pushes WHERE credit_id = ? AND kind = 'credit'`,
		creditID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up pushes of credit %d: %w", creditID, err)
	}
	return n > 0, nil
}

// SaveStripeCustomers creates and updates customers from Stripe in one
// transaction.
func (s *Ledger) SaveStripeCustomers(ctx context.Context, changes []stripe.CustomerChange) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, ch := range changes {
			c := ch.Customer
			tags, err := encodeTags(c.Tags)
			if err != nil {
				return err
			}
			if ch.Create {
				_, err = tx.ExecContext(ctx, `INSERT INTO customers (`+customerColumns+`, stripe_id)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					c.ID, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
					fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt),
					nullString(c.StripeID))
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE customers SET name = ?, email = ?, plan = ?,
					price_minor = ?, currency = ?, period = ?, since = ?, locale = ?, tags = ?,
					advocate = ?, updated_at = ?, stripe_id = ? WHERE id = ?`,
					c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency, periodOrDefault(c.Period),
					fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.UpdatedAt), nullString(c.StripeID), c.ID)
			}
			if isUniqueViolation(err) {
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
	var (
		p  stripe.Push
		at string
	)
	if err := r.Scan(&p.ID, &p.CreditID, &p.Kind, &p.Customer, &p.StripeCustomer, &p.AmountMinor, &p.AmountStripe,
		&p.Currency, &p.Description, &p.IdempotencyKey, &at, &p.TransactionID, &p.How); err != nil {
		return p, err
	}
	var err error
	p.IntendedAt, err = parseTime(at)
	return p, err
}

// Candidates lists the customers' money credits with what remains, what
// Stripe would hold, and their pushes.
func (s *Ledger) Candidates(ctx context.Context, customers []string) ([]stripe.Candidate, error) {
	var out []stripe.Candidate
	for _, cust := range customers {
		credits, err := queryAll(ctx, s.db, "list credits to push", creditSelect+
			` WHERE c.customer_id = ? AND c.gesture IS NULL ORDER BY c.id`, []any{cust}, scanCredit)
		if err != nil {
			return nil, err
		}
		if len(credits) == 0 {
			continue
		}
		held := map[int64]int64{}
		rows, err := s.db.QueryContext(ctx, `SELECT credit_id, SUM(amount_minor) FROM credit_entries
			WHERE customer_id = ? AND kind != 'void' GROUP BY credit_id`, cust)
		if err != nil {
			return nil, fmt.Errorf("list credits to push: %w", err)
		}
		for rows.Next() {
			var id, sum int64
			if err := rows.Scan(&id, &sum); err != nil {
				rows.Close()
				return nil, err
			}
			held[id] = sum
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		pushes, err := queryAll(ctx, s.db, "list pushes", `SELECT `+pushColumns+pushFrom+
			` WHERE p.customer_id = ? ORDER BY p.id`, []any{cust}, scanPush)
		if err != nil {
			return nil, err
		}
		byCredit := map[int64][]stripe.Push{}
		for _, p := range pushes {
			byCredit[p.CreditID] = append(byCredit[p.CreditID], p)
		}
		for _, c := range credits {
			out = append(out, stripe.Candidate{Credit: c, HeldMinor: held[c.ID], Pushes: byCredit[c.ID]})
		}
	}
	return out, nil
}

// ClaimPushes records pushes before they are sent, in one transaction.
func (s *Ledger) ClaimPushes(ctx context.Context, pushes []stripe.Push) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, p := range pushes {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM stripe_pushes
				WHERE (credit_id = ? AND kind = ?) OR idempotency_key = ?`, p.CreditID, p.Kind, p.IdempotencyKey).Scan(&exists); err != nil {
				return fmt.Errorf("claim push of credit %d: %w", p.CreditID, err)
			}
			if exists > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_pushes (credit_id, kind, customer_id,
				stripe_customer, amount_minor, amount_stripe, currency, description, idempotency_key, intended_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.CreditID, p.Kind, p.Customer, p.StripeCustomer,
				p.AmountMinor, p.AmountStripe, p.Currency, p.Description, p.IdempotencyKey, fmtTime(p.IntendedAt)); err != nil {
				return fmt.Errorf("claim push of credit %d: %w", p.CreditID, err)
			}
			n++
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
		q += ` AND p.customer_id = ?`
		args = append(args, customer)
	}
	return queryAll(ctx, s.db, "list pending pushes", q+` ORDER BY p.id`, args, scanPush)
}

// ConfirmPush records the balance transaction Stripe created for a claim.
func (s *Ledger) ConfirmPush(ctx context.Context, pushID int64, txnID, how string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT transaction_id FROM stripe_push_results WHERE push_id = ?`, pushID).Scan(&have)
		switch {
		case err == nil && have == txnID:
			return nil
		case err == nil:
			return ledger.Conflictf("push %d was already answered by %s, not %s", pushID, have, txnID)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		var other int64
		err = tx.QueryRowContext(ctx, `SELECT push_id FROM stripe_push_results WHERE transaction_id = ?`, txnID).Scan(&other)
		switch {
		case err == nil:
			return ledger.Conflictf("balance transaction %s already answers push %d, not %d", txnID, other, pushID)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_push_results (push_id, transaction_id, how, at)
			VALUES (?, ?, ?, ?)`, pushID, txnID, how, fmtTime(at)); err != nil {
			return fmt.Errorf("confirm push %d: %w", pushID, err)
		}
		return nil
	})
}

// PullCursor is the newest transaction time the last pull saw.
func (s *Ledger) PullCursor(ctx context.Context, stripeCustomer string) (int64, bool, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT created_unix FROM stripe_pull_cursors WHERE stripe_customer = ?
		ORDER BY id DESC LIMIT 1`, stripeCustomer).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read the pull cursor of %s: %w", stripeCustomer, err)
	}
	return v, true, nil
}

// Known reports which transactions the ledger holds already.
func (s *Ledger) Known(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM stripe_push_results WHERE transaction_id = ?)
			+ (SELECT COUNT(*) FROM stripe_pulled WHERE transaction_id = ?)`, id, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("look up transaction %s: %w", id, err)
		}
		if n > 0 {
			out[id] = true
		}
	}
	return out, nil
}

// Pushables lists the customer's credits claimed for a push.
func (s *Ledger) Pushables(ctx context.Context, customer string) ([]stripe.Pushable, error) {
	credits, err := queryAll(ctx, s.db, "list pushed credits", creditSelect+
		` WHERE c.customer_id = ? AND c.gesture IS NULL AND EXISTS
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
	return queryAll(ctx, s.db, "list invoice uses", `SELECT pe.credit_id, -SUM(pe.amount_minor),
		EXISTS (SELECT 1 FROM credit_entries v WHERE v.credit_id = pe.credit_id AND v.kind = 'void')
		FROM stripe_pull_entries pe JOIN credits c ON c.id = pe.credit_id
		WHERE pe.invoice = ? AND c.customer_id = ? GROUP BY pe.credit_id ORDER BY MIN(pe.entry_id)`,
		[]any{invoice, customer}, func(r scanner) (stripe.InvoiceUse, error) {
			var u stripe.InvoiceUse
			err := r.Scan(&u.CreditID, &u.UsedMinor, &u.Voided)
			return u, err
		})
}

// RecordPull writes one customer's pull in one transaction.
func (s *Ledger) RecordPull(ctx context.Context, rec stripe.PullRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range rec.Txns {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM stripe_pulled WHERE transaction_id = ?`, t.ID).Scan(&n); err != nil {
				return fmt.Errorf("record pull: %w", err)
			}
			if n > 0 {
				return ledger.Conflictf("balance transaction %s was recorded by another pull meanwhile; run makegood stripe pull again", t.ID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_pulled (transaction_id, customer_id, stripe_customer,
				type, disposition, amount_stripe, amount_minor, currency, invoice, description, unallocated_minor,
				created_at, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				t.ID, rec.Customer, rec.StripeCustomer, t.Type, t.Disposition, t.AmountStripe, t.AmountMinor,
				t.Currency, t.Invoice, t.Description, t.UnallocatedMinor, fmtTime(t.Created), fmtTime(rec.At)); err != nil {
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
			return err
		}
		if !ok || rec.CursorUnix > cur {
			if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_pull_cursors (stripe_customer, created_unix, at)
				VALUES (?, ?, ?)`, rec.StripeCustomer, rec.CursorUnix, fmtTime(rec.At)); err != nil {
				return fmt.Errorf("record the pull cursor: %w", err)
			}
		}
		return nil
	})
}

func cursorIn(ctx context.Context, tx *sql.Tx, stripeCustomer string) (int64, bool, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT created_unix FROM stripe_pull_cursors WHERE stripe_customer = ?
		ORDER BY id DESC LIMIT 1`, stripeCustomer).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read the pull cursor: %w", err)
	}
	return v, true, nil
}

// writePullEntry writes an apply entry for a use (negative) or its return
// (positive), refusing to use more of a credit than remains.
func writePullEntry(ctx context.Context, tx *sql.Tx, customer string, t stripe.PulledTxn, a stripe.Allocation) error {
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
	res, err := tx.ExecContext(ctx, `INSERT INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, invoice, note, at)
		VALUES (?, ?, ?, ?, 'apply', ?, ?, ?, ?)`,
		c.ID, c.Customer, c.Currency, fmtTimePtr(c.ExpiresAt), a.AmountMinor, t.Invoice, note, fmtTime(t.Created))
	if err != nil {
		return fmt.Errorf("record the use of credit %d: %w", c.ID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record the use of credit %d: %w", c.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stripe_pull_entries (entry_id, transaction_id, credit_id, invoice, amount_minor)
		VALUES (?, ?, ?, ?, ?)`, id, t.ID, c.ID, t.Invoice, a.AmountMinor); err != nil {
		return fmt.Errorf("link the use of credit %d: %w", c.ID, err)
	}
	return nil
}

// PulledTotals sums a customer's recorded foreign adjustments and
// unallocated uses per currency.
func (s *Ledger) PulledTotals(ctx context.Context, customer string) (map[string]stripe.PulledTotal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT currency,
		SUM(CASE WHEN disposition = 'foreign' THEN -amount_minor ELSE 0 END),
		SUM(CASE disposition WHEN 'applied' THEN unallocated_minor WHEN 'unapplied' THEN -unallocated_minor ELSE 0 END)
		FROM stripe_pulled WHERE customer_id = ? GROUP BY currency`, customer)
	if err != nil {
		return nil, fmt.Errorf("sum pulled transactions: %w", err)
	}
	defer rows.Close()
	out := map[string]stripe.PulledTotal{}
	for rows.Next() {
		var (
			cur string
			t   stripe.PulledTotal
		)
		if err := rows.Scan(&cur, &t.ForeignMinor, &t.UnallocatedMinor); err != nil {
			return nil, err
		}
		out[cur] = t
	}
	return out, rows.Err()
}
