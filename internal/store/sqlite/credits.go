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

// creditSelect yields one row per credit with what remains of it and its
// void, if any. Callers add WHERE clauses on the alias c.
const creditSelect = `SELECT c.id, c.customer_id, c.amount_minor, c.currency, c.reason, c.note,
	c.issued_at, c.expires_at, c.idempotency_key, v.at AS void_at, v.note AS void_note,
	(SELECT COALESCE(SUM(e.amount_minor), 0) FROM credit_entries e WHERE e.credit_id = c.id) AS remaining,
	c.incident_id, c.gesture
FROM credits c LEFT JOIN credit_entries v ON v.credit_id = c.id AND v.kind = 'void'`

// IssueCredit records a credit and its issue entry in one transaction.
func (s *Ledger) IssueCredit(ctx context.Context, nc ledger.NewCredit) (ledger.Credit, bool, error) {
	var (
		out     ledger.Credit
		created bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, created, err = issueCredit(ctx, tx, nc)
		return err
	})
	return out, created, err
}

// issueCredit is the body of IssueCredit, shared with bulk imports that run
// many issues in one transaction.
func issueCredit(ctx context.Context, tx *sql.Tx, nc ledger.NewCredit) (ledger.Credit, bool, error) {
	if err := nc.Validate(); err != nil {
		return ledger.Credit{}, false, err
	}
	if nc.Compensation {
		if nc.IdempotencyKey != "" {
			return ledger.Credit{}, false, errors.New("issue credit: a compensation is keyed by the ledger, not by the caller")
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
		existing, err := creditByKey(ctx, tx, nc.IdempotencyKey)
		switch {
		case err == nil:
			if err := nc.CheckRetry(existing); err != nil {
				return ledger.Credit{}, false, err
			}
			return existing, false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return ledger.Credit{}, false, err
		}
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, nc.Customer).Scan(&exists); err != nil {
		return ledger.Credit{}, false, fmt.Errorf("look up customer: %w", err)
	}
	switch {
	case exists == 0 && nc.NewCustomer != nil && nc.NewCustomer.ID == nc.Customer:
		if err := insertCustomer(ctx, tx, *nc.NewCustomer); err != nil {
			return ledger.Credit{}, false, err
		}
	case exists == 0:
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
	res, err := tx.ExecContext(ctx, `INSERT INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key,
		incident_id, gesture)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note, fmtTime(nc.IssuedAt),
		fmtTimePtr(nc.ExpiresAt), nullString(nc.IdempotencyKey), nullInt(nc.IncidentID), nullString(nc.Gesture))
	if err != nil {
		return ledger.Credit{}, false, fmt.Errorf("insert credit: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return ledger.Credit{}, false, fmt.Errorf("insert credit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		VALUES (?, ?, ?, ?, 'issue', ?, ?)`,
		id, nc.Customer, nc.Currency, fmtTimePtr(nc.ExpiresAt), nc.AmountMinor, fmtTime(nc.IssuedAt)); err != nil {
		return ledger.Credit{}, false, fmt.Errorf("insert credit entry: %w", err)
	}
	return ledger.Credit{
		ID: id, Customer: nc.Customer, AmountMinor: nc.AmountMinor, Currency: nc.Currency,
		Reason: nc.Reason, Note: nc.Note, IssuedAt: nc.IssuedAt.UTC(), ExpiresAt: nc.ExpiresAt,
		IdempotencyKey: nc.IdempotencyKey, RemainingMinor: nc.AmountMinor,
		IncidentID: nc.IncidentID, Gesture: nc.Gesture,
	}, true, nil
}

// compensation reads the customer's credits and gestures for an incident
// and finds their compensation among them (ledger.FindCompensation).
func compensation(ctx context.Context, tx *sql.Tx, incident int64, customer string) (*ledger.Credit, string, error) {
	given, err := queryAll(ctx, tx, "look up compensation", creditSelect+` WHERE c.incident_id = ? AND c.customer_id = ? ORDER BY c.id`,
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
	if err := q.QueryRowContext(ctx, givenQuery, currency, fmtTime(from), fmtTime(until)).Scan(&given); err != nil {
		return 0, fmt.Errorf("sum credits given: %w", err)
	}
	return given, nil
}

const givenQuery = `SELECT COALESCE(SUM(e.amount_minor), 0) FROM credit_entries e
	JOIN credits c ON c.id = e.credit_id
	WHERE e.kind IN ('issue', 'void') AND c.currency = ? AND c.issued_at >= ? AND c.issued_at < ?`

// checkCurrencyTotal applies ledger.CheckIssueTotal to a credit of
// amount in currency; only a ledger with millions of credits sums the
// currency's.
func checkCurrencyTotal(ctx context.Context, tx *sql.Tx, field, currency string, amount int64) error {
	return ledger.CheckIssueTotal(field, currency, amount, ledger.CurrencyTotalReads{
		Span:   func() (int64, error) { return creditSpan(ctx, tx) },
		Issued: func() (int64, error) { return issuedIn(ctx, tx, currency) },
	})
}

const creditSpanQuery = `SELECT (SELECT MIN(id) FROM credits), (SELECT MAX(id) FROM credits)`

// creditSpan is at least the number of credits: ids are unique integers.
// (Two subqueries, because SQLite reads MIN and MAX off the rowid B-tree
// only for a query with one of them alone; together they scan.)
func creditSpan(ctx context.Context, q querier) (int64, error) {
	var lo, hi sql.NullInt64
	if err := q.QueryRowContext(ctx, creditSpanQuery).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("count credits: %w", err)
	}
	if !hi.Valid {
		return 0, nil
	}
	return hi.Int64 - lo.Int64 + 1, nil
}

// issuedIn sums what was ever issued in currency.
func issuedIn(ctx context.Context, q querier, currency string) (int64, error) {
	var issued int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM credits WHERE currency = ?`, currency).Scan(&issued); err != nil {
		return 0, fmt.Errorf("sum the ledger's %s credits: %w", currency, err)
	}
	return issued, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func creditByKey(ctx context.Context, q querier, key string) (ledger.Credit, error) {
	return scanCredit(q.QueryRowContext(ctx, creditSelect+` WHERE c.idempotency_key = ?`, key))
}

func creditByID(ctx context.Context, q querier, id int64) (ledger.Credit, error) {
	c, err := scanCredit(q.QueryRowContext(ctx, creditSelect+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, &ledger.NotFoundError{Kind: "credit", ID: fmt.Sprint(id)}
	}
	return c, err
}

// Credit returns one credit.
func (s *Ledger) Credit(ctx context.Context, id int64) (ledger.Credit, error) {
	return creditByID(ctx, s.db, id)
}

// creditsQuery is the query behind Credits, shared with its query plan.
func creditsQuery(f ledger.CreditFilter) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	if f.Customer != "" {
		where = append(where, "c.customer_id = ?")
		args = append(args, f.Customer)
	}
	if f.Reason != "" {
		where = append(where, "c.reason = ?")
		args = append(args, f.Reason)
	}
	if !f.Since.IsZero() {
		where = append(where, "c.issued_at >= ?")
		args = append(args, fmtTime(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "c.issued_at < ?")
		args = append(args, fmtTime(f.Until))
	}
	if f.Incident != 0 {
		where = append(where, "c.incident_id = ?")
		args = append(args, f.Incident)
	}
	q := creditSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// The status depends on what remains, so it filters the outer query;
	// SQLite flattens the subquery and still walks the indexes above.
	q = `SELECT * FROM (` + q + `)`
	now := fmtTime(f.Now)
	switch f.Status {
	case "":
	case ledger.StatusVoid:
		q += " WHERE void_at IS NOT NULL"
	case ledger.StatusApplied:
		q += " WHERE void_at IS NULL AND remaining <= 0 AND gesture IS NULL"
	case ledger.StatusGiven:
		q += " WHERE void_at IS NULL AND gesture IS NOT NULL"
	case ledger.StatusExpired:
		q += " WHERE void_at IS NULL AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?"
		args = append(args, now)
	case ledger.StatusOpen:
		q += " WHERE void_at IS NULL AND remaining > 0 AND (expires_at IS NULL OR expires_at > ?)"
		args = append(args, now)
	default:
		return "", nil, ledger.ValidateStatus("status", f.Status)
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q, args, nil
}

// Credits lists credits, newest first.
func (s *Ledger) Credits(ctx context.Context, f ledger.CreditFilter) ([]ledger.Credit, error) {
	q, args, err := creditsQuery(f)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list credits: %w", err)
	}
	defer rows.Close()
	var out []ledger.Credit
	for rows.Next() {
		c, err := scanCredit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanCredit(r scanner) (ledger.Credit, error) {
	var (
		c                ledger.Credit
		issued           string
		expires, key     sql.NullString
		voidAt, voidNote sql.NullString
		incident         sql.NullInt64
		gesture          sql.NullString
		err              error
	)
	if err = r.Scan(&c.ID, &c.Customer, &c.AmountMinor, &c.Currency, &c.Reason, &c.Note,
		&issued, &expires, &key, &voidAt, &voidNote, &c.RemainingMinor, &incident, &gesture); err != nil {
		return c, err
	}
	if c.IssuedAt, err = parseTime(issued); err != nil {
		return c, err
	}
	if c.ExpiresAt, err = parseTimePtr(expires); err != nil {
		return c, err
	}
	if c.VoidedAt, err = parseTimePtr(voidAt); err != nil {
		return c, err
	}
	c.IdempotencyKey = key.String
	c.VoidReason = voidNote.String
	c.IncidentID = incident.Int64
	c.Gesture = gesture.String
	return c, nil
}

// VoidCredit writes a reversing entry for what remains of a credit.
func (s *Ledger) VoidCredit(ctx context.Context, id int64, reason string, at time.Time) (ledger.Credit, error) {
	if err := ledger.ValidateVoidReason("reason", reason); err != nil {
		return ledger.Credit{}, err
	}
	if err := ledger.ValidateTime("at", at); err != nil {
		return ledger.Credit{}, err
	}
	var out ledger.Credit
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := creditByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := c.CheckVoid(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_entries
			(credit_id, customer_id, currency, expires_at, kind, amount_minor, note, at)
			VALUES (?, ?, ?, ?, 'void', ?, ?, ?)`,
			c.ID, c.Customer, c.Currency, fmtTimePtr(c.ExpiresAt), -c.RemainingMinor, reason, fmtTime(at)); err != nil {
			return fmt.Errorf("void credit %d: %w", id, err)
		}
		out, err = creditByID(ctx, tx, id)
		return err
	})
	return out, err
}

// ApplyCredit writes an applying entry for part or all of what remains.
// Whether the apply was made before (its key, or the same invoice) is
// decided inside the transaction that writes it, so that retries and
// overlapping runs apply once.
func (s *Ledger) ApplyCredit(ctx context.Context, a ledger.Apply) (ledger.Credit, bool, error) {
	if err := a.Validate(); err != nil {
		return ledger.Credit{}, false, err
	}
	var (
		out     ledger.Credit
		created bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_entries
			(credit_id, customer_id, currency, expires_at, kind, amount_minor, invoice, at, idempotency_key)
			VALUES (?, ?, ?, ?, 'apply', ?, ?, ?, ?)`,
			c.ID, c.Customer, c.Currency, fmtTimePtr(c.ExpiresAt), -a.AmountMinor, a.Invoice, fmtTime(a.At),
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
	var (
		e  ledger.Entry
		at string
	)
	err := q.QueryRowContext(ctx, `SELECT id, credit_id, customer_id, kind, amount_minor, currency, invoice, at
		FROM credit_entries WHERE idempotency_key = ?`, key).
		Scan(&e.ID, &e.CreditID, &e.Customer, &e.Kind, &e.AmountMinor, &e.Currency, &e.Invoice, &at)
	if err != nil {
		return e, err
	}
	e.At, err = parseTime(at)
	return e, err
}

// applyTo reads the first apply of a credit to an invoice.
func applyTo(ctx context.Context, q querier, credit int64, invoice string) (ledger.Entry, error) {
	var (
		e  ledger.Entry
		at string
	)
	err := q.QueryRowContext(ctx, `SELECT id, amount_minor, at FROM credit_entries
		WHERE credit_id = ? AND kind = 'apply' AND invoice = ? ORDER BY id LIMIT 1`, credit, invoice).
		Scan(&e.ID, &e.AmountMinor, &at)
	if err != nil {
		return e, err
	}
	e.CreditID, e.Kind, e.Invoice = credit, ledger.EntryApply, invoice
	e.At, err = parseTime(at)
	return e, err
}

// Balances sums unexpired entries per customer and currency. The covering
// index credit_entries_balance answers it without reading the table.
func (s *Ledger) Balances(ctx context.Context, customer string, now time.Time) ([]ledger.Balance, error) {
	q, args := balancesQuery(customer, now)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	var out []ledger.Balance
	for rows.Next() {
		var b ledger.Balance
		if err := rows.Scan(&b.Customer, &b.Currency, &b.BalanceMinor); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// balancesQuery is the query behind Balances, shared with its query plan:
// a sum over the kept balances (migration 0012; ledger, balances.go), one
// row per customer, currency and expiry, of those that count at now
// (ledger.InBalance: no expiry, or one after now).
func balancesQuery(customer string, now time.Time) (string, []any) {
	q := `SELECT customer_id, currency, SUM(amount_minor) FROM credit_balances
		WHERE (expires_at = '' OR expires_at > ?)`
	args := []any{fmtTime(now)}
	if customer != "" {
		q += " AND customer_id = ?"
		args = append(args, customer)
	}
	q += " GROUP BY customer_id, currency HAVING SUM(amount_minor) != 0 ORDER BY customer_id, currency"
	return q, args
}

// History lists a customer's credit entries, newest first.
func (s *Ledger) History(ctx context.Context, customer string) ([]ledger.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.credit_id, e.customer_id, e.kind, e.amount_minor,
		e.currency, e.invoice, CASE WHEN e.kind = 'issue' THEN c.note ELSE e.note END, c.reason, e.at,
		COALESCE(c.gesture, ''), COALESCE(c.incident_id, 0)
		FROM credit_entries e JOIN credits c ON c.id = e.credit_id
		WHERE e.customer_id = ? ORDER BY e.at DESC, e.id DESC`, customer)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		var (
			e  ledger.Entry
			at string
		)
		if err := rows.Scan(&e.ID, &e.CreditID, &e.Customer, &e.Kind, &e.AmountMinor, &e.Currency,
			&e.Invoice, &e.Note, &e.Reason, &at, &e.Gesture, &e.IncidentID); err != nil {
			return nil, err
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// notFound turns a lookup's missing row into ledger.ErrNotFound.
func notFound(e ledger.Entry, err error) (ledger.Entry, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return e, ledger.ErrNotFound
	}
	return e, err
}
