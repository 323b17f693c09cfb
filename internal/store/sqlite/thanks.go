package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/makegood/makegood/internal/ledger"
)

// noteSelect yields one row per note with its credit, if any. Callers add
// WHERE clauses on the alias n.
const noteSelect = `SELECT n.id, n.customer_id, n.occasion, n.occasion_key, n.via, n.status,
	n.message_id, n.subject, n.error, n.at, n.credit_id
FROM thank_you_notes n`

// RecordThankYou writes a note and, for a sent note with a credit, the
// credit and its issue entry, and the outcome of its claim, all in one
// transaction.
func (s *Ledger) RecordThankYou(ctx context.Context, n ledger.NewThankYouNote) (ledger.ThankYouNote, error) {
	if err := n.CheckCredit(); err != nil {
		return ledger.ThankYouNote{}, err
	}
	var out ledger.ThankYouNote
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var creditID any
		var credit *ledger.Credit
		if n.Credit != nil {
			c, _, err := issueCredit(ctx, tx, *n.Credit)
			if err != nil {
				return fmt.Errorf("thank-you credit: %w", err)
			}
			creditID, credit = c.ID, &c
		}
		if n.Status == ledger.NoteSent {
			var sent int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM thank_you_notes
				WHERE customer_id = ? AND occasion_key = ? AND status = 'sent'`, n.Customer, n.Key).Scan(&sent); err != nil {
				return fmt.Errorf("record thank-you note: %w", err)
			}
			if sent > 0 {
				return ledger.AlreadyThanked(n.Customer, n.Key)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO thank_you_notes
			(customer_id, occasion, occasion_key, via, status, message_id, subject, error, at, credit_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Customer, n.Occasion, n.Key, n.Via, n.Status, nullString(n.MessageID), n.Subject, n.Error,
			fmtTime(n.At), creditID)
		if isUniqueViolation(err) {
			return ledger.AlreadyThanked(n.Customer, n.Key)
		}
		if isForeignKeyViolation(err) {
			return &ledger.NotFoundError{Kind: "customer", ID: n.Customer}
		}
		if err != nil {
			return fmt.Errorf("record thank-you note: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("record thank-you note: %w", err)
		}
		if n.Claim != 0 {
			o := ledger.Outcome{Status: n.Status, MessageID: n.MessageID, Error: n.Error, ByHand: n.ByHand, At: n.At}
			if err := insertOutcome(ctx, tx, n.Claim, o, id, nil); err != nil {
				return err
			}
		}
		out = ledger.ThankYouNote{ID: id, Customer: n.Customer, Occasion: n.Occasion, Key: n.Key, Via: n.Via,
			Status: n.Status, MessageID: n.MessageID, Subject: n.Subject, Error: n.Error, At: n.At.UTC(), Credit: credit}
		return nil
	})
	return out, err
}

// ThankYouNotes lists notes, newest first.
func (s *Ledger) ThankYouNotes(ctx context.Context, f ledger.ThanksFilter) ([]ledger.ThankYouNote, error) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, val string }{
		{"n.customer_id", f.Customer}, {"n.occasion", f.Occasion}, {"n.occasion_key", f.Key}, {"n.status", f.Status},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	q := noteSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY n.id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list thank-you notes: %w", err)
	}
	var (
		out     []ledger.ThankYouNote
		credits []int64
	)
	for rows.Next() {
		var (
			n         ledger.ThankYouNote
			messageID sql.NullString
			at        string
			creditID  sql.NullInt64
		)
		if err := rows.Scan(&n.ID, &n.Customer, &n.Occasion, &n.Key, &n.Via, &n.Status, &messageID,
			&n.Subject, &n.Error, &at, &creditID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list thank-you notes: %w", err)
		}
		if n.At, err = parseTime(at); err != nil {
			rows.Close()
			return nil, err
		}
		n.MessageID = messageID.String
		out = append(out, n)
		credits = append(credits, creditID.Int64)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("list thank-you notes: %w", err)
	}
	// Credits are read after the rows are closed, in batches: a ledger's
	// whole thank-you history is read for every due check.
	var ids []int64
	for _, id := range credits {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	byID, err := creditsByID(ctx, s.db, ids, creditBatch)
	if err != nil {
		return nil, fmt.Errorf("thank-you credits: %w", err)
	}
	for i, id := range credits {
		if id == 0 {
			continue
		}
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("thank-you note %d: %w", out[i].ID, &ledger.NotFoundError{Kind: "credit", ID: fmt.Sprint(id)})
		}
		out[i].Credit = &c
	}
	return out, nil
}

// creditBatch keeps each query well under SQLite's limit on bound parameters.
const creditBatch = 500

// creditsByID reads many credits with a few queries rather than one each.
func creditsByID(ctx context.Context, db *sql.DB, ids []int64, batch int) (map[int64]ledger.Credit, error) {
	out := make(map[int64]ledger.Credit, len(ids))
	for len(ids) > 0 {
		n := min(batch, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := db.QueryContext(ctx, creditSelect+` WHERE c.id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			c, err := scanCredit(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[c.ID] = c
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
