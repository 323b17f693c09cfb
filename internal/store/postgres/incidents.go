package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// incidentSelect yields one row per incident with its fix, if any, and its
// affected customers, sorted. The fix time is the latest correction's,
// when the fix was corrected, so every figure uses it. Callers add WHERE
// clauses on the alias i.
const incidentSelect = `SELECT i.id, i.title, i.what, i.severity, i.started_at, i.reported_at,
	i.created_at, ` + fixedAt + `,
	ARRAY(SELECT customer_id FROM incident_customers WHERE incident_id = i.id ORDER BY customer_id) AS customers,
	i.impact_bp,
	(SELECT COUNT(*) FROM incident_fix_corrections c WHERE c.incident_id = i.id)
FROM incidents i LEFT JOIN incident_fixes f ON f.incident_id = i.id`

// fixedAt is incident i's fix time: its latest correction's, else the fix
// f as first recorded (NULL while open). Every query that reads a fix time
// uses it, so a corrected fix counts everywhere.
const fixedAt = `COALESCE((SELECT fc.fixed_at FROM incident_fix_corrections fc WHERE fc.incident_id = i.id ORDER BY fc.id DESC LIMIT 1),
	f.fixed_at)`

// OpenIncident records an incident and its affected customers in one
// transaction; an unknown customer leaves nothing behind.
func (s *Ledger) OpenIncident(ctx context.Context, n ledger.NewIncident) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *wtx) error {
		iid, _, err := insertIncident(ctx, tx, n)
		if err != nil {
			return err
		}
		out, err = incidentByID(ctx, tx, iid)
		return err
	})
	return out, err
}

// insertIncident is the body of OpenIncident, shared with RecordCase. With
// a case key already recorded it returns that incident and existing=true.
func insertIncident(ctx context.Context, tx *wtx, n ledger.NewIncident) (iid int64, existing bool, err error) {
	if err := n.CheckTimes(); err != nil {
		return 0, false, err
	}
	if n.CaseKey != "" {
		// Runs of the same resolve --title queue here: the first opens
		// the incident, the others go on with it.
		if err := lock(ctx, tx, lockCase, n.CaseKey); err != nil {
			return 0, false, err
		}
		err := tx.QueryRow(ctx, `SELECT id FROM incidents WHERE case_key = $1`, n.CaseKey).Scan(&iid)
		switch {
		case err == nil:
			return iid, true, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, false, fmt.Errorf("look up case key: %w", err)
		}
	}
	n = n.WithDefaults()
	if err := tx.QueryRow(ctx, `INSERT INTO incidents
		(title, what, severity, started_at, reported_at, created_at, impact_bp, case_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		n.Title, n.What, n.Severity, utc(n.StartedAt), utc(n.ReportedAt), utc(n.CreatedAt), n.ImpactBP,
		nullString(n.CaseKey)).Scan(&iid); err != nil {
		return 0, false, fmt.Errorf("insert incident: %w", err)
	}
	for _, c := range n.Customers {
		if err := addAffected(ctx, tx, iid, c, n.CreatedAt); err != nil {
			return 0, false, err
		}
	}
	return iid, false, nil
}

// addAffected records that an incident affected a customer, if it is not
// recorded yet. Both must exist.
func addAffected(ctx context.Context, q querier, incident int64, customer string, at time.Time) error {
	var incidentExists, customerExists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incidents WHERE id = $1),
		EXISTS (SELECT 1 FROM customers WHERE id = $2)`, incident, customer).Scan(&incidentExists, &customerExists); err != nil {
		return fmt.Errorf("look up incident: %w", err)
	}
	if !incidentExists {
		return &ledger.NotFoundError{Kind: "incident", ID: fmt.Sprint(incident)}
	}
	if !customerExists {
		return &ledger.NotFoundError{Kind: "customer", ID: customer}
	}
	// A known pair inserts nothing; one added by another transaction at
	// the same moment is waited for, then left as it is. (DO NOTHING
	// changes no row, so the append-only triggers, which refuse DO
	// UPDATE, let it be.)
	if _, err := q.Exec(ctx, `INSERT INTO incident_customers (incident_id, customer_id, added_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, incident, customer, utc(at)); err != nil {
		return fmt.Errorf("add customer %q to incident %d: %w", customer, incident, err)
	}
	return nil
}

// FixIncident records the fix, once.
func (s *Ledger) FixIncident(ctx context.Context, iid int64, fixedAt, recordedAt time.Time) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *wtx) error {
		if err := lock(ctx, tx, lockIncident, id(iid)); err != nil {
			return err
		}
		inc, err := incidentByID(ctx, tx, iid)
		if err != nil {
			return err
		}
		if err := insertFix(ctx, tx, inc, fixedAt, recordedAt); err != nil {
			return err
		}
		out, err = incidentByID(ctx, tx, iid)
		return err
	})
	return out, err
}

// CorrectFix appends a correction of the incident's fix. The fix row and
// every earlier correction stay as they are: the latest correction is the
// fix time from now on.
func (s *Ledger) CorrectFix(ctx context.Context, iid int64, fixedAt, recordedAt time.Time) (ledger.Incident, error) {
	var out ledger.Incident
	err := s.tx(ctx, func(tx *wtx) error {
		if err := lock(ctx, tx, lockIncident, id(iid)); err != nil {
			return err
		}
		inc, err := incidentByID(ctx, tx, iid)
		if err != nil {
			return err
		}
		if err := inc.CheckCorrection(fixedAtField, fixedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_fix_corrections (incident_id, fixed_at, recorded_at) VALUES ($1, $2, $3)`,
			iid, utc(fixedAt), utc(recordedAt)); err != nil {
			return fmt.Errorf("correct the fix of incident %d: %w", iid, err)
		}
		out, err = incidentByID(ctx, tx, iid)
		return err
	})
	return out, err
}

// Fixes lists the fix as first recorded and its corrections, oldest first.
func (s *Ledger) Fixes(ctx context.Context, iid int64) ([]ledger.Fix, error) {
	return queryAll(ctx, s.pool, fmt.Sprintf("list fixes of incident %d", iid), `SELECT fixed_at, recorded_at, correction FROM (
			SELECT fixed_at, recorded_at, false AS correction, 0::bigint AS ord FROM incident_fixes WHERE incident_id = $1
			UNION ALL
			SELECT fixed_at, recorded_at, true, id FROM incident_fix_corrections WHERE incident_id = $1) AS f
		ORDER BY ord`, []any{iid},
		func(r scanner) (ledger.Fix, error) {
			var f ledger.Fix
			err := r.Scan(&f.FixedAt, &f.RecordedAt, &f.Correction)
			return f, err
		})
}

// fixedAtField names a fix time in the errors of the checks made as it is
// written; commands check first, naming their flags.
const fixedAtField = "fixed_at"

// insertFix records inc's fix, once (ledger's Incident.CheckFix). The
// caller holds the incident's lock.
func insertFix(ctx context.Context, q querier, inc ledger.Incident, fixedAt, recordedAt time.Time) error {
	if err := inc.CheckFix(fixedAtField, fixedAt); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO incident_fixes (incident_id, fixed_at, recorded_at) VALUES ($1, $2, $3)`,
		inc.ID, utc(fixedAt), utc(recordedAt)); err != nil {
		return fmt.Errorf("record fix of incident %d: %w", inc.ID, err)
	}
	return nil
}

// Incident returns one incident with its affected customers.
func (s *Ledger) Incident(ctx context.Context, iid int64) (ledger.Incident, error) {
	return incidentByID(ctx, s.pool, iid)
}

func incidentByID(ctx context.Context, q querier, iid int64) (ledger.Incident, error) {
	inc, err := scanIncident(q.QueryRow(ctx, incidentSelect+` WHERE i.id = $1`, iid))
	if errors.Is(err, pgx.ErrNoRows) {
		return inc, &ledger.NotFoundError{Kind: "incident", ID: fmt.Sprint(iid)}
	}
	return inc, err
}

// Incidents lists incidents, newest first.
func (s *Ledger) Incidents(ctx context.Context, f ledger.IncidentFilter) ([]ledger.Incident, error) {
	var (
		where []string
		p     params
	)
	if f.Customer != "" {
		where = append(where, "i.id IN (SELECT incident_id FROM incident_customers WHERE customer_id = "+p.add(f.Customer)+")")
	}
	if f.CaseKey != "" {
		where = append(where, "i.case_key = "+p.add(f.CaseKey))
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
	q, args := listQuery(incidentSelect, where, p.args, "i.id", f.Limit)
	return queryAll(ctx, s.pool, "list incidents", q, args, scanIncident)
}

func scanIncident(r scanner) (ledger.Incident, error) {
	var inc ledger.Incident
	if err := r.Scan(&inc.ID, &inc.Title, &inc.What, &inc.Severity, &inc.StartedAt, &inc.ReportedAt, &inc.CreatedAt,
		&inc.FixedAt, &inc.Customers, &inc.ImpactBP, &inc.Corrections); err != nil {
		return inc, err
	}
	if inc.Customers == nil {
		inc.Customers = []string{}
	}
	return inc, nil
}

// RecordApology stores an apology, adding its customer to the incident's
// affected customers if needed.
func (s *Ledger) RecordApology(ctx context.Context, a ledger.NewApology) (ledger.Apology, error) {
	var out ledger.Apology
	err := s.tx(ctx, func(tx *wtx) error {
		var err error
		out, err = insertApology(ctx, tx, a)
		return err
	})
	return out, err
}

func insertApology(ctx context.Context, q querier, a ledger.NewApology) (ledger.Apology, error) {
	a = a.WithDefaults()
	if err := addAffected(ctx, q, a.Incident, a.Customer, a.RecordedAt); err != nil {
		return ledger.Apology{}, err
	}
	var aid int64
	if err := q.QueryRow(ctx, `INSERT INTO apologies (customer_id, incident_id, body, recorded_at, via, status)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.Customer, a.Incident, a.Body, utc(a.RecordedAt), a.Via, a.Status).Scan(&aid); err != nil {
		return ledger.Apology{}, fmt.Errorf("record apology: %w", err)
	}
	prior := ledger.ApologyPrior(a.Status, "", "")
	return ledger.Apology{ID: aid, Customer: a.Customer, Incident: a.Incident, Body: a.Body,
		RecordedAt: utc(a.RecordedAt), Via: a.Via, Status: ledger.ApologyStatus(prior), Prior: prior}, nil
}

// Apologies lists apologies, newest first.
func (s *Ledger) Apologies(ctx context.Context, f ledger.ApologyFilter) ([]ledger.Apology, error) {
	var (
		where []string
		p     params
	)
	if f.Customer != "" {
		where = append(where, "a.customer_id = "+p.add(f.Customer))
	}
	if f.Incident != 0 {
		where = append(where, "a.incident_id = "+p.add(f.Incident))
	}
	q, args := listQuery(apologySelect, where, p.args, "a.id", f.Limit)
	return queryAll(ctx, s.pool, "list apologies", q, args, scanApology)
}

// RecordResolution records an apology, the fix and credits for one customer
// and one incident in a single transaction: all of it, or none.
func (s *Ledger) RecordResolution(ctx context.Context, r ledger.Resolution) (ledger.ResolutionResult, error) {
	var out ledger.ResolutionResult
	err := s.tx(ctx, func(tx *wtx) error {
		if err := lockResolutions(ctx, tx, r.Incident, []string{r.Customer}); err != nil {
			return err
		}
		var err error
		out, err = ledger.RecordResolution(r, resolutionWrites(ctx, tx))
		return err
	})
	return out, err
}

// lockResolutions takes, in order, the locks resolving customers of an
// incident needs: the incident's (its fix), then each customer's for it
// (their compensation and apologies).
func lockResolutions(ctx context.Context, tx *wtx, incident int64, customers []string) error {
	if err := lock(ctx, tx, lockIncident, id(incident)); err != nil {
		return err
	}
	things := make([][]string, len(customers))
	for i, c := range customers {
		things[i] = []string{id(incident), c}
	}
	return advisoryLock(ctx, tx, lockAffected, things...)
}

// resolutionWrites are the engine's reads and writes for
// ledger.RecordResolution and ledger.RecordCase, in tx.
func resolutionWrites(ctx context.Context, tx *wtx) ledger.ResolutionWrites {
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
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i
		JOIN incident_customers ic ON ic.incident_id = i.id
		WHERE ic.customer_id = $1 AND i.id <> $2 AND i.started_at >= $3 AND i.started_at < $4`,
		q.Customer, q.ExcludeIncident, utc(q.Since), utc(q.Until)).Scan(&t.Incidents); err != nil {
		return t, fmt.Errorf("count incidents: %w", err)
	}
	if err := s.pool.QueryRow(ctx, givenQuery+` AND c.customer_id = $4`,
		q.Currency, utc(q.Since), utc(q.Until), q.Customer).Scan(&t.CreditedMinor); err != nil {
		return t, fmt.Errorf("sum credits: %w", err)
	}
	var err error
	if t.GivenThisMonthMinor, err = givenInPeriod(ctx, s.pool, q.Currency, q.MonthStart, q.MonthEnd); err != nil {
		return t, fmt.Errorf("this month's goodwill: %w", err)
	}
	return t, nil
}
