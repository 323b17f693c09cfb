package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for ledgersql and ledgerdump
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

// postgresScriptEngine runs the scripts on PostgreSQL: each script gets a
// database of its own on the test server (pgtest: MAKEGOOD_TEST_POSTGRES_URL,
// required when CI is set), named by the URL in both LEDGER and
// MAKEGOOD_DB, and dropped afterwards.
func postgresScriptEngine() scriptEngine {
	return scriptEngine{
		Name: "postgres", Store: "PostgreSQL",
		Need: func(t testing.TB) { pgtest.Server(t) },
		Setup: func(env *testscript.Env) (string, string, error) {
			server, _, err := pgtest.ServerURL()
			if err != nil {
				return "", "", err
			}
			u, err := pgtest.CreateDatabase(context.Background(), server)
			if err != nil {
				return "", "", err
			}
			env.Defer(func() {
				if err := pgtest.DropDatabase(context.Background(), server, u); err != nil {
					env.T().Log("drop the script's database:", err)
				}
			})
			return u, u, nil
		},
		Open: func(dsn string) (*sql.DB, error) { return sql.Open("pgx", dsn) },
		Dump: dumpPostgres,
		Snapshot: func(ts *testscript.TestScript, dsn, name string) {
			server, _, err := pgtest.ServerURL()
			ts.Check(err)
			copyDatabase(ts, server, dsn, snapshotName(ts, dsn, name), true)
		},
		Restore: func(ts *testscript.TestScript, dsn, name string) {
			server, _, err := pgtest.ServerURL()
			ts.Check(err)
			db, err := pgtest.DatabaseName(dsn)
			ts.Check(err)
			ts.Check(pgtest.DropDatabase(context.Background(), server, dsn))
			u, err := pgtest.WithDatabase(server, snapshotName(ts, dsn, name))
			ts.Check(err)
			copyDatabase(ts, server, u, db, false)
		},
	}
}

// snapshotName is the database that keeps snapshot name of the ledger.
func snapshotName(ts *testscript.TestScript, dsn, name string) string {
	db, err := pgtest.DatabaseName(dsn)
	ts.Check(err)
	return db + "_" + strings.ToLower(name)
}

// copyDatabase makes database to a copy of the database at from (CREATE
// DATABASE … TEMPLATE), dropped when the script ends if drop is set.
func copyDatabase(ts *testscript.TestScript, server, from, to string, drop bool) {
	ctx := context.Background()
	src, err := pgtest.DatabaseName(from)
	ts.Check(err)
	conn, err := pgx.Connect(ctx, server)
	ts.Check(err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{to}.Sanitize()+" TEMPLATE "+pgx.Identifier{src}.Sanitize())
	ts.Check(err)
	if drop {
		u, err := pgtest.WithDatabase(server, to)
		ts.Check(err)
		ts.Defer(func() { _ = pgtest.DropDatabase(context.Background(), server, u) })
	}
}

// dumpPostgres is a PostgreSQL ledger's schema (version, and every table's
// columns and constraints, index and trigger as PostgreSQL describes
// them) and every table's rows in the order of all their columns.
func dumpPostgres(db *sql.DB) (string, error) {
	var b strings.Builder
	var v int
	if err := db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "-- schema version %d\n", v)
	if err := writeRows(&b, db, `
		SELECT 'column', c.relname, a.attnum, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
			CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT 'constraint', c.relname, 0, k.conname || ' ' || pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = current_schema()::regnamespace
		UNION ALL
		SELECT 'index', c.relname, 0, pg_get_indexdef(c.oid)
		FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'i'
		UNION ALL
		SELECT 'trigger', t.tgname, 0, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
		ORDER BY 1, 2, 3, 4`); err != nil {
		return "", err
	}
	rows, err := db.Query(`SELECT c.relname, COUNT(a.attnum) FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname`)
	if err != nil {
		return "", err
	}
	type table struct {
		name string
		cols int
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.cols); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return "", err
	}
	for _, t := range tables {
		fmt.Fprintf(&b, "-- %s\n", t.name)
		order := make([]string, t.cols)
		for i := range order {
			order[i] = fmt.Sprint(i + 1)
		}
		if err := writeRows(&b, db, `SELECT * FROM `+pgx.Identifier{t.name}.Sanitize()+` ORDER BY `+strings.Join(order, ", ")); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// pgServerCondition is [pgserver]: a PostgreSQL server is there for the
// script (whatever engine it runs on), by pgtest's rules; with CI set and
// none, the script fails rather than skips.
func pgServerCondition() (bool, error) {
	_, skip, err := pgtest.ServerURL()
	if err != nil {
		return false, err
	}
	return skip == "", nil
}

// cmdNewDB is `newdb VAR`: a new, empty PostgreSQL database on the test
// server, its URL in $VAR, dropped when the script ends (db copy's target).
func cmdNewDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: newdb VAR")
	}
	server, skip, err := pgtest.ServerURL()
	ts.Check(err)
	if skip != "" {
		ts.Fatalf("newdb: %s", skip)
	}
	u, err := pgtest.CreateDatabase(context.Background(), server)
	ts.Check(err)
	ts.Defer(func() { _ = pgtest.DropDatabase(context.Background(), server, u) })
	ts.Setenv(args[0], u)
}
