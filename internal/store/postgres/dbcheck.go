package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// CheckDSN checks the ledger at dsn without changing it and without
// migrating it (db check): the schema version, every table, index,
// trigger and function the migrations make (found by applying the
// migrations in the session's temporary schema inside a transaction that
// is rolled back, so a new migration is covered without anyone updating a
// list, and a trigger replaced by one with another body, or disabled, is
// caught),
// every foreign key's rows (PostgreSQL enforces them, but a superuser can
// turn that off), and the ledger's own sums, as SQLite's check has them.
func CheckDSN(ctx context.Context, dsn string) (ledger.CheckResult, error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return ledger.CheckResult{}, err
	}
	defer s.Close()
	return s.Check(ctx)
}

// Exists reports whether a makegood ledger is at dsn (its record of
// migrations), creating nothing.
func Exists(ctx context.Context, dsn string) (bool, error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return false, err
	}
	defer s.Close()
	_, ok, err := schemaVersion(ctx, s.pool)
	return ok, err
}

// Check checks the open ledger without changing it (see CheckDSN).
func (s *Ledger) Check(ctx context.Context) (ledger.CheckResult, error) {
	var res ledger.CheckResult
	ms, err := migrations()
	if err != nil {
		return res, err
	}
	res.Latest = len(ms)
	add := res.Add
	// One snapshot for everything below, and nothing it does is kept:
	// the expected schema is made inside it and rolled back with it.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	v, _, err := schemaVersion(ctx, tx) // no record of migrations reads 0
	if err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	res.SchemaVersion = v
	if v = res.CheckSchemaVersion(v, "database"); v == 0 {
		return res, nil
	}
	if err := checkSchema(ctx, tx, ms[:v], &res, add); err != nil {
		return res, err
	}
	for _, f := range res.Findings {
		if f.Check == "table" && strings.HasSuffix(f.Detail, "is missing") {
			return res, nil // the sums below need every table
		}
	}
	if err := checkForeignKeys(ctx, tx, add); err != nil {
		return res, err
	}
	if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM credits), (SELECT COUNT(*) FROM credit_entries)`).Scan(&res.Credits, &res.Entries); err != nil {
		return res, fmt.Errorf("db check: count: %w", err)
	}
	for _, c := range sumChecks {
		if err := findings(ctx, tx, c.check, c.q, add); err != nil {
			return res, err
		}
	}
	// Each kept balance (migration 0012; ledger, balances.go) against the
	// sum of its entries, once the ledger keeps them (an older one is
	// migrated by opening it).
	var kept bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.credit_balances') IS NOT NULL`).Scan(&kept); err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	if kept {
		if err := findings(ctx, tx, "kept_balance", keptBalanceCheck, add); err != nil {
			return res, err
		}
	}
	return res, nil
}

// keptBalanceCheck compares each kept balance with the sum of its
// entries, both ways: a kept balance with no entries, and entries with no
// kept balance, are findings too. Its text is SQLite's: the expiry as
// SQLite writes times (the session is in UTC), or "no expiry".
const keptBalanceCheck = `SELECT 'customer ' || COALESCE(k.customer_id, s.customer_id) || ', currency ' ||
		quote_literal(COALESCE(k.currency, s.currency)) || ', ' ||
		CASE WHEN COALESCE(k.expires_at, s.expires_at) = 'infinity' THEN 'no expiry'
			ELSE 'expiring ' || to_char(COALESCE(k.expires_at, s.expires_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END ||
		': the kept balance is ' || COALESCE(k.amount_minor::text, 'missing') || ', the entries sum to ' || COALESCE(s.summed, 0)
	FROM credit_balances k
	FULL OUTER JOIN (SELECT customer_id, currency, COALESCE(expires_at, 'infinity') AS expires_at, SUM(amount_minor) AS summed
		FROM credit_entries GROUP BY 1, 2, 3) s
		ON s.customer_id = k.customer_id AND s.currency = k.currency AND s.expires_at = k.expires_at
	WHERE COALESCE(k.amount_minor, 0) <> COALESCE(s.summed, 0)
	ORDER BY 1`

// sumChecks are the ledger's own sums, each a query whose rows are
// findings (the same checks as SQLite's, in PostgreSQL's SQL).
var sumChecks = []struct{ check, q string }{
	{"orphan_entry", `SELECT 'entry ' || e.id || ' (' || e.kind || ') names credit ' || e.credit_id || ', which does not exist'
		FROM credit_entries e LEFT JOIN credits c ON c.id = e.credit_id WHERE c.id IS NULL ORDER BY e.id`},
	{"issue_entry", `SELECT 'credit ' || c.id || ' has ' || COALESCE(s.issues, 0) || ' issue entries for ' ||
			COALESCE(s.issued, 0) || ' minor units; it was issued for ' || c.amount_minor
		FROM credits c LEFT JOIN (SELECT credit_id, COUNT(*) AS issues, SUM(amount_minor) AS issued
			FROM credit_entries WHERE kind = 'issue' GROUP BY credit_id) s ON s.credit_id = c.id
		WHERE s.issues IS DISTINCT FROM 1 OR s.issued <> c.amount_minor ORDER BY c.id`},
	{"remaining_below_zero", `SELECT 'credit ' || credit_id || ': its entries sum to ' || SUM(amount_minor) ||
			' minor units, more used or voided than was issued'
		FROM credit_entries GROUP BY credit_id HAVING SUM(amount_minor) < 0 ORDER BY credit_id`},
	{"void_sum", `SELECT 'credit ' || credit_id || ' is void but its entries sum to ' || SUM(amount_minor) || ', not 0'
		FROM credit_entries GROUP BY credit_id
		HAVING bool_or(kind = 'void') AND SUM(amount_minor) <> 0 ORDER BY credit_id`},
	{"entry_sign", `SELECT 'entry ' || id || ' of credit ' || credit_id || ': a ' || kind || ' of ' || amount_minor
		FROM credit_entries
		WHERE (kind = 'issue' AND amount_minor < 0) OR (kind = 'apply' AND amount_minor >= 0)
			OR (kind = 'void' AND amount_minor > 0) ORDER BY id`},
	{"entry_copy", `SELECT 'entry ' || e.id || ' of credit ' || c.id || ' has customer, currency or expiry other than its credit''s'
		FROM credit_entries e JOIN credits c ON c.id = e.credit_id
		WHERE e.customer_id <> c.customer_id OR e.currency <> c.currency OR e.expires_at IS DISTINCT FROM c.expires_at ORDER BY e.id`},
	{"gesture_money", `SELECT 'gesture ' || c.id || ' has money: ' || c.amount_minor || ' ' || c.currency
		FROM credits c WHERE c.gesture IS NOT NULL AND (c.amount_minor <> 0 OR c.currency <> ''
			OR EXISTS (SELECT 1 FROM credit_entries e WHERE e.credit_id = c.id AND e.amount_minor <> 0)) ORDER BY c.id`},
}

// findings runs q, whose rows are one text column each, and adds each as
// a finding of check: the first few, then how many more.
func findings(ctx context.Context, q querier, check, query string, add func(check, format string, args ...any)) error {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("db check %s: %w", check, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		if n > ledger.MaxFindingsPerCheck {
			continue
		}
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("db check %s: %w", check, err)
		}
		add(check, "%s", s)
	}
	if n > ledger.MaxFindingsPerCheck {
		add(check, "and %d more", n-ledger.MaxFindingsPerCheck)
	}
	return rows.Err()
}

// checkForeignKeys finds rows whose reference points at nothing, for every
// foreign key of the ledger's tables: PostgreSQL refuses them as they are
// written, unless a superuser turned its checks off
// (session_replication_role = replica, or the tables' triggers disabled).
func checkForeignKeys(ctx context.Context, tx pgx.Tx, add func(check, format string, args ...any)) error {
	type fk struct {
		child, parent         string
		childCols, parentCols []string
	}
	fks, err := queryAll(ctx, tx, "db check foreign keys", `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
			ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
			ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY c.conrelid::regclass::text, c.conname`, nil,
		func(r scanner) (fk, error) {
			var f fk
			err := r.Scan(&f.child, &f.parent, &f.childCols, &f.parentCols)
			return f, err
		})
	if err != nil {
		return err
	}
	for _, f := range fks {
		var set, match []string
		for i := range f.childCols {
			set = append(set, "c."+pgx.Identifier{f.childCols[i]}.Sanitize()+" IS NOT NULL")
			match = append(match, "p."+pgx.Identifier{f.parentCols[i]}.Sanitize()+" = c."+pgx.Identifier{f.childCols[i]}.Sanitize())
		}
		var n int64
		q := `SELECT COUNT(*) FROM ` + f.child + ` c WHERE ` + strings.Join(set, " AND ") +
			` AND NOT EXISTS (SELECT 1 FROM ` + f.parent + ` p WHERE ` + strings.Join(match, " AND ") + `)`
		if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("db check foreign key of %s: %w", f.child, err)
		}
		if n > 0 {
			add("foreign_key", "%d rows of %s point at a missing %s (%s)", n, f.child, f.parent, strings.Join(f.childCols, ", "))
		}
	}
	return nil
}

// schemaObject is one table, index, trigger or function of a schema, as
// the catalog describes it, and the migration that made it.
type schemaObject struct{ kind, name, def, from string }

// checkSchema compares the ledger's tables, indexes, triggers and
// functions with those the migrations make: each must be there, with the
// same definition.
func checkSchema(ctx context.Context, tx pgx.Tx, ms []migration, res *ledger.CheckResult, add func(check, format string, args ...any)) error {
	var ledgerSchema string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&ledgerSchema); err != nil {
		return fmt.Errorf("db check: schema: %w", err)
	}
	want, err := expectedSchema(ctx, tx, ms)
	if err != nil {
		return err
	}
	// Back to the ledger's own schema, with pg_temp named last: unnamed,
	// it would be searched first, and the expected schema's tables taken
	// for the ledger's.
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', quote_ident($1) || ', pg_temp', true)`, ledgerSchema); err != nil {
		return fmt.Errorf("db check: schema: %w", err)
	}
	haveList, err := schemaObjects(ctx, tx)
	if err != nil {
		return err
	}
	have := map[string]schemaObject{}
	for _, o := range haveList {
		have[o.kind+" "+o.name] = o
	}
	for _, w := range want {
		if w.kind == "trigger" {
			res.Triggers++
		}
		h, ok := have[w.kind+" "+w.name]
		switch {
		case !ok && w.kind == "table":
			add(w.kind, "%s is missing", w.name)
		case !ok:
			add(w.kind, "%s is missing (it comes from migration %s)", w.name, w.from)
		case h.def != w.def:
			add(w.kind, "%s is not the one migration %s makes: %s", w.name, w.from, oneLine(firstDifference(h.def, w.def)))
		}
		delete(have, w.kind+" "+w.name)
	}
	// A trigger that is there as made, but switched off (ALTER TABLE …
	// DISABLE TRIGGER, or fired only in replica sessions), keeps nothing.
	disabled, err := queryAll(ctx, tx, "db check: triggers", `SELECT t.tgname::text, t.tgenabled::text, c.relname::text
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'O'
		ORDER BY 1`, nil, func(r scanner) ([3]string, error) {
		var d [3]string
		err := r.Scan(&d[0], &d[1], &d[2])
		return d, err
	})
	if err != nil {
		return err
	}
	for _, d := range disabled {
		add("trigger", "%s is disabled (tgenabled %s): ALTER TABLE %s ENABLE TRIGGER %s", d[0], d[1], d[2], d[0])
	}
	var extra []string
	for k, h := range have {
		if h.kind == "trigger" || h.kind == "function" {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		h := have[k]
		add(h.kind, "%s is not one of makegood's: %s", h.name, oneLine(h.def))
	}
	return nil
}

// expectedSchema applies the migrations inside tx in the session's own
// temporary schema (pg_temp), one at a time, and lists what they leave,
// each object with the migration that first made it. pg_temp needs no
// privilege beyond TEMP, which every role has by default, so db check
// works for an application role that may create nothing; the objects go
// with the rollback. PostgreSQL looks up functions in pg_temp only when
// told to, so the migrations' calls of their own functions are qualified
// with it here.
func expectedSchema(ctx context.Context, tx pgx.Tx, ms []migration) ([]schemaObject, error) {
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', 'pg_temp', true)`); err != nil {
		return nil, fmt.Errorf("db check: %w", err)
	}
	var calls []string
	for _, m := range ms {
		for _, match := range createFunction.FindAllStringSubmatch(m.sql, -1) {
			calls = append(calls, "EXECUTE FUNCTION "+match[1]+"(", "EXECUTE FUNCTION pg_temp."+match[1]+"(")
		}
	}
	inTemp := strings.NewReplacer(calls...)
	from := map[string]string{}
	var objs []schemaObject
	for _, m := range ms {
		if _, err := tx.Exec(ctx, inTemp.Replace(m.sql)); err != nil {
			return nil, fmt.Errorf("db check: migration %s: %w", m.name, err)
		}
		var err error
		if objs, err = schemaObjects(ctx, tx); err != nil {
			return nil, err
		}
		for _, o := range objs {
			if _, ok := from[o.kind+" "+o.name]; !ok {
				from[o.kind+" "+o.name] = m.name
			}
		}
	}
	for i := range objs {
		objs[i].from = from[objs[i].kind+" "+objs[i].name]
	}
	return objs, nil
}

// createFunction finds the functions a migration makes.
var createFunction = regexp.MustCompile(`(?i)CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([a-z_][a-z0-9_]*)\s*\(`)

// schemaObjects describes the tables, indexes, triggers and functions of
// the schema first in the search_path, each in one canonical text:
// PostgreSQL's own definitions (pg_get_indexdef, pg_get_triggerdef,
// pg_get_constraintdef, a function's signature and source), without the
// schema's name, so that they read the same in any schema.
func schemaObjects(ctx context.Context, tx pgx.Tx) ([]schemaObject, error) {
	var schema string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("db check: schema: %w", err)
	}
	// PostgreSQL qualifies a table's name in some definitions whatever the
	// search_path; the schema's own name is taken out, so that the same
	// definitions read the same in any schema.
	unqualify := strings.NewReplacer(pgx.Identifier{schema}.Sanitize()+".", "", schema+".", "", "pg_temp.", "")
	scan := func(r scanner) (schemaObject, error) {
		var o schemaObject
		err := r.Scan(&o.kind, &o.name, &o.def)
		o.def = unqualify.Replace(o.def)
		return o, err
	}
	return queryAll(ctx, tx, "db check: schema", `
		SELECT 'table', c.relname::text,
			(SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
				CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END ||
				CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END ||
				COALESCE(' COLLATE ' || co.collname, '') ||
				COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), E'\n' ORDER BY a.attnum)
			FROM pg_attribute a
			LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
				AND co.collname <> 'default'
			WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) || E'\n' ||
			COALESCE((SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), E'\n' ORDER BY k.conname)
			FROM pg_constraint k WHERE k.conrelid = c.oid), '')
		FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
		UNION ALL
		SELECT 'index', c.relname::text, pg_get_indexdef(c.oid)
		FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'i'
		UNION ALL
		SELECT 'trigger', t.tgname::text, pg_get_triggerdef(t.oid)
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
		UNION ALL
		SELECT 'function', p.proname::text, p.proname || '(' || pg_get_function_arguments(p.oid) || ') RETURNS ' ||
			pg_get_function_result(p.oid) || ' LANGUAGE ' || l.lanname || ' ' || p.prosrc
		FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.pronamespace = current_schema()::regnamespace
		ORDER BY 1, 2`, nil, scan)
}

// firstDifference is the first line of have that want does not have, or
// the first want lacks, to show what differs in a finding.
func firstDifference(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := range max(len(h), len(w)) {
		switch {
		case i >= len(h):
			return "lacks " + w[i]
		case i >= len(w):
			return "has " + h[i]
		case h[i] != w[i]:
			return h[i]
		}
	}
	return have
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// Backup refuses: a PostgreSQL ledger is backed up with PostgreSQL's own
// tools.
func (s *Ledger) Backup(ctx context.Context, dest string, replace bool) (ledger.CheckResult, error) {
	return ledger.CheckResult{}, &unsupported{fmt.Sprintf("db backup copies a SQLite ledger file; back up a PostgreSQL ledger with "+
		"pg_dump (pg_dump --format=custom --file=%s \"$MAKEGOOD_DB\"), or copy it to a SQLite file with makegood db copy --to FILE", dest)}
}

// unsupported is ledger.ErrUnsupported with what to do instead.
type unsupported struct{ msg string }

func (e *unsupported) Error() string { return e.msg }
func (e *unsupported) Unwrap() error { return ledger.ErrUnsupported }
