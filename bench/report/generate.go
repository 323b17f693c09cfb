package main

import (
	"context"
	"fmt"

	"github.com/makegood/makegood/internal/store/sqlite"
)

// sizes is how big a ledger to make.
type sizes struct {
	customers, credits, incidents, notes int
	months                               int // history, ending at end
	end                                  string
}

// generate writes a ledger of the given size at path in a few statements.
// It goes through the store for the schema (so the migrations and their
// triggers are the real ones) and then fills the tables with SQL: a
// million credits through the import would take minutes and measure the
// import, not the report. The rows keep every invariant db check verifies
// (entries sum to their credit's status, nothing overdrawn), so the same
// ledger also times db check and export.
//
// Shape: customers in USD, EUR, JPY and KWD, a fifth on yearly plans;
// credits spread evenly over the months, a tenth with an expiry, one in
// fifty a gesture; a third partly used, one in thirty voided; incidents of
// every severity with two customers each, nine in ten fixed, apologies to
// most customers; thank-you notes for every occasion.
func generate(ctx context.Context, path string, z sizes) error {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	db := st.DB()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	span := int64(z.months) * 30 * 86400 // seconds of history
	// t(expr) is a fixed-width UTC timestamp, expr seconds before end.
	t := func(expr string) string {
		return fmt.Sprintf(`strftime('%%Y-%%m-%%dT%%H:%%M:%%S', unixepoch('%s') - (%s), 'unixepoch') || '.000000Z'`, z.end, expr)
	}
	cur := `CASE i % 10 WHEN 7 THEN 'EUR' WHEN 8 THEN 'JPY' WHEN 9 THEN 'KWD' ELSE 'USD' END`
	stmts := []string{
		`CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY)`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO seq SELECT i FROM n`,
			max(z.customers, z.credits, z.incidents, z.notes)),
		fmt.Sprintf(`INSERT INTO customers (id, name, email, plan, price_minor, currency, period, since, created_at, updated_at)
			SELECT printf('cus_%%06d', i), printf('Customer %%d', i), printf('c%%d@example.com', i), 'pro',
				CASE WHEN i %% 5 = 0 THEN 49000 ELSE 4900 END * CASE %[2]s WHEN 'JPY' THEN 1 WHEN 'KWD' THEN 10 ELSE 1 END,
				%[2]s, CASE WHEN i %% 5 = 0 THEN 'year' ELSE 'month' END,
				substr(%[3]s, 1, 10), %[4]s, %[4]s
			FROM seq WHERE i <= %[1]d`, z.customers, cur, t(fmt.Sprintf("(i * 7919) %% %d", span+86400*365)), t(fmt.Sprint(span))),
		fmt.Sprintf(`INSERT INTO credits (id, customer_id, amount_minor, currency, reason, note, issued_at, expires_at, gesture)
			SELECT i, printf('cus_%%06d', 1 + (i * 7919 + i / 10) %% %[2]d),
				CASE WHEN i %% 50 = 0 THEN 0 ELSE 100 + (i * 37) %% 9900 END,
				CASE WHEN i %% 50 = 0 THEN '' ELSE (SELECT currency FROM customers WHERE id = printf('cus_%%06d', 1 + (i * 7919 + i / 10) %% %[2]d)) END,
				CASE i %% 6 WHEN 0 THEN 'outage' WHEN 1 THEN 'bug' WHEN 2 THEN 'billing' WHEN 3 THEN 'delay' WHEN 4 THEN 'goodwill' ELSE 'other' END,
				'', %[3]s,
				CASE WHEN i %% 10 = 3 AND i %% 50 != 0 THEN substr(%[4]s, 1, 10) || 'T00:00:00.000000Z' END,
				CASE WHEN i %% 50 = 0 THEN 'a handwritten card' END
			FROM seq WHERE i <= %[1]d`, z.credits, z.customers,
			t(fmt.Sprintf("%d - i * %d / %d", span, span, z.credits)), t(fmt.Sprintf("%d - i * %d / %d - 90 * 86400", span, span, z.credits))),
		`INSERT INTO credit_entries (credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
			SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credits ORDER BY id`,
		// A third are partly used a day later, before any expiry.
		`INSERT INTO credit_entries (credit_id, customer_id, currency, expires_at, kind, amount_minor, invoice, at)
			SELECT id, customer_id, currency, expires_at, 'apply', -(amount_minor / 2), 'in_' || id,
				strftime('%Y-%m-%dT%H:%M:%S', issued_at, '+1 day') || '.000000Z'
			FROM credits WHERE id % 3 = 0 AND gesture IS NULL AND amount_minor > 1
				AND strftime('%Y-%m-%dT%H:%M:%S', issued_at, '+1 day') || '.000000Z' < '` + z.end + `'
			ORDER BY id`,
		// One in thirty voided two days later: minus what remained.
		`INSERT INTO credit_entries (credit_id, customer_id, currency, expires_at, kind, amount_minor, note, at)
			SELECT c.id, c.customer_id, c.currency, c.expires_at, 'void',
				-(SELECT SUM(e.amount_minor) FROM credit_entries e WHERE e.credit_id = c.id), 'issued twice',
				strftime('%Y-%m-%dT%H:%M:%S', c.issued_at, '+2 days') || '.000000Z'
			FROM credits c WHERE c.id % 30 = 1 AND c.gesture IS NULL
				AND strftime('%Y-%m-%dT%H:%M:%S', c.issued_at, '+2 days') || '.000000Z' < '` + z.end + `'
			ORDER BY c.id`,
		fmt.Sprintf(`INSERT INTO incidents (id, title, what, severity, started_at, reported_at, created_at)
			SELECT i, 'Incident ' || i, 'Something broke.',
				CASE i %% 10 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'high' WHEN 3 THEN 'low' ELSE 'normal' END,
				%[2]s, %[3]s, %[3]s
			FROM seq WHERE i <= %[1]d`, z.incidents,
			t(fmt.Sprintf("%d - i * %d / %d + 600", span, span, z.incidents)), t(fmt.Sprintf("%d - i * %d / %d", span, span, z.incidents))),
		fmt.Sprintf(`INSERT INTO incident_customers (incident_id, customer_id, added_at)
			SELECT i, printf('cus_%%06d', 1 + (i * 104729) %% %[1]d), reported_at FROM seq JOIN incidents ON incidents.id = i
			UNION ALL
			SELECT i, printf('cus_%%06d', 1 + (i * 104729 + 1) %% %[1]d), reported_at FROM seq JOIN incidents ON incidents.id = i`, z.customers),
		`INSERT INTO incident_fixes (incident_id, fixed_at, recorded_at)
			SELECT id, strftime('%Y-%m-%dT%H:%M:%S', reported_at, printf('+%d minutes', 5 + (id * 13) % 600)) || '.000000Z',
				strftime('%Y-%m-%dT%H:%M:%S', reported_at, printf('+%d minutes', 5 + (id * 13) % 600)) || '.000000Z'
			FROM incidents WHERE id % 10 != 0`,
		`INSERT INTO apologies (customer_id, incident_id, body, recorded_at, via, status)
			SELECT ic.customer_id, ic.incident_id, 'We broke it; it is fixed now.',
				strftime('%Y-%m-%dT%H:%M:%S', i.reported_at, printf('+%d minutes', 1 + (i.id * 7) % 90)) || '.000000Z', 'email', 'sent'
			FROM incident_customers ic JOIN incidents i ON i.id = ic.incident_id WHERE i.id % 5 != 0`,
		fmt.Sprintf(`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, subject, at)
			SELECT printf('cus_%%06d', 1 + (i * 31) %% %[2]d),
				CASE i %% 4 WHEN 0 THEN 'welcome' WHEN 1 THEN 'anniversary' WHEN 2 THEN 'after_recovery' ELSE 'just_because' END,
				'bench:' || i, 'outbox', 'sent', 'Thank you', %[3]s
			FROM seq WHERE i <= %[1]d`, z.notes, z.customers, t(fmt.Sprintf("%d - i * %d / %d", span, span, max(z.notes, 1)))),
		`DROP TABLE seq`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("generate: %w\n%s", err, q)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `ANALYZE`)
	return err
}
