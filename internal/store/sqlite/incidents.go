package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// incidentSelect yields one row per incident with its fix, if any, and its
// affected customers as a JSON array (ids may contain commas, so no
// group_concat). The fix time is the latest correction's, when the fix was
// corrected, so every figure uses it. Callers add WHERE clauses on the
// alias i.
const incidentSelect = `SELECT i.id, i.title, i.what, i.severity, i.started_at, i.reported_at,
	i.created_at, ` + fixedAt + `,
	(SELECT json_group_array(customer_id) FROM
		(SELECT customer_id FROM incident_customers WHERE incident_id = i.id ORDER BY customer_id)) AS customers,
	i.impact_bp,
	(SELECT COUNT(*) FROM incident_fix_corrections c WHERE c.incident_id = i.id)
FROM incidents i LEFT JOIN incident_fixes f ON f.incident_id = i.id`

// fixedAt is incident i's fix time: its latest correction's, else the fix
// f as first recorded (NULL while open). Every query that reads a fix time
// uses it, so a corrected fix counts everywhere.
const fixedAt = `COALESCE((SELECT fc.fixed_at FROM incident_fix_corrections fc WHERE fc.incident_id = i.id ORDER BY fc.id DESC LIMIT 1),
	f.fixed_at)`

// queryer is what both *sql.DB and *sql.Tx offer for reads.
type queryer interface {
	querier
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// OpenIncident records an incident and its affected customers in one
// transaction; an unknown customer leaves nothing behind.
func (s *Ledger) OpenIncident(ctx context.Context, n ledger.NewIncident) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *sql.Tx) error {
		id, _, err := insertIncident(ctx, tx, n)
		if err != nil {
			return err
		}
		out, err = incidentByID(ctx, tx, id)
		return err
	})
	return out, err
}

// insertIncident is the body of OpenIncident, shared with RecordCase. With
// a case key already recorded it returns that incident and existing=true.
func insertIncident(ctx context.Context, tx *sql.Tx, n ledger.NewIncident) (id int64, existing bool, err error) {
	if err := n.CheckTimes(); err != nil {
		return 0, false, err
	}
	if n.CaseKey != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE case_key = ?`, n.CaseKey).Scan(&id)
		switch {
		case err == nil:
			return id, true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, false, fmt.Errorf("look up case key: %w", err)
		}
	}
	n = n.WithDefaults()
	res, err := tx.ExecContext(ctx, `INSERT INTO incidents
		(title, what, severity, started_at, reported_at, created_at, impact_bp, case_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Title, n.What, n.Severity, fmtTime(n.StartedAt), fmtTime(n.ReportedAt), fmtTime(n.CreatedAt), n.ImpactBP, nullString(n.CaseKey))
	if err != nil {
		return 0, false, fmt.Errorf("insert incident: %w", err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, false, fmt.Errorf("insert incident: %w", err)
	}
	for _, c := range n.Customers {
		if err := addAffected(ctx, tx, id, c, n.CreatedAt); err != nil {
			return 0, false, err
		}
	}
	return id, false, nil
}

// addAffected records that an incident affected a customer, if it is not
// recorded yet. Both must exist.
func addAffected(ctx context.Context, tx *sql.Tx, incident int64, customer string, at time.Time) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE id = ?`, incident).Scan(&n); err != nil {
		return fmt.Errorf("look up incident: %w", err)
	}
	if n == 0 {
		return &ledger.NotFoundError{Kind: "incident", ID: fmt.Sprint(incident)}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, customer).Scan(&n); err != nil {
		return fmt.Errorf("look up customer: %w", err)
	}
	if n == 0 {
		return &ledger.NotFoundError{Kind: "customer", ID: customer}
	}
	// A known pair inserts nothing. (Not ON CONFLICT DO NOTHING: the
	// append-only trigger refuses a taken key before conflict resolution.)
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_customers (incident_id, customer_id, added_at)
		SELECT ?1, ?2, ?3 WHERE NOT EXISTS
		(SELECT 1 FROM incident_customers WHERE incident_id = ?1 AND customer_id = ?2)`, incident, customer, fmtTime(at)); err != nil {
		return fmt.Errorf("add customer %q to incident %d: %w", customer, incident, err)
	}
	return nil
}

// FixIncident records the fix, once.
func (s *Ledger) FixIncident(ctx context.Context, id int64, fixedAt, recordedAt time.Time) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inc, err := incidentByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := insertFix(ctx, tx, inc, fixedAt, recordedAt); err != nil {
			return err
		}
		out, err = incidentByID(ctx, tx, id)
		return err
	})
	return out, err
}

// CorrectFix appends a correction of the incident's fix. The fix row and
// every earlier correction stay as they are: the latest correction is the
// fix time from now on.
func (s *Ledger) CorrectFix(ctx context.Context, id int64, fixedAt, recordedAt time.Time) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inc, err := incidentByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := inc.CheckCorrection(fixedAtField, fixedAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_fix_corrections (incident_id, fixed_at, recorded_at) VALUES (?, ?, ?)`,
			id, fmtTime(fixedAt), fmtTime(recordedAt)); err != nil {
			return fmt.Errorf("correct the fix of incident %d: %w", id, err)
		}
		out, err = incidentByID(ctx, tx, id)
		return err
	})
	return out, err
}

// Fixes lists the fix as first recorded and its corrections, oldest first.
func (s *Ledger) Fixes(ctx context.Context, id int64) ([]ledger.Fix, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT fixed_at, recorded_at, 0 FROM incident_fixes WHERE incident_id = ?
		UNION ALL
		SELECT fixed_at, recorded_at, 1 FROM (SELECT fixed_at, recorded_at FROM incident_fix_corrections WHERE incident_id = ? ORDER BY id)`,
		id, id)
	if err != nil {
		return nil, fmt.Errorf("list fixes of incident %d: %w", id, err)
	}
	defer rows.Close()
	var out []ledger.Fix
	for rows.Next() {
		var (
			f       ledger.Fix
			fixed   string
			written string
		)
		if err := rows.Scan(&fixed, &written, &f.Correction); err != nil {
			return nil, fmt.Errorf("list fixes of incident %d: %w", id, err)
		}
		if f.FixedAt, err = parseTime(fixed); err != nil {
			return nil, err
		}
		if f.RecordedAt, err = parseTime(written); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// fixedAtField names a fix time in the errors of the checks made as it is
// written; commands check first, naming their flags.
const fixedAtField = "fixed_at"

// insertFix records inc's fix, once (ledger's Incident.CheckFix).
func insertFix(ctx context.Context, tx *sql.Tx, inc ledger.Incident, fixedAt, recordedAt time.Time) error {
	if err := inc.CheckFix(fixedAtField, fixedAt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_fixes (incident_id, fixed_at, recorded_at) VALUES (?, ?, ?)`,
		inc.ID, fmtTime(fixedAt), fmtTime(recordedAt)); err != nil {
		return fmt.Errorf("record fix of incident %d: %w", inc.ID, err)
	}
	return nil
}

// Incident returns one incident with its affected customers.
func (s *Ledger) Incident(ctx context.Context, id int64) (ledger.Incident, error) {
	return incidentByID(ctx, s.db, id)
}

func incidentByID(ctx context.Context, q querier, id int64) (ledger.Incident, error) {
	inc, err := scanIncident(q.QueryRowContext(ctx, incidentSelect+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return inc, &ledger.NotFoundError{Kind: "incident", ID: fmt.Sprint(id)}
	}
	return inc, err
}

// Incidents lists incidents, newest first.
func (s *Ledger) Incidents(ctx context.Context, f ledger.IncidentFilter) ([]ledger.Incident, error) {
	var (
		where []string
		args  []any
	)
	if f.Customer != "" {
		where = append(where, "i.id IN (SELECT incident_id FROM incident_customers WHERE customer_id = ?)")
		args = append(args, f.Customer)
	}
	if f.CaseKey != "" {
		where = append(where, "i.case_key = ?")
		args = append(args, f.CaseKey)
	}
	switch f.Status {
	case "":
	case ledger.IncidentOpen:
		where = append(where, "f.fixed_at IS NULL")
	case ledger.IncidentFixed:
		where = append(where, "f.fixed_at IS NOT NULL")
	default:
		return nil, ledger.ValidateIncidentStatus("status", f.Status)
	}
	q, args := listQuery(incidentSelect, where, args, "i.id", f.Limit)
	return queryAll(ctx, s.db, "list incidents", q, args, scanIncident)
}

func scanIncident(r scanner) (ledger.Incident, error) {
	var (
		inc                       ledger.Incident
		started, reported, create string
		fixed                     sql.NullString
		customers                 string
		err                       error
	)
	if err = r.Scan(&inc.ID, &inc.Title, &inc.What, &inc.Severity, &started, &reported, &create,
		&fixed, &customers, &inc.ImpactBP, &inc.Corrections); err != nil {
		return inc, err
	}
	if inc.StartedAt, err = parseTime(started); err != nil {
		return inc, err
	}
	if inc.ReportedAt, err = parseTime(reported); err != nil {
		return inc, err
	}
	if inc.CreatedAt, err = parseTime(create); err != nil {
		return inc, err
	}
	if inc.FixedAt, err = parseTimePtr(fixed); err != nil {
		return inc, err
	}
	if err := json.Unmarshal([]byte(customers), &inc.Customers); err != nil {
		return inc, fmt.Errorf("incident %d: stored customers: %w", inc.ID, err)
	}
	return inc, nil
}

// RecordApology stores an apology, adding its customer to the incident's
// affected customers if needed.
func (s *Ledger) RecordApology(ctx context.Context, a ledger.NewApology) (ledger.Apology, error) {
	var out ledger.Apology
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = insertApology(ctx, tx, a)
		return err
	})
	return out, err
}

func insertApology(ctx context.Context, tx *sql.Tx, a ledger.NewApology) (ledger.Apology, error) {
	a = a.WithDefaults()
	if err := addAffected(ctx, tx, a.Incident, a.Customer, a.RecordedAt); err != nil {
		return ledger.Apology{}, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO apologies (customer_id, incident_id, body, recorded_at, via, status)
		VALUES (?, ?, ?, ?, ?, ?)`, a.Customer, a.Incident, a.Body, fmtTime(a.RecordedAt), a.Via, a.Status)
	if err != nil {
		return ledger.Apology{}, fmt.Errorf("record apology: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return ledger.Apology{}, fmt.Errorf("record apology: %w", err)
	}
	prior := ledger.ApologyPrior(a.Status, "", "")
	return ledger.Apology{ID: id, Customer: a.Customer, Incident: a.Incident, Body: a.Body,
		RecordedAt: a.RecordedAt.UTC(), Via: a.Via, Status: ledger.ApologyStatus(prior), Prior: prior}, nil
}

// Apologies lists apologies, newest first.
func (s *Ledger) Apologies(ctx context.Context, f ledger.ApologyFilter) ([]ledger.Apology, error) {
	var (
		where []string
		args  []any
	)
	if f.Customer != "" {
		where = append(where, "a.customer_id = ?")
		args = append(args, f.Customer)
	}
	if f.Incident != 0 {
		where = append(where, "a.incident_id = ?")
		args = append(args, f.Incident)
	}
	q, args := listQuery(apologySelect, where, args, "a.id", f.Limit)
	return queryAll(ctx, s.db, "list apologies", q, args, scanApology)
}

// RecordResolution records an apology, the fix and credits for one customer
// and one incident in a single transaction: all of it, or none.
func (s *Ledger) RecordResolution(ctx context.Context, r ledger.Resolution) (ledger.ResolutionResult, error) {
	var out ledger.ResolutionResult
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = ledger.RecordResolution(r, resolutionWrites(ctx, tx))
		return err
	})
	return out, err
}

// resolutionWrites are the engine's reads and writes for
// ledger.RecordResolution and ledger.RecordCase, in tx.
func resolutionWrites(ctx context.Context, tx *sql.Tx) ledger.ResolutionWrites {
	return ledger.ResolutionWrites{
		Incident:      func(id int64) (ledger.Incident, error) { return incidentByID(ctx, tx, id) },
		AddAffected:   func(inc int64, cust string, at time.Time) error { return addAffected(ctx, tx, inc, cust, at) },
		InsertFix:     func(inc ledger.Incident, fixedAt, at time.Time) error { return insertFix(ctx, tx, inc, fixedAt, at) },
		InsertApology: func(a ledger.NewApology) (ledger.Apology, error) { return insertApology(ctx, tx, a) },
		IssueCredit:   func(nc ledger.NewCredit) (ledger.Credit, bool, error) { return issueCredit(ctx, tx, nc) },
	}
}

// GoodwillTotals sums the history goodwill suggest weighs. Credits count
// net of voids: a voided credit was not given, a used one was.
func (s *Ledger) GoodwillTotals(ctx context.Context, q ledger.GoodwillQuery) (ledger.GoodwillTotals, error) {
	var t ledger.GoodwillTotals
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents i
		JOIN incident_customers ic ON ic.incident_id = i.id
		WHERE ic.customer_id = ? AND i.id != ? AND i.started_at >= ? AND i.started_at < ?`,
		q.Customer, q.ExcludeIncident, fmtTime(q.Since), fmtTime(q.Until)).Scan(&t.Incidents); err != nil {
		return t, fmt.Errorf("count incidents: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, givenQuery+` AND c.customer_id = ?`,
		q.Currency, fmtTime(q.Since), fmtTime(q.Until), q.Customer).Scan(&t.CreditedMinor); err != nil {
		return t, fmt.Errorf("sum credits: %w", err)
	}
	var err error
	if t.GivenThisMonthMinor, err = givenInPeriod(ctx, s.db, q.Currency, q.MonthStart, q.MonthEnd); err != nil {
		return t, fmt.Errorf("this month's goodwill: %w", err)
	}
	return t, nil
}
