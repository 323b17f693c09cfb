package postgres

import (
	"context"
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
// transaction, under the message's lock: of two runs recording a sent
// note for one occasion, the second finds the first's.
func (s *Ledger) RecordThankYou(ctx context.Context, n ledger.NewThankYouNote) (ledger.ThankYouNote, error) {
	if err := n.CheckCredit(); err != nil {
		return ledger.ThankYouNote{}, err
	}
	var out ledger.ThankYouNote
	err := s.tx(ctx, func(tx *wtx) error {
		if err := lockMessageRef(ctx, tx, ledger.ThanksMessage(n.Customer, n.Key)); err != nil {
			return err
		}
		var (
			creditID *int64
			credit   *ledger.Credit
		)
		if n.Credit != nil {
			c, _, err := issueCredit(ctx, tx, *n.Credit)
			if err != nil {
				return fmt.Errorf("thank-you credit: %w", err)
			}
			creditID, credit = &c.ID, &c
		}
		if n.Status == ledger.NoteSent {
			var sent bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM thank_you_notes
				WHERE customer_id = $1 AND occasion_key = $2 AND status = 'sent')`, n.Customer, n.Key).Scan(&sent); err != nil {
				return fmt.Errorf("record thank-you note: %w", err)
			}
			if sent {
				return ledger.AlreadyThanked(n.Customer, n.Key)
			}
		}
		var nid int64
		err := tx.QueryRow(ctx, `INSERT INTO thank_you_notes
			(customer_id, occasion, occasion_key, via, status, message_id, subject, error, at, credit_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			n.Customer, n.Occasion, n.Key, n.Via, n.Status, nullString(n.MessageID), n.Subject, n.Error,
			utc(n.At), creditID).Scan(&nid)
		if isUniqueViolation(err, "thank_you_notes_sent_once") {
			return ledger.AlreadyThanked(n.Customer, n.Key)
		}
		if isForeignKeyViolation(err) {
			return &ledger.NotFoundError{Kind: "customer", ID: n.Customer}
		}
		if err != nil {
			return fmt.Errorf("record thank-you note: %w", err)
		}
		if n.Claim != 0 {
			o := ledger.Outcome{Status: n.Status, MessageID: n.MessageID, Error: n.Error, ByHand: n.ByHand, At: n.At}
			if err := insertOutcome(ctx, tx, n.Claim, o, &nid, nil); err != nil {
				return err
			}
		}
		out = ledger.ThankYouNote{ID: nid, Customer: n.Customer, Occasion: n.Occasion, Key: n.Key, Via: n.Via,
			Status: n.Status, MessageID: n.MessageID, Subject: n.Subject, Error: n.Error, At: utc(n.At), Credit: credit}
		return nil
	})
	return out, err
}

// ThankYouNotes lists notes, newest first.
func (s *Ledger) ThankYouNotes(ctx context.Context, f ledger.ThanksFilter) ([]ledger.ThankYouNote, error) {
	var (
		where []string
		p     params
	)
	for _, c := range []struct{ col, val string }{
		{"n.customer_id", f.Customer}, {"n.occasion", f.Occasion}, {"n.occasion_key", f.Key}, {"n.status", f.Status},
	} {
		if c.val != "" {
			where = append(where, c.col+" = "+p.add(c.val))
		}
	}
	q := noteSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY n.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + p.add(f.Limit)
	}
	var credits []int64
	out, err := queryAll(ctx, s.pool, "list thank-you notes", q, p.args, func(r scanner) (ledger.ThankYouNote, error) {
		var (
			n         ledger.ThankYouNote
			messageID *string
			creditID  *int64
		)
		err := r.Scan(&n.ID, &n.Customer, &n.Occasion, &n.Key, &n.Via, &n.Status, &messageID,
			&n.Subject, &n.Error, &n.At, &creditID)
		n.MessageID = deref(messageID)
		credits = append(credits, deref(creditID))
		return n, err
	})
	if err != nil {
		return nil, err
	}
	// The notes' credits in one query: a ledger's whole thank-you history
	// is read for every due check.
	var ids []int64
	for _, cid := range credits {
		if cid != 0 {
			ids = append(ids, cid)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := queryAll(ctx, s.pool, "thank-you credits", creditSelect+` WHERE c.id = ANY($1)`, []any{ids}, scanCredit)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]ledger.Credit, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	for i, cid := range credits {
		if cid == 0 {
			continue
		}
		c, ok := byID[cid]
		if !ok {
			return nil, fmt.Errorf("thank-you note %d: %w", out[i].ID, &ledger.NotFoundError{Kind: "credit", ID: fmt.Sprint(cid)})
		}
		out[i].Credit = &c
	}
	return out, nil
}
