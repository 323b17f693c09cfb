package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/makegood/makegood/internal/quietinit"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

// update rewrites the files that scripts compare output against with cmp,
// and the golden tables in testdata/tables, for reviewing in git diff after
// a deliberate change of output.
var update = flag.Bool("update", false, "rewrite cmp files in testdata/script and golden files in testdata/tables with the actual output")

// TestMain lets the testscript scripts run this very binary as `makegood`.
// A PostgreSQL cluster the tests started for themselves (pgtest) is
// stopped after them.
func TestMain(m *testing.M) {
	// This binary links internal/quietinit as makegood does, but as the
	// test process it never runs main, which would give CI back: without
	// this, every test and script would see the CI that package set for
	// the span of package init.
	quietinit.Done()
	testscript.Main(pgtest.Wrap(m), map[string]func(){"makegood": main})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real binary, each in a fresh HOME with its own ledger, once per engine
// (TestScripts/sqlite/<script>; see scriptEngines). $LEDGER names the
// script's ledger (the default file for SQLite; MAKEGOOD_DB is set too for
// an engine whose ledger is not a file); scripts read it with ledgersql
// and ledgerdump, which work on every engine.
func TestScripts(t *testing.T) {
	for _, eng := range scriptEngines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			if eng.Need != nil {
				eng.Need(t)
			}
			testscript.Run(t, scriptParams(eng))
		})
	}
}

func scriptParams(eng scriptEngine) testscript.Params {
	return testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("TZ", "UTC")
			env.Values[smtpdKey{}] = &smtpdState{}
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			ledger, db, err := eng.Setup(env)
			if err != nil {
				return err
			}
			env.Setenv("LEDGER", ledger)
			if db != "" {
				env.Setenv("MAKEGOOD_DB", db)
			}
			return nil
		},
		// [engine:sqlite] is true in the SQLite run only; [pgserver] when
		// a PostgreSQL server is there for newdb; [missing:sqlite3] when
		// sqlite3 is not installed (missingTool).
		Condition: func(cond string) (bool, error) {
			if name, ok := strings.CutPrefix(cond, "engine:"); ok {
				return name == eng.Name, nil
			}
			if prog, ok := strings.CutPrefix(cond, "missing:"); ok {
				return missingTool(prog)
			}
			if cond == "pgserver" {
				return pgServerCondition()
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":      cmdExitCode,
			"filemode":      cmdFilemode,
			"mailcat":       cmdMailcat,
			"smtpd":         cmdSMTPD,
			"ledgersql":     cmdLedgerSQL,
			"ledgerexec":    cmdLedgerExec,
			"newdb":         cmdNewDB,
			"ledgerdump":    cmdLedgerDump,
			"ledgersave":    cmdLedgerSave,
			"ledgerrestore": cmdLedgerRestore,
			// fakestripe and stripemock: cmd/makegood/stripe_test.go.
			"fakestripe": cmdFakeStripe, "stripemock": cmdStripeMock,
		},
	}
}

// missingTool is the condition [missing:PROGRAM]: a script that runs a
// program from a Debian package (sqlite3, to tamper behind makegood's
// back) skips off CI when it is not installed, naming the package, so
// `go test ./...` passes with Go alone; with CI set a missing program is
// an error, so CI never passes without having run the script.
func missingTool(prog string) (bool, error) {
	if _, err := exec.LookPath(prog); err == nil {
		return false, nil
	}
	if os.Getenv("CI") != "" {
		return false, fmt.Errorf("%s is not installed (its Debian package is %s) and CI is set", prog, prog)
	}
	return true, nil
}

// cmdExitCode is `exitcode N program [args...]`: run the program like exec
// does (stdout and stderr can be checked afterwards) and fail unless it
// exits with status N. `! exec` only tells failure from success; the exit
// status is part of makegood's interface (2 for bad input, 1 for failures).
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		got = ee.ExitCode()
	default:
		ts.Fatalf("exitcode: run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
