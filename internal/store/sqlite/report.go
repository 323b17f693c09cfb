package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/thanks"
)

var _ report.Source = (*Ledger)(nil)

// ReportFacts answers a report's query with sums by month: the ledger is
// never read row by row into Go. The money (entries and expiries) is read
// in one read transaction, so the balance it adds up to is one snapshot,
// with the customers and their notes; incidents in another, at the same
// time, because the machine has two cores and the two halves take about as
// long.
// Migration 0006 has the indexes these queries walk.
func (s *Ledger) ReportFacts(ctx context.Context, q report.Query) (report.Facts, error) {
	var (
		f          report.Facts
		wg         sync.WaitGroup
		moneyErr   error
		othersErr  error
		moneyPart  report.Facts
		othersPart report.Facts
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		moneyErr = s.readTx(ctx, func(tx *sql.Tx) error {
			if err := reportMoney(ctx, tx, q, &moneyPart); err != nil {
				return err
			}
			return reportPeople(ctx, tx, q, &moneyPart)
		})
	}()
	go func() {
		defer wg.Done()
		othersErr = s.readTx(ctx, func(tx *sql.Tx) error { return reportIncidents(ctx, tx, q, &othersPart) })
	}()
	wg.Wait()
	if err := errors.Join(moneyErr, othersErr); err != nil {
		return f, fmt.Errorf("report: %w", err)
	}
	f = moneyPart
	f.Incidents, f.Repeats = othersPart.Incidents, othersPart.Repeats
	return f, nil
}

// readTx runs fn in a read transaction: a deferred BEGIN, so it neither
// takes the write lock nor waits for writers (WAL).
func (s *Ledger) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// currencyClause keeps one currency (and gestures, which have none).
func currencyClause(q report.Query, col string) (string, []any) {
	if q.Currency == "" {
		return "", nil
	}
	return " AND " + col + " IN (?, '')", []any{q.Currency}
}

// The report's money queries. flowsQuery groups by the indexed expression,
// so credit_entries_by_month is walked in order with no sort; the others
// read only the entries of credits that expire (a partial index). Each
// takes the currency clause before its GROUP BY.
const (
	flowsQuery = `SELECT substr(at, 1, 7), kind, currency, SUM(amount_minor), COUNT(*)
		FROM credit_entries INDEXED BY credit_entries_by_month WHERE at <= ?%s
		GROUP BY substr(at, 1, 7), kind, currency`
	afterExpiryQuery = `SELECT substr(at, 1, 7), kind, currency, SUM(amount_minor), COUNT(*)
		FROM credit_entries INDEXED BY credit_entries_by_expiry
		WHERE expires_at IS NOT NULL AND at >= expires_at AND at <= ?%s
		GROUP BY substr(at, 1, 7), kind, currency`
	expiriesQuery = `SELECT expires_at, currency, SUM(CASE WHEN at < expires_at THEN amount_minor ELSE 0 END)
		FROM credit_entries INDEXED BY credit_entries_by_expiry
		WHERE expires_at IS NOT NULL AND expires_at <= ? AND at <= ? AND currency != ''%s
		GROUP BY expires_at, currency`
)

func reportMoney(ctx context.Context, tx *sql.Tx, q report.Query, f *report.Facts) error {
	to := fmtTime(q.To)
	cur, curArgs := currencyClause(q, "currency")
	flows := func(query string) ([]report.Flow, error) {
		return queryAll(ctx, tx, "report flows", fmt.Sprintf(query, cur), append([]any{to}, curArgs...),
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
	f.Expiries, err = queryAll(ctx, tx, "report expiries", fmt.Sprintf(expiriesQuery, cur), append([]any{to, to}, curArgs...),
		func(r scanner) (report.Expiry, error) {
			var (
				e  report.Expiry
				at string
			)
			if err := r.Scan(&at, &e.Currency, &e.BeforeMinor); err != nil {
				return e, err
			}
			var err error
			e.At, err = parseTime(at)
			return e, err
		})
	return err
}

func reportIncidents(ctx context.Context, tx *sql.Tx, q report.Query, f *report.Facts) error {
	from, to := fmtTime(q.From), fmtTime(q.To)
	var err error
	// Time to apology follows ledger.Summarize: the first apology recorded
	// at or after the report whose delivery did not fail.
	f.Incidents, err = queryAll(ctx, tx, "report incidents", `SELECT i.id, i.severity, i.started_at, i.reported_at,
			CASE WHEN `+fixedAt+` <= ? THEN `+fixedAt+` END,
			(SELECT MIN(apologies.recorded_at) FROM apologies
				WHERE apologies.incident_id = i.id AND apologies.recorded_at >= i.reported_at
				AND apologies.recorded_at <= ? AND `+apologyStatus+` != 'failed')
		FROM incidents i INDEXED BY incidents_by_start LEFT JOIN incident_fixes f ON f.incident_id = i.id
		WHERE i.started_at >= ? AND i.started_at <= ?`, []any{to, to, from, to},
		func(r scanner) (report.IncidentFact, error) {
			var (
				inc               report.IncidentFact
				started, reported string
				fixed, apology    sql.NullString
				err               error
			)
			if err = r.Scan(&inc.ID, &inc.Severity, &started, &reported, &fixed, &apology); err != nil {
				return inc, err
			}
			if inc.Started, err = parseTime(started); err != nil {
				return inc, err
			}
			if inc.Reported, err = parseTime(reported); err != nil {
				return inc, err
			}
			if inc.Fixed, err = parseTimePtr(fixed); err != nil {
				return inc, err
			}
			inc.FirstApology, err = parseTimePtr(apology)
			return inc, err
		})
	if err != nil {
		return err
	}
	f.Repeats, err = queryAll(ctx, tx, "report repeat incidents", `SELECT ic.customer_id, COALESCE(c.name, ''),
			COUNT(*), MAX(i.started_at)
		FROM incidents i INDEXED BY incidents_by_start JOIN incident_customers ic ON ic.incident_id = i.id
		LEFT JOIN customers c ON c.id = ic.customer_id
		WHERE i.started_at >= ? AND i.started_at <= ?
		GROUP BY ic.customer_id HAVING COUNT(*) >= ?`, []any{fmtTime(q.RepeatSince), to, report.RepeatIncidents},
		func(r scanner) (report.Repeat, error) {
			var (
				rp   report.Repeat
				last string
			)
			if err := r.Scan(&rp.Customer, &rp.Name, &rp.Incidents, &last); err != nil {
				return rp, err
			}
			var err error
			rp.Last, err = parseTime(last)
			return rp, err
		})
	return err
}

// reportPeople reads customers and their thank-you notes.
func reportPeople(ctx context.Context, tx *sql.Tx, q report.Query, f *report.Facts) error {
	from, to := fmtTime(q.From), fmtTime(q.To)
	var err error
	if f.Customers, err = queryAll(ctx, tx, "report customers",
		`SELECT `+customerSelectColumns+` FROM customers ORDER BY id`, nil, scanCustomer); err != nil {
		return err
	}
	if f.Notes, err = queryAll(ctx, tx, "report thank-you notes", `SELECT occasion, COUNT(*) FROM thank_you_notes
		WHERE status = 'sent' AND at >= ? AND at <= ? GROUP BY occasion`, []any{from, to},
		func(r scanner) (report.NoteCount, error) {
			var n report.NoteCount
			return n, r.Scan(&n.Occasion, &n.Notes)
		}); err != nil {
		return err
	}
	if f.Sent, err = queryAll(ctx, tx, "report notes sent", `SELECT customer_id, occasion, occasion_key, at
		FROM thank_you_notes WHERE status = 'sent'`, nil,
		func(r scanner) (thanks.Sent, error) {
			var (
				s  thanks.Sent
				at string
			)
			if err := r.Scan(&s.CustomerID, &s.Occasion, &s.Key, &at); err != nil {
				return s, err
			}
			var err error
			s.At, err = parseTime(at)
			return s, err
		}); err != nil {
		return err
	}
	// As `thanks due` decides it: an incident fixed since RecoveredSince
	// and, per customer, the first credit or gesture for it not voided.
	f.Recoveries, err = queryAll(ctx, tx, "report recoveries", `SELECT c.customer_id, i.id, i.title, `+fixedAt+`,
			MIN(c.issued_at)
		FROM incident_fixes f JOIN incidents i ON i.id = f.incident_id
		JOIN credits c ON c.incident_id = i.id
		WHERE `+fixedAt+` >= ?
			AND NOT EXISTS (SELECT 1 FROM credit_entries v WHERE v.credit_id = c.id AND v.kind = 'void')
		GROUP BY c.customer_id, i.id`, []any{fmtTime(q.RecoveredSince)},
		func(r scanner) (thanks.Recovery, error) {
			var (
				rc           thanks.Recovery
				id           int64
				fixed, given string
			)
			if err := r.Scan(&rc.CustomerID, &id, &rc.Title, &fixed, &given); err != nil {
				return rc, err
			}
			rc.IncidentID = strconv.FormatInt(id, 10)
			var err error
			if rc.Fixed, err = parseTime(fixed); err != nil {
				return rc, err
			}
			rc.Compensated, err = parseTime(given)
			return rc, err
		})
	return err
}

// ReportPlans returns SQLite's query plan of each money query of a report,
// so a test can prove they walk the report indexes without sorting.
func (s *Ledger) ReportPlans(ctx context.Context, q report.Query) (map[string][]string, error) {
	to := fmtTime(q.To)
	cur, curArgs := currencyClause(q, "currency")
	out := map[string][]string{}
	for name, query := range map[string]string{"flows": flowsQuery, "after_expiry": afterExpiryQuery, "expiries": expiriesQuery} {
		args := []any{to}
		if name == "expiries" {
			args = append(args, to)
		}
		p, err := s.plan(ctx, fmt.Sprintf(query, cur), append(args, curArgs...))
		if err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// apologyStatus is an apology's status as its latest delivery attempt
// records it, or as it was recorded; an attempt whose outcome is still
// unknown leaves it as it was. Time to apology counts apologies not failed,
// as ledger.Summarize does.
const apologyStatus = `COALESCE((SELECT d.status FROM apology_deliveries d
	WHERE d.apology_id = apologies.id ORDER BY d.id DESC LIMIT 1), apologies.status)`
