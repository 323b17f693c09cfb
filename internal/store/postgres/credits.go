package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// creditSelect yields one row per credit with what remains of it and its
// void, if any. Callers add WHERE clauses on the alias c.
const creditSelect = `SELECT c.id, c.customer_id, c.amount_minor, c.currency, c.reason, c.note,
	c.issued_at, c.expires_at, c.idempotency_key, v.at AS void_at, v.note AS void_note,
	(SELECT COALESCE(SUM(e.amount_minor), 0)::bigint FROM credit_entries e WHERE e.credit_id = c.id) AS remaining,
	c.incident_id, c.gesture
FROM credits c LEFT JOIN credit_entries v ON v.credit_id = c.id AND v.kind = 'void'`

// IssueCredit records a credit and its issue entry in one transaction.
func (s *Ledger) IssueCredit(ctx context.Context, nc ledger.NewCredit) (ledger.Credit, bool, error) {
	var (
		out     ledger.Credit
		created bool
	)
	err := s.tx(ctx, func(tx *wtx) error {
		var err error
		out, created, err = issueCredit(ctx, tx, nc)
		return err
	})
	return out, created, err
}

// issueCredit is the body of IssueCredit, shared with the paths that
// issue a credit with something else in one transaction (notes, cases).
func issueCredit(ctx context.Context, tx *wtx, nc ledger.NewCredit) (ledger.Credit, bool, error) {
	if err := nc.Validate(); err != nil {
		return ledger.Credit{}, false, err
	}
	if nc.Compensation {
		if nc.IdempotencyKey != "" {
			return ledger.Credit{}, false, errors.New("issue credit: a compensation is keyed by the ledger, not by the caller")
		}
		// Every run compensating this customer for this incident queues
		// here, so the second finds the first's credit.
		if err := lock(ctx, tx, lockAffected, id(nc.IncidentID), nc.Customer); err != nil {
			return ledger.Credit{}, false, err
		}
		existing, key, err := compensation(ctx, tx, nc.IncidentID, nc.Customer)
		if err != nil || existing != nil {
			if existing != nil {
				return *existing, false, nil
			}
			return ledger.Credit{}, false, err
		}
		nc.IdempotencyKey = key
	}
	if nc.IdempotencyKey != "" {
		if err := lock(ctx, tx, lockCreditKey, nc.IdempotencyKey); err != nil {
			return ledger.Credit{}, false, err
		}
		existing, err := creditByKey(ctx, tx, nc.IdempotencyKey)
		switch {
		case err == nil:
			if err := nc.CheckRetry(existing); err != nil {
				return ledger.Credit{}, false, err
			}
			return existing, false, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return ledger.Credit{}, false, err
		}
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)`, nc.Customer).Scan(&exists); err != nil {
		return ledger.Credit{}, false, fmt.Errorf("look up customer: %w", err)
	}
	switch {
	case !exists && nc.NewCustomer != nil && nc.NewCustomer.ID == nc.Customer:
		err := insertCustomer(ctx, tx, *nc.NewCustomer)
		if errors.Is(err, ledger.ErrConflict) {
			// Added by another transaction since this one looked: run
			// again, and the credit goes to the customer it added.
			return ledger.Credit{}, false, errRetry
		}
		if err != nil {
			return ledger.Credit{}, false, err
		}
	case !exists:
		return ledger.Credit{}, false, &ledger.NotFoundError{Kind: "customer", ID: nc.Customer}
	}
	if nc.IncidentID != 0 {
		if err := addAffected(ctx, tx, nc.IncidentID, nc.Customer, nc.IssuedAt); err != nil {
			return ledger.Credit{}, false, err
		}
	}
	if nc.Gesture == "" {
		if nc.Budget != nil {
			b := *nc.Budget
			if b.Currency != nc.Currency {
				return ledger.Credit{}, false, fmt.Errorf("issue credit: a %s budget for a %s credit", b.Currency, nc.Currency)
			}
			// Budgeted credits in a currency are written one at a time,
			// each against what the others gave.
			if err := lock(ctx, tx, lockBudget, b.Currency); err != nil {
				return ledger.Credit{}, false, err
			}
			given, err := givenInPeriod(ctx, tx, b.Currency, b.From, b.Until)
			if err != nil {
				return ledger.Credit{}, false, err
			}
			if err := b.Check(given, nc.AmountMinor); err != nil {
				return ledger.Credit{}, false, err
			}
		}
		if err := checkCurrencyTotal(ctx, tx, "amount", nc.Currency, nc.AmountMinor); err != nil {
			return ledger.Credit{}, false, err
		}
	}
	var cid int64
	err := tx.QueryRow(ctx, `INSERT INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key, incident_id, gesture)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note, utc(nc.IssuedAt),
		utcPtr(nc.ExpiresAt), nullString(nc.IdempotencyKey), nullInt(nc.IncidentID), nullString(nc.Gesture)).Scan(&cid)
	if isUniqueViolation(err, "credits_idempotency_key_key") {
		// An import, which takes no lock per key, committed the key after
		// this transaction looked for it.
		return ledger.Credit{}, false, errRetry
	}
	if err != nil {
		return ledger.Credit{}, false, fmt.Errorf("insert credit: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		VALUES ($1, $2, $3, $4, 'issue', $5, $6)`,
		cid, nc.Customer, nc.Currency, utcPtr(nc.ExpiresAt), nc.AmountMinor, utc(nc.IssuedAt)); err != nil {
		return ledger.Credit{}, false, fmt.Errorf("insert credit entry: %w", err)
	}
	if nc.Gesture == "" {
		tx.issuedIn(nc.Currency)
	}
	return ledger.Credit{
		ID: cid, Customer: nc.Customer, AmountMinor: nc.AmountMinor, Currency: nc.Currency,
		Reason: nc.Reason, Note: nc.Note, IssuedAt: utc(nc.IssuedAt), ExpiresAt: utcPtr(nc.ExpiresAt),
		IdempotencyKey: nc.IdempotencyKey, RemainingMinor: nc.AmountMinor,
		IncidentID: nc.IncidentID, Gesture: nc.Gesture,
	}, true, nil
}

// compensation reads the customer's credits and gestures for an incident
// and finds their compensation among them (ledger.FindCompensation).
func compensation(ctx context.Context, q querier, incident int64, customer string) (*ledger.Credit, string, error) {
	given, err := queryAll(ctx, q, "look up compensation", creditSelect+` WHERE c.incident_id = $1 AND c.customer_id = $2 ORDER BY c.id`,
		[]any{incident, customer}, scanCredit)
	if err != nil {
		return nil, "", err
	}
	c, key := ledger.FindCompensation(incident, customer, given)
	return c, key, nil
}

// givenInPeriod is what was credited in currency in [from, until), net of
// voids: what a goodwill budget has given.
func givenInPeriod(ctx context.Context, q querier, currency string, from, until time.Time) (int64, error) {
	var given int64
	if err := q.QueryRow(ctx, givenQuery, currency, utc(from), utc(until)).Scan(&given); err != nil {
		return 0, fmt.Errorf("sum credits given: %w", err)
	}
	return given, nil
}

const givenQuery = `SELECT COALESCE(SUM(e.amount_minor), 0)::bigint FROM credit_entries e
	JOIN credits c ON c.id = e.credit_id
	WHERE e.kind IN ('issue', 'void') AND c.currency = $1 AND c.issued_at >= $2 AND c.issued_at < $3`

// checkCurrencyTotal applies ledger.CheckIssueTotal to a credit of
// amount in currency, against what this transaction sees. Others may be
// issuing in the currency at the same moment; checkTotals settles that at
// commit.
func checkCurrencyTotal(ctx context.Context, q querier, field, currency string, amount int64) error {
	return ledger.CheckIssueTotal(field, currency, amount, ledger.CurrencyTotalReads{
		Span:   func() (int64, error) { return creditSpan(ctx, q) },
		Issued: func() (int64, error) { return issuedIn(ctx, q, currency) },
	})
}

// issuedIn records that the transaction issued credits in currency.
func (tx *wtx) issuedIn(currency string) {
	if tx.issued == nil {
		tx.issued = map[string]bool{}
	}
	tx.issued[currency] = true
}

// checkTotals is the bound on a currency's total (ledger.
// CheckCurrencyTotal) once more, just before commit, for every currency
// the transaction issued in: under a lock per currency, so that of
// transactions issuing at the same time each checks with all the others
// that committed before it, and the total never passes the bound however
// they overlap. The lock is held only from here to the commit, and
// nothing is waited for while it is held.
func (tx *wtx) checkTotals(ctx context.Context) error {
	if len(tx.issued) == 0 {
		return nil
	}
	var curs []string
	for cur := range tx.issued {
		curs = append(curs, cur)
	}
	slices.Sort(curs)
	things := make([][]string, len(curs))
	for i, cur := range curs {
		things[i] = []string{cur}
	}
	if err := advisoryLock(ctx, tx, lockCurrencyTotal, things...); err != nil {
		return err
	}
	for _, cur := range curs {
		if err := checkCurrencyTotal(ctx, tx, "amount", cur, 0); err != nil {
			return ledger.Conflictf("credits in %s issued at the same time as these would together take everything issued "+
				"in %s past the ledger's bound of %d minor units; nothing was written", cur, cur, ledger.MaxCurrencyTotalMinor)
		}
	}
	return nil
}

// creditSpan is at least the number of credits: ids are unique integers.
func creditSpan(ctx context.Context, q querier) (int64, error) {
	var lo, hi *int64
	if err := q.QueryRow(ctx, `SELECT MIN(id), MAX(id) FROM credits`).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("count credits: %w", err)
	}
	if hi == nil {
		return 0, nil
	}
	return *hi - *lo + 1, nil
}

// issuedIn sums what was ever issued in currency.
func issuedIn(ctx context.Context, q querier, currency string) (int64, error) {
	var issued int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(amount_minor), 0)::bigint FROM credits WHERE currency = $1`, currency).Scan(&issued); err != nil {
		return 0, fmt.Errorf("sum the ledger's %s credits: %w", currency, err)
	}
	return issued, nil
}

func creditByKey(ctx context.Context, q querier, key string) (ledger.Credit, error) {
	return scanCredit(q.QueryRow(ctx, creditSelect+` WHERE c.idempotency_key = $1`, key))
}

func creditByID(ctx context.Context, q querier, cid int64) (ledger.Credit, error) {
	c, err := scanCredit(q.QueryRow(ctx, creditSelect+` WHERE c.id = $1`, cid))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, &ledger.NotFoundError{Kind: "credit", ID: fmt.Sprint(cid)}
	}
	return c, err
}

// Credit returns one credit.
func (s *Ledger) Credit(ctx context.Context, cid int64) (ledger.Credit, error) {
	return creditByID(ctx, s.pool, cid)
}

// creditsQuery is the query behind Credits. The status is derived from
// what remains, the void and the clock, never stored: it filters the
// outer query, as SQLite's does.
func creditsQuery(f ledger.CreditFilter) (string, []any, error) {
	var (
		where []string
		p     params
	)
	if f.Customer != "" {
		where = append(where, "c.customer_id = "+p.add(f.Customer))
	}
	if f.Reason != "" {
		where = append(where, "c.reason = "+p.add(f.Reason))
	}
	if !f.Since.IsZero() {
		where = append(where, "c.issued_at >= "+p.add(utc(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "c.issued_at < "+p.add(utc(f.Until)))
	}
	if f.Incident != 0 {
		where = append(where, "c.incident_id = "+p.add(f.Incident))
	}
	q := creditSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q = `SELECT * FROM (` + q + `) AS c`
	switch f.Status {
	case "":
	case ledger.StatusVoid:
		q += " WHERE void_at IS NOT NULL"
	case ledger.StatusApplied:
		q += " WHERE void_at IS NULL AND remaining <= 0 AND gesture IS NULL"
	case ledger.StatusGiven:
		q += " WHERE void_at IS NULL AND gesture IS NOT NULL"
	case ledger.StatusExpired:
		q += " WHERE void_at IS NULL AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= " + p.add(utc(f.Now))
	case ledger.StatusOpen:
		q += " WHERE void_at IS NULL AND remaining > 0 AND (expires_at IS NULL OR expires_at > " + p.add(utc(f.Now)) + ")"
	default:
		return "", nil, ledger.ValidateStatus("status", f.Status)
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + p.add(f.Limit)
	}
	return q, p.args, nil
}

// Credits lists credits, newest first.
func (s *Ledger) Credits(ctx context.Context, f ledger.CreditFilter) ([]ledger.Credit, error) {
	q, args, err := creditsQuery(f)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.pool, "list credits", q, args, scanCredit)
}

func scanCredit(r scanner) (ledger.Credit, error) {
	var (
		c                ledger.Credit
		key              *string
		voidNote         *string
		incident         *int64
		gesture          *string
		expires, voidsAt *time.Time
	)
	if err := r.Scan(&c.ID, &c.Customer, &c.AmountMinor, &c.Currency, &c.Reason, &c.Note,
		&c.IssuedAt, &expires, &key, &voidsAt, &voidNote, &c.RemainingMinor, &incident, &gesture); err != nil {
		return c, err
	}
	c.ExpiresAt, c.VoidedAt = expires, voidsAt
	c.IdempotencyKey = deref(key)
	c.VoidReason = deref(voidNote)
	c.IncidentID = deref(incident)
	c.Gesture = deref(gesture)
	return c, nil
}

// VoidCredit writes a reversing entry for what remains of a credit.
func (s *Ledger) VoidCredit(ctx context.Context, cid int64, reason string, at time.Time) (ledger.Credit, error) {
	if err := ledger.ValidateVoidReason("reason", reason); err != nil {
		return ledger.Credit{}, err
	}
	if err := ledger.ValidateTime("at", at); err != nil {
		return ledger.Credit{}, err
	}
	var out ledger.Credit
	err := s.tx(ctx, func(tx *wtx) error {
		// What remains is what the void takes back: no use or other
		// void of the credit may come between reading it and writing.
		if err := lock(ctx, tx, lockCredit, id(cid)); err != nil {
			return err
		}
		c, err := creditByID(ctx, tx, cid)
		if err != nil {
			return err
		}
		if err := c.CheckVoid(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit_entries
			(credit_id, customer_id, currency, expires_at, kind, amount_minor, note, at)
			VALUES ($1, $2, $3, $4, 'void', $5, $6, $7)`,
			c.ID, c.Customer, c.Currency, c.ExpiresAt, -c.RemainingMinor, reason, utc(at)); err != nil {
			return fmt.Errorf("void credit %d: %w", cid, err)
		}
		out, err = creditByID(ctx, tx, cid)
		return err
	})
	return out, err
}

// ApplyCredit writes an applying entry for part or all of what remains.
// Whether the apply was made before (its key, or the same invoice) is
// decided inside the transaction that writes it, under the credit's lock,
// so that retries and overlapping runs apply once and never overdraw.
func (s *Ledger) ApplyCredit(ctx context.Context, a ledger.Apply) (ledger.Credit, bool, error) {
	if err := a.Validate(); err != nil {
		return ledger.Credit{}, false, err
	}
	var (
		out     ledger.Credit
		created bool
	)
	err := s.tx(ctx, func(tx *wtx) error {
		created = false
		if err := lock(ctx, tx, lockCredit, id(a.Credit)); err != nil {
			return err
		}
		if a.IdempotencyKey != "" {
			if err := lock(ctx, tx, lockApplyKey, a.IdempotencyKey); err != nil {
				return err
			}
		}
		c, err := creditByID(ctx, tx, a.Credit)
		if err != nil {
			return err
		}
		retry, err := ledger.DecideApply(c, a, ledger.ApplyLookups{
			ByKey:     func() (ledger.Entry, error) { return notFound(entryByKey(ctx, tx, a.IdempotencyKey)) },
			ToInvoice: func() (ledger.Entry, error) { return notFound(applyTo(ctx, tx, a.Credit, a.Invoice)) },
		})
		if err != nil || retry {
			out = c
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit_entries
			(credit_id, customer_id, currency, expires_at, kind, amount_minor, invoice, at, idempotency_key)
			VALUES ($1, $2, $3, $4, 'apply', $5, $6, $7, $8)`,
			c.ID, c.Customer, c.Currency, c.ExpiresAt, -a.AmountMinor, a.Invoice, utc(a.At),
			nullString(a.IdempotencyKey)); err != nil {
			return fmt.Errorf("apply credit %d: %w", a.Credit, err)
		}
		created = true
		out, err = creditByID(ctx, tx, a.Credit)
		return err
	})
	return out, created, err
}

// entryByKey reads the entry recorded under an apply's idempotency key.
func entryByKey(ctx context.Context, q querier, key string) (ledger.Entry, error) {
	var e ledger.Entry
	err := q.QueryRow(ctx, `SELECT id, credit_id, customer_id, kind, amount_minor, currency, invoice, at
		FROM credit_entries WHERE idempotency_key = $1`, key).
		Scan(&e.ID, &e.CreditID, &e.Customer, &e.Kind, &e.AmountMinor, &e.Currency, &e.Invoice, &e.At)
	return e, err
}

// applyTo reads the first apply of a credit to an invoice.
func applyTo(ctx context.Context, q querier, credit int64, invoice string) (ledger.Entry, error) {
	var e ledger.Entry
	err := q.QueryRow(ctx, `SELECT id, amount_minor, at FROM credit_entries
		WHERE credit_id = $1 AND kind = 'apply' AND invoice = $2 ORDER BY id LIMIT 1`, credit, invoice).
		Scan(&e.ID, &e.AmountMinor, &e.At)
	if err != nil {
		return e, err
	}
	e.CreditID, e.Kind, e.Invoice = credit, ledger.EntryApply, invoice
	return e, nil
}

// Balances sums the kept balances (migration 0012; ledger, balances.go)
// that count at now, per customer and currency, in the primary key's
// order.
func (s *Ledger) Balances(ctx context.Context, customer string, now time.Time) ([]ledger.Balance, error) {
	q, args := balancesQuery(customer, now)
	return queryAll(ctx, s.pool, "balances", q, args, func(r scanner) (ledger.Balance, error) {
		var b ledger.Balance
		err := r.Scan(&b.Customer, &b.Currency, &b.BalanceMinor)
		return b, err
	})
}

// balancesQuery is the query behind Balances: one row per customer,
// currency and expiry, of those that count at now (ledger.InBalance: no
// expiry, kept as 'infinity', or one after now).
func balancesQuery(customer string, now time.Time) (string, []any) {
	q := `SELECT customer_id, currency, SUM(amount_minor)::bigint FROM credit_balances
		WHERE expires_at > $1`
	args := []any{utc(now)}
	if customer != "" {
		q += " AND customer_id = $2"
		args = append(args, customer)
	}
	q += " GROUP BY customer_id, currency HAVING SUM(amount_minor) <> 0 ORDER BY customer_id, currency"
	return q, args
}

// History lists a customer's credit entries, newest first.
func (s *Ledger) History(ctx context.Context, customer string) ([]ledger.Entry, error) {
	return queryAll(ctx, s.pool, "history", `SELECT e.id, e.credit_id, e.customer_id, e.kind, e.amount_minor,
		e.currency, e.invoice, CASE WHEN e.kind = 'issue' THEN c.note ELSE e.note END, c.reason, e.at,
		COALESCE(c.gesture, ''), COALESCE(c.incident_id, 0)
		FROM credit_entries e JOIN credits c ON c.id = e.credit_id
		WHERE e.customer_id = $1 ORDER BY e.at DESC, e.id DESC`, []any{customer},
		func(r scanner) (ledger.Entry, error) {
			var e ledger.Entry
			err := r.Scan(&e.ID, &e.CreditID, &e.Customer, &e.Kind, &e.AmountMinor, &e.Currency,
				&e.Invoice, &e.Note, &e.Reason, &e.At, &e.Gesture, &e.IncidentID)
			return e, err
		})
}

// notFound turns a lookup's missing row into ledger.ErrNotFound.
func notFound(e ledger.Entry, err error) (ledger.Entry, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ledger.ErrNotFound
	}
	return e, err
}
