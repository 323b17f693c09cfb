package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/report"
)

var _ report.BookSource = (*Ledger)(nil)

// bookEvents is every entry up to a time with its credit's facts, and an
// expiry event for every credit expired by then with what its entries
// before the expiry left open, in time order. At one instant an expiry
// comes before an entry: an entry at the expiry's very instant is already
// after it (the credit stops counting at expires_at). PostgreSQL sorts the
// union on disk past work_mem, so memory stays flat however many entries
// there are; rows are handed on one at a time as they arrive.
const bookEvents = `SELECT t, kind, eid, credit_id, customer_id, currency, amount, reason, note, invoice,
		gesture, incident_id, expires_at FROM (
	SELECT e.at AS t, 1 AS ord, e.id AS eid, e.kind AS kind, e.credit_id AS credit_id, e.customer_id AS customer_id,
		e.currency AS currency, e.amount_minor AS amount, c.reason AS reason,
		CASE WHEN e.kind = 'issue' THEN c.note ELSE e.note END AS note, e.invoice AS invoice,
		c.gesture AS gesture, c.incident_id AS incident_id, e.expires_at AS expires_at
	FROM credit_entries e JOIN credits c ON c.id = e.credit_id
	WHERE e.at <= $1
	UNION ALL
	SELECT c.expires_at, 0, 0, 'expire', c.id, c.customer_id, c.currency,
		(SELECT COALESCE(SUM(x.amount_minor), 0)::bigint FROM credit_entries x WHERE x.credit_id = c.id AND x.at < c.expires_at),
		c.reason, '', '', NULL, c.incident_id, c.expires_at
	FROM credits c
	WHERE c.expires_at IS NOT NULL AND c.expires_at <= $1 AND c.gesture IS NULL
		AND EXISTS (SELECT 1 FROM credit_entries i WHERE i.credit_id = c.id AND i.kind = 'issue' AND i.at <= $1)
) AS events ORDER BY t, ord, eid, credit_id`

// ExportBooks streams the ledger as it stood at to: head gets the
// accounts to declare, then each gets every event in time order. One
// snapshot (REPEATABLE READ), so the books add up even while others write.
func (s *Ledger) ExportBooks(ctx context.Context, to time.Time, head func(report.BookHeader) error, each func(report.BookEvent) error) error {
	return s.readTx(ctx, func(tx pgx.Tx) error {
		h := report.BookHeader{To: to}
		at := utc(to)
		strs := func(what, q string) ([]string, error) {
			return queryAll(ctx, tx, what, q, []any{at}, func(r scanner) (string, error) {
				var v string
				return v, r.Scan(&v)
			})
		}
		var err error
		if h.Customers, err = strs("export customers",
			`SELECT DISTINCT customer_id FROM credit_entries WHERE at <= $1 ORDER BY customer_id`); err != nil {
			return err
		}
		if h.Currencies, err = strs("export currencies",
			`SELECT DISTINCT currency FROM credit_entries WHERE at <= $1 AND currency <> '' ORDER BY currency`); err != nil {
			return err
		}
		if h.Reasons, err = strs("export reasons",
			`SELECT DISTINCT c.reason FROM credits c WHERE c.issued_at <= $1 ORDER BY c.reason`); err != nil {
			return err
		}
		var first *time.Time
		if err := tx.QueryRow(ctx, `SELECT MIN(at) FROM credit_entries`).Scan(&first); err != nil {
			return fmt.Errorf("export: first entry: %w", err)
		}
		if first != nil {
			h.First = *first
		}
		if err := head(h); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, bookEvents, at)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                      report.BookEvent
				gesture, note, invoice *string
				incident               *int64
			)
			if err := rows.Scan(&e.At, &e.Kind, &e.Entry, &e.Credit, &e.Customer, &e.Currency, &e.AmountMinor,
				&e.Reason, &note, &invoice, &gesture, &incident, &e.ExpiresAt); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			e.Note, e.Invoice, e.Gesture, e.Incident = deref(note), deref(invoice), deref(gesture), deref(incident)
			if err := each(e); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	})
}
