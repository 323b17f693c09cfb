package store

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
// credit and its issue entry, all in one transaction.
func (s *SQLite) RecordThankYou(ctx context.Context, n ledger.NewThankYouNote) (ledger.ThankYouNote, error) {
	if n.Credit != nil && n.Status != ledger.NoteSent {
		return ledger.ThankYouNote{}, fmt.Errorf("record thank-you note: a %s note cannot carry a credit", n.Status)
	}
	var out ledger.ThankYouNote
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var creditID any
		var credit *ledger.Credit
		if n.Credit != nil {
			nc := *n.Credit
			if nc.Customer != n.Customer {
				return fmt.Errorf("record thank-you note: credit for %q attached to a note for %q", nc.Customer, n.Customer)
			}
			c, _, err := issueCredit(ctx, tx, nc)
			if err != nil {
				return fmt.Errorf("thank-you credit: %w", err)
			}
			creditID, credit = c.ID, &c
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO thank_you_notes
			(customer_id, occasion, occasion_key, via, status, message_id, subject, error, at, credit_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Customer, n.Occasion, n.Key, n.Via, n.Status, nullString(n.MessageID), n.Subject, n.Error,
			fmtTime(n.At), creditID)
		if isUniqueViolation(err) {
			return ledger.Conflictf("customer %q was already thanked for %s", n.Customer, n.Key)
		}
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
			return &ledger.NotFoundError{Kind: "customer", ID: n.Customer}
		}
		if err != nil {
			return fmt.Errorf("record thank-you note: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("record thank-you note: %w", err)
		}
		out = ledger.ThankYouNote{ID: id, Customer: n.Customer, Occasion: n.Occasion, Key: n.Key, Via: n.Via,
			Status: n.Status, MessageID: n.MessageID, Subject: n.Subject, Error: n.Error, At: n.At.UTC(), Credit: credit}
		return nil
	})
	return out, err
}

// ThankYouNotes lists notes, newest first.
func (s *SQLite) ThankYouNotes(ctx context.Context, f ledger.ThanksFilter) ([]ledger.ThankYouNote, error) {
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
	// Credits are read after the rows are closed: the pool may hand out the
	// same connection, and a credit's remaining amount comes from its entries.
	for i, id := range credits {
		if id == 0 {
			continue
		}
		c, err := creditByID(ctx, s.db, id)
		if err != nil {
			return nil, fmt.Errorf("thank-you note %d: %w", out[i].ID, err)
		}
		out[i].Credit = &c
	}
	return out, nil
}
