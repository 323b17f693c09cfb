package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

// processLedger is a new, empty ledger of one engine for a test that runs
// the real binary in processes of its own (concurrency, SIGKILL): what
// MAKEGOOD_DB names it, where its outbox is, and how the test reads it.
type processLedger struct {
	eng    scriptEngine
	dsn    string // MAKEGOOD_DB: the file or the URL
	outbox string
	// env is what the processes run with: HOME and XDG_DATA_HOME in dir,
	// so that a ledger that is not a file keeps its outbox there too.
	env []string
}

// forEachEngine runs test once per engine (test/<engine>), each with a
// new ledger, skipping (or in CI failing) an engine that cannot run here.
func forEachEngine(t *testing.T, test func(t *testing.T, l *processLedger)) {
	for _, eng := range scriptEngines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			if eng.Need != nil {
				eng.Need(t)
			}
			test(t, newProcessLedger(t, eng))
		})
	}
}

func newProcessLedger(t *testing.T, eng scriptEngine) *processLedger {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	l := &processLedger{eng: eng, env: []string{"HOME=" + dir, "XDG_DATA_HOME=" + data}}
	switch eng.Name {
	case "sqlite":
		l.dsn = filepath.Join(dir, "ledger.db")
		l.outbox = filepath.Join(dir, "outbox")
	default:
		l.dsn = pgtest.NewDatabase(t)
		l.outbox = filepath.Join(data, "makegood", "outbox")
	}
	l.env = append(l.env, "MAKEGOOD_DB="+l.dsn)
	return l
}

// Env is the environment for the binary: this process's, then the
// ledger's, then extra.
func (l *processLedger) Env(extra ...string) []string {
	return append(append(os.Environ(), l.env...), extra...)
}

// count runs a query returning one integer on the ledger.
func (l *processLedger) count(t *testing.T, query string) int {
	t.Helper()
	db, err := l.eng.Open(l.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// check is db check of the ledger, as the engine makes it.
func (l *processLedger) check(t *testing.T) ledger.CheckResult {
	t.Helper()
	loc, err := store.Parse("--db", l.dsn)
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Check(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
