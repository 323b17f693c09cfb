package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/makegood/makegood/internal/store"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, for ledgersql and ledgerdump
)

// scriptEngine is one storage engine the end-to-end scripts run against:
// TestScripts/<Name>/<script>, with the condition [engine:<Name>] true in
// its scripts. A script that tests an engine by nature (tampering typed
// in SQLite's shell, PRAGMA, REPLACE) says so with [!engine:sqlite] skip,
// or puts [engine:sqlite] before its lines; every other script runs on
// every engine.
type scriptEngine struct {
	Name string
	// Store is the engine's name in internal/store (store.Engine.Name).
	Store string
	// Setup gives a script its ledger: LEDGER (a file path, or a URL) and,
	// for an engine whose ledger is not the default file, MAKEGOOD_DB.
	// Each script gets a new, empty one.
	Setup func(env *testscript.Env) (ledger, db string, err error)
	// Open opens a ledger for ledgersql and ledgerdump with the engine's
	// database/sql driver; dsn is what store.Parse gives for it.
	Open func(dsn string) (*sql.DB, error)
	// Dump is everything the ledger holds, schema and rows, in a fixed
	// order: two dumps are equal when nothing was written in between.
	Dump func(db *sql.DB) (string, error)
	// Need skips or fails t when the engine cannot run here (its server
	// is missing); nil for an engine that always can.
	Need func(t testing.TB)
	// Snapshot saves the ledger at dsn under name, and Restore puts it
	// back, so a script can try several tamperings from one sound ledger
	// (ledgersave, ledgerrestore).
	Snapshot, Restore func(ts *testscript.TestScript, dsn, name string)
}

// scriptEngines lists the engines, in the order they run.
// MAKEGOOD_TEST_ENGINES=sqlite,postgres picks some.
func scriptEngines(t *testing.T) []scriptEngine {
	all := registeredEngines()
	pick := os.Getenv("MAKEGOOD_TEST_ENGINES")
	if pick == "" {
		return all
	}
	var out []scriptEngine
	for _, name := range strings.Split(pick, ",") {
		i := slices.IndexFunc(all, func(e scriptEngine) bool { return e.Name == strings.TrimSpace(name) })
		if i < 0 {
			t.Fatalf("MAKEGOOD_TEST_ENGINES: no engine %q in this build", name)
		}
		out = append(out, all[i])
	}
	return out
}

// registeredEngines is every engine of this build.
func registeredEngines() []scriptEngine {
	return []scriptEngine{{
		Name: "sqlite", Store: "SQLite",
		// The default ledger file, as a user without --db has it:
		// MAKEGOOD_DB stays unset.
		Setup: func(env *testscript.Env) (string, string, error) {
			return filepath.Join(env.Getenv("HOME"), ".local", "share", "makegood", "ledger.db"), "", nil
		},
		Open: func(dsn string) (*sql.DB, error) {
			return sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(30000)")
		},
		Dump: dumpSQLite,
		Snapshot: func(ts *testscript.TestScript, dsn, name string) {
			ts.Check(copyFile(dsn, ts.MkAbs(name+".snapshot")))
		},
		Restore: func(ts *testscript.TestScript, dsn, name string) {
			for _, suffix := range []string{"-wal", "-shm"} {
				_ = os.Remove(dsn + suffix)
			}
			ts.Check(copyFile(ts.MkAbs(name+".snapshot"), dsn))
		},
	}, postgresScriptEngine()}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// cmdLedgerSave is `ledgersave NAME`: a copy of the script's ledger, kept
// under NAME for ledgerrestore.
func cmdLedgerSave(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ledgersave NAME")
	}
	db, e, _ := ledgerDB(ts, nil)
	db.Close()
	e.Snapshot(ts, ledgerDSN(ts), args[0])
}

// cmdLedgerRestore is `ledgerrestore NAME`: the script's ledger as
// ledgersave NAME kept it.
func cmdLedgerRestore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ledgerrestore NAME")
	}
	db, e, _ := ledgerDB(ts, nil)
	db.Close()
	e.Restore(ts, ledgerDSN(ts), args[0])
}

// ledgerDSN is what the script's ledger engine opens: its file (absolute)
// or its URL.
func ledgerDSN(ts *testscript.TestScript) string {
	where := ts.Getenv("MAKEGOOD_DB")
	if where == "" {
		where = ts.Getenv("LEDGER")
	}
	loc, err := store.Parse("-db", where)
	ts.Check(err)
	if path, ok := loc.File(); ok {
		return ts.MkAbs(path)
	}
	return loc.DSN
}

// ledgerDB opens the ledger a script's ledgersql or ledgerdump names:
// -db LOCATION, else MAKEGOOD_DB, else LEDGER; read with the driver of
// the engine that keeps it.
func ledgerDB(ts *testscript.TestScript, args []string) (*sql.DB, scriptEngine, []string) {
	where := ts.Getenv("MAKEGOOD_DB")
	if where == "" {
		where = ts.Getenv("LEDGER")
	}
	if len(args) >= 2 && args[0] == "-db" {
		where, args = args[1], args[2:]
	}
	loc, err := store.Parse("-db", where)
	ts.Check(err)
	dsn := loc.DSN
	if path, ok := loc.File(); ok {
		dsn = ts.MkAbs(path)
		if _, err := os.Stat(dsn); err != nil {
			ts.Fatalf("no ledger at %s: %v", path, err)
		}
	}
	for _, e := range registeredEngines() {
		if e.Store == loc.Engine.Name {
			db, err := e.Open(dsn)
			ts.Check(err)
			return db, e, args
		}
	}
	ts.Fatalf("no script engine for %s", loc.Engine.Name)
	return nil, scriptEngine{}, nil
}

// cmdLedgerSQL is `ledgersql [-db LOCATION] 'SELECT …[; SELECT …]'`: it
// runs read-only queries on a script's ledger and prints their rows as
// the sqlite3 shell's list mode does (a|b|c, NULL empty), so scripts read
// the ledger the same way on every engine. Writes go through makegood, or,
// for tampering tests, through the engine's own shell.
func cmdLedgerSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! ledgersql")
	}
	db, _, args := ledgerDB(ts, args)
	defer db.Close()
	if len(args) != 1 {
		ts.Fatalf("usage: ledgersql [-db LOCATION] 'SQL'")
	}
	var out strings.Builder
	for _, q := range splitStatements(args[0]) {
		if !strings.HasPrefix(strings.ToUpper(q), "SELECT") && !strings.HasPrefix(strings.ToUpper(q), "WITH") {
			ts.Fatalf("ledgersql reads: %q is not a query", q)
		}
		ts.Check(writeRows(&out, db, q))
	}
	ts.Stdout().Write([]byte(out.String()))
}

// cmdLedgerExec is `ledgerexec [-db LOCATION] 'SQL[; SQL…]'`: statements
// run in order on one connection of the script's ledger, through the
// engine's driver, as someone tampering behind makegood's back would type
// them (in the engine's own dialect: mark the line [engine:NAME]). The
// first error stops it and goes to stderr; `! ledgerexec` expects one.
//
// `ledgerexec -file FILE` runs the statements in FILE. `ledgerexec -each
// FILE` runs each line of FILE alone instead, and prints for each
// "accepted: SQL" or "refused: SQL: error", to stdout.
func cmdLedgerExec(ts *testscript.TestScript, neg bool, args []string) {
	db, _, args := ledgerDB(ts, args)
	defer db.Close()
	ctx := context.Background()
	if len(args) == 2 && args[0] == "-each" {
		if neg {
			ts.Fatalf("unsupported: ! ledgerexec -each")
		}
		for _, q := range strings.Split(strings.TrimSpace(ts.ReadFile(args[1])), "\n") {
			if _, err := db.ExecContext(ctx, q); err != nil {
				fmt.Fprintf(ts.Stdout(), "refused: %s: %s\n", q, strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				fmt.Fprintf(ts.Stdout(), "accepted: %s\n", q)
			}
		}
		return
	}
	if len(args) == 2 && args[0] == "-file" {
		args = []string{ts.ReadFile(args[1])}
	}
	if len(args) != 1 {
		ts.Fatalf("usage: ledgerexec [-db LOCATION] 'SQL' | -file FILE | -each FILE")
	}
	conn, err := db.Conn(ctx)
	ts.Check(err)
	defer conn.Close()
	for _, q := range splitStatements(args[0]) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			fmt.Fprintln(ts.Stderr(), err)
			if !neg {
				ts.Fatalf("ledgerexec: %s: %v", q, err)
			}
			return
		}
	}
	if neg {
		ts.Fatalf("ledgerexec: every statement succeeded")
	}
}

// cmdLedgerDump is `ledgerdump [-db LOCATION]`: everything the ledger
// holds, schema and rows, in a fixed order, for `cmp` against a dump
// taken before a command that must leave the ledger as it was.
func cmdLedgerDump(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! ledgerdump")
	}
	db, e, args := ledgerDB(ts, args)
	defer db.Close()
	if len(args) != 0 {
		ts.Fatalf("usage: ledgerdump [-db LOCATION]")
	}
	s, err := e.Dump(db)
	ts.Check(err)
	ts.Stdout().Write([]byte(s))
}

// splitStatements splits SQL at the semicolons outside quotes.
func splitStatements(q string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote rune
	)
	for _, r := range q {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case quote == 0 && r == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// writeRows prints q's rows in list mode.
func writeRows(w *strings.Builder, db *sql.DB, q string, args ...any) error {
	rows, err := db.Query(q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if i > 0 {
				w.WriteByte('|')
			}
			w.WriteString(listValue(v))
		}
		w.WriteByte('\n')
	}
	return rows.Err()
}

func listValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Time:
		// As SQLite's ledger holds times, so the same scripts read both.
		return v.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return fmt.Sprint(v)
}

// dumpSQLite is a SQLite ledger's schema (version, and every table,
// index and trigger as created) and every table's rows by rowid.
func dumpSQLite(db *sql.DB) (string, error) {
	var b strings.Builder
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "-- schema version %d\n", v)
	if err := writeRows(&b, db, `SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type, name`); err != nil {
		return "", err
	}
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, n)
	}
	if err := rows.Close(); err != nil {
		return "", err
	}
	for _, t := range tables {
		fmt.Fprintf(&b, "-- %s\n", t)
		order := "rowid"
		var withoutRowid int
		if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'`, t).Scan(&withoutRowid); err != nil {
			return "", err
		}
		if withoutRowid > 0 {
			order = "1"
		}
		if err := writeRows(&b, db, `SELECT * FROM "`+strings.ReplaceAll(t, `"`, `""`)+`" ORDER BY `+order); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}
