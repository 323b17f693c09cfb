package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/thanks"
)

var _ report.Source = (*Ledger)(nil)

// ReportFacts answers a report's query with sums by month: the ledger is
// never read row by row into Go. The money (entries and expiries) is read
// in one snapshot with the customers and their notes; incidents on a
// second connection at the same time.
// Migration 0010 has the indexes these queries walk.
func (s *Ledger) ReportFacts(ctx context.Context, q report.Query) (report.Facts, error) {
	var (
		wg                    sync.WaitGroup
		moneyErr, othersErr   error
		moneyPart, othersPart report.Facts
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		moneyErr = s.readTx(ctx, func(tx pgx.Tx) error {
			if err := reportMoney(ctx, tx, q, &moneyPart); err != nil {
				return err
			}
			return reportPeople(ctx, tx, q, &moneyPart)
		})
	}()
	go func() {
		defer wg.Done()
		othersErr = s.readTx(ctx, func(tx pgx.Tx) error { return reportIncidents(ctx, tx, q, &othersPart) })
	}()
	wg.Wait()
	if err := errors.Join(moneyErr, othersErr); err != nil {
		return report.Facts{}, fmt.Errorf("report: %w", err)
	}
	f := moneyPart
	f.Incidents, f.Repeats = othersPart.Incidents, othersPart.Repeats
	return f, nil
}

// month is an entry's calendar month in UTC, the expression
// credit_entries_by_month is built on.
const month = `date_trunc('month', at AT TIME ZONE 'UTC')`

// The report's money queries. flowsQuery groups by the indexed month; the
// others read only the entries of credits that expire (a partial index).
// Each takes the currency clause (from $2) before its GROUP BY.
const (
	flowsQuery = `SELECT to_char(` + month + `, 'YYYY-MM'), kind, currency, SUM(amount_minor)::bigint, COUNT(*)
		FROM credit_entries WHERE at <= $1%s
		GROUP BY ` + month + `, kind, currency`
	afterExpiryQuery = `SELECT to_char(` + month + `, 'YYYY-MM'), kind, currency, SUM(amount_minor)::bigint, COUNT(*)
		FROM credit_entries
		WHERE expires_at IS NOT NULL AND at >= expires_at AND at <= $1%s
		GROUP BY ` + month + `, kind, currency`
	expiriesQuery = `SELECT expires_at, currency, SUM(CASE WHEN at < expires_at THEN amount_minor ELSE 0 END)::bigint
		FROM credit_entries
		WHERE expires_at IS NOT NULL AND expires_at <= $1 AND at <= $1 AND currency <> ''%s
		GROUP BY expires_at, currency`
)

// currencyClause keeps one currency (and gestures, which have none).
func currencyClause(q report.Query) (string, []any) {
	if q.Currency == "" {
		return "", nil
	}
	return " AND currency IN ($2, '')", []any{q.Currency}
}

func reportMoney(ctx context.Context, tx pgx.Tx, q report.Query, f *report.Facts) error {
	to := utc(q.To)
	cur, curArgs := currencyClause(q)
	args := append([]any{to}, curArgs...)
	flows := func(query string) ([]report.Flow, error) {
		return queryAll(ctx, tx, "report flows", fmt.Sprintf(query, cur), args,
			func(r scanner) (report.Flow, error) {
				var fl report.Flow
				err := r.Scan(&fl.Month, &fl.Kind, &fl.Currency, &fl.SumMinor, &fl.Count)
				return fl, err
			})
	}
	var err error
	if f.Flows, err = flows(flowsQuery); err != nil {
		return err
	}
	if f.AfterExpiry, err = flows(afterExpiryQuery); err != nil {
		return err
	}
	f.Expiries, err = queryAll(ctx, tx, "report expiries", fmt.Sprintf(expiriesQuery, cur), args,
		func(r scanner) (report.Expiry, error) {
			var e report.Expiry
			err := r.Scan(&e.At, &e.Currency, &e.BeforeMinor)
			return e, err
		})
	return err
}

// apologyStatus is an apology's status as its latest delivery attempt
// records it, or as it was recorded. Time to apology counts apologies not
// failed, as ledger.Summarize does.
const apologyStatus = `COALESCE((SELECT d.status FROM apology_deliveries d
	WHERE d.apology_id = apologies.id ORDER BY d.id DESC LIMIT 1), apologies.status)`

func reportIncidents(ctx context.Context, tx pgx.Tx, q report.Query, f *report.Facts) error {
	from, to := utc(q.From), utc(q.To)
	var err error
	// Time to apology follows ledger.Summarize: the first apology recorded
	// at or after the report whose delivery did not fail.
	f.Incidents, err = queryAll(ctx, tx, "report incidents", `SELECT i.id, i.severity, i.started_at, i.reported_at,
			CASE WHEN `+fixedAt+` <= $1 THEN `+fixedAt+` END,
			(SELECT MIN(apologies.recorded_at) FROM apologies
				WHERE apologies.incident_id = i.id AND apologies.recorded_at >= i.reported_at
				AND apologies.recorded_at <= $1 AND `+apologyStatus+` <> 'failed')
		FROM incidents i LEFT JOIN incident_fixes f ON f.incident_id = i.id
		WHERE i.started_at >= $2 AND i.started_at <= $1`, []any{to, from},
		func(r scanner) (report.IncidentFact, error) {
			var inc report.IncidentFact
			err := r.Scan(&inc.ID, &inc.Severity, &inc.Started, &inc.Reported, &inc.Fixed, &inc.FirstApology)
			return inc, err
		})
	if err != nil {
		return err
	}
	f.Repeats, err = queryAll(ctx, tx, "report repeat incidents", `SELECT ic.customer_id, COALESCE(MAX(c.name), ''),
			COUNT(*), MAX(i.started_at)
		FROM incidents i JOIN incident_customers ic ON ic.incident_id = i.id
		LEFT JOIN customers c ON c.id = ic.customer_id
		WHERE i.started_at >= $1 AND i.started_at <= $2
		GROUP BY ic.customer_id HAVING COUNT(*) >= $3`, []any{utc(q.RepeatSince), to, report.RepeatIncidents},
		func(r scanner) (report.Repeat, error) {
			var rp report.Repeat
			err := r.Scan(&rp.Customer, &rp.Name, &rp.Incidents, &rp.Last)
			return rp, err
		})
	return err
}

// reportPeople reads customers and their thank-you notes.
func reportPeople(ctx context.Context, tx pgx.Tx, q report.Query, f *report.Facts) error {
	from, to := utc(q.From), utc(q.To)
	var err error
	if f.Customers, err = queryAll(ctx, tx, "report customers",
		`SELECT `+customerSelectColumns+` FROM customers ORDER BY id`, nil, scanCustomer); err != nil {
		return err
	}
	if f.Notes, err = queryAll(ctx, tx, "report thank-you notes", `SELECT occasion, COUNT(*) FROM thank_you_notes
		WHERE status = 'sent' AND at >= $1 AND at <= $2 GROUP BY occasion`, []any{from, to},
		func(r scanner) (report.NoteCount, error) {
			var n report.NoteCount
			return n, r.Scan(&n.Occasion, &n.Notes)
		}); err != nil {
		return err
	}
	if f.Sent, err = queryAll(ctx, tx, "report notes sent", `SELECT customer_id, occasion, occasion_key, at
		FROM thank_you_notes WHERE status = 'sent'`, nil,
		func(r scanner) (thanks.Sent, error) {
			var s thanks.Sent
			err := r.Scan(&s.CustomerID, &s.Occasion, &s.Key, &s.At)
			return s, err
		}); err != nil {
		return err
	}
	// As `thanks due` decides it: an incident fixed since RecoveredSince
	// and, per customer, the first credit or gesture for it not voided.
	f.Recoveries, err = queryAll(ctx, tx, "report recoveries", `SELECT c.customer_id, i.id, MIN(i.title), MIN(`+fixedAt+`),
			MIN(c.issued_at)
		FROM incident_fixes f JOIN incidents i ON i.id = f.incident_id
		JOIN credits c ON c.incident_id = i.id
		WHERE `+fixedAt+` >= $1
			AND NOT EXISTS (SELECT 1 FROM credit_entries v WHERE v.credit_id = c.id AND v.kind = 'void')
		GROUP BY c.customer_id, i.id`, []any{utc(q.RecoveredSince)},
		func(r scanner) (thanks.Recovery, error) {
			var (
				rc    thanks.Recovery
				iid   int64
				fixed time.Time
			)
			if err := r.Scan(&rc.CustomerID, &iid, &rc.Title, &fixed, &rc.Compensated); err != nil {
				return rc, err
			}
			rc.IncidentID = strconv.FormatInt(iid, 10)
			rc.Fixed = fixed
			return rc, nil
		})
	return err
}
