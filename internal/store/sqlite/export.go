package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/report"
)

var _ report.BookSource = (*Ledger)(nil)

// bookEvents is every entry up to a time with its credit's facts, and an
// expiry event for every credit expired by then with what its entries
// before the expiry left open, in time order. At one instant an expiry
// comes before an entry: an entry at the expiry's very instant is already
// after it (the credit stops counting at expires_at). SQLite sorts the
// union with its external sorter, so memory stays flat however many
// entries there are; rows are handed on one at a time.
const bookEvents = `SELECT t, kind, eid, credit_id, customer_id, currency, amount, reason, note, invoice,
		gesture, incident_id, expires_at FROM (
	SELECT e.at AS t, 1 AS ord, e.id AS eid, e.kind AS kind, e.credit_id AS credit_id, e.customer_id AS customer_id,
		e.currency AS currency, e.amount_minor AS amount, c.reason AS reason,
		CASE WHEN e.kind = 'issue' THEN c.note ELSE e.note END AS note, e.invoice AS invoice,
		c.gesture AS gesture, c.incident_id AS incident_id, e.expires_at AS expires_at
	FROM credit_entries e JOIN credits c ON c.id = e.credit_id
	WHERE e.at <= ?
	UNION ALL
	SELECT c.expires_at, 0, 0, 'expire', c.id, c.customer_id, c.currency,
		(SELECT COALESCE(SUM(x.amount_minor), 0) FROM credit_entries x WHERE x.credit_id = c.id AND x.at < c.expires_at),
		c.reason, '', '', NULL, c.incident_id, c.expires_at
	FROM credits c
	WHERE c.expires_at IS NOT NULL AND c.expires_at <= ? AND c.gesture IS NULL
		AND EXISTS (SELECT 1 FROM credit_entries i WHERE i.credit_id = c.id AND i.kind = 'issue' AND i.at <= ?)
) ORDER BY t, ord, eid, credit_id`

// ExportBooks streams the ledger as it stood at to: head gets the
// accounts to declare, then each gets every event in time order. One read
// transaction, so the books are one snapshot even while others write.
func (s *Ledger) ExportBooks(ctx context.Context, to time.Time, head func(report.BookHeader) error, each func(report.BookEvent) error) error {
	return s.readTx(ctx, func(tx *sql.Tx) error {
		h := report.BookHeader{To: to}
		at := fmtTime(to)
		strs := func(what, q string) ([]string, error) {
			return queryAll(ctx, tx, what, q, []any{at}, func(r scanner) (string, error) {
				var v string
				return v, r.Scan(&v)
			})
		}
		var err error
		if h.Customers, err = strs("export customers",
			`SELECT DISTINCT customer_id FROM credit_entries WHERE at <= ? ORDER BY customer_id`); err != nil {
			return err
		}
		if h.Currencies, err = strs("export currencies",
			`SELECT DISTINCT currency FROM credit_entries WHERE at <= ? AND currency != '' ORDER BY currency`); err != nil {
			return err
		}
		if h.Reasons, err = strs("export reasons",
			`SELECT DISTINCT c.reason FROM credits c WHERE c.issued_at <= ? ORDER BY c.reason`); err != nil {
			return err
		}
		var first sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT MIN(at) FROM credit_entries`).Scan(&first); err != nil {
			return fmt.Errorf("export: first entry: %w", err)
		}
		if first.Valid {
			if h.First, err = parseTime(first.String); err != nil {
				return err
			}
		}
		if err := head(h); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, bookEvents, at, at, at)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                report.BookEvent
				t                string
				gesture, expires sql.NullString
				incident         sql.NullInt64
				note, invoice    sql.NullString
			)
			if err := rows.Scan(&t, &e.Kind, &e.Entry, &e.Credit, &e.Customer, &e.Currency, &e.AmountMinor,
				&e.Reason, &note, &invoice, &gesture, &incident, &expires); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if e.At, err = parseTime(t); err != nil {
				return err
			}
			if e.ExpiresAt, err = parseTimePtr(expires); err != nil {
				return err
			}
			e.Note, e.Invoice, e.Gesture, e.Incident = note.String, invoice.String, gesture.String, incident.Int64
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
