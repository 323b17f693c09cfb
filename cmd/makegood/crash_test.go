package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/store/sqlite"
)

// crashRows is big enough that the import is still writing when it is
// killed, small enough to keep the test to a few seconds.
const crashRows = 200_000

// TestKillMidImport kills the real binary with SIGKILL while it is inside
// the import's transaction, then checks that the ledger is intact, holds no
// credit from the file, and that running the same command again imports
// exactly the file's rows. On every engine.
func TestKillMidImport(t *testing.T) {
	forEachEngine(t, killMidImport)
}

func killMidImport(t *testing.T, l *processLedger) {
	// testscript.Main put this test binary on $PATH as `makegood`; running
	// it by that name runs main(), as the installed binary would.
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	dir := t.TempDir()
	env := l.Env("XDG_CONFIG_HOME="+dir, "MAKEGOOD_NOW=2026-11-24T10:00:00Z")
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}

	customers := filepath.Join(dir, "customers.csv")
	credits := filepath.Join(dir, "credits.csv")
	writeFile(t, customers, "id,currency\n", 100, func(i int) string { return fmt.Sprintf("cus_%d,USD\n", i) })
	writeFile(t, credits, "customer,amount,reason,idempotency_key\n", crashRows, func(i int) string {
		return fmt.Sprintf("cus_%d,%d.%02d,outage,crash-%d\n", i%100, 1+i%50, i%100, i)
	})
	if out, err := run("customer", "import", customers).CombinedOutput(); err != nil {
		t.Fatalf("customer import: %v\n%s", err, out)
	}
	writing := midImport(t, l)

	cmd := run("credit", "issue", "--from-file", credits)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !writing() {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the import never started writing")
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the import ended before it was killed (%v): make the file bigger", err)
	}

	check := func(wantCredits int) {
		t.Helper()
		if l.eng.Name == "sqlite" {
			st, err := sqlite.Open(context.Background(), l.dsn)
			if err != nil {
				t.Fatal(err)
			}
			var ok string
			if err := st.DB().QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
				t.Fatalf("integrity_check = %q, %v", ok, err)
			}
			st.Close()
		}
		if res := l.check(t); !res.Sound() {
			t.Fatalf("db check: %v", res.Findings)
		}
		credits := l.count(t, `SELECT COUNT(*) FROM credits`)
		entries := l.count(t, `SELECT COUNT(*) FROM credit_entries`)
		keys := l.count(t, `SELECT COUNT(DISTINCT idempotency_key) FROM credits`)
		imports := l.count(t, `SELECT COUNT(*) FROM imports WHERE kind = 'credits'`)
		wantImports := 0
		if wantCredits > 0 {
			wantImports = 1
		}
		if credits != wantCredits || entries != wantCredits || keys != wantCredits || imports != wantImports {
			t.Fatalf("credits %d, entries %d, distinct keys %d, imports %d; want %d, %d, %d, %d",
				credits, entries, keys, imports, wantCredits, wantCredits, wantCredits, wantImports)
		}
	}
	check(0)

	out, err := run("credit", "issue", "--from-file", credits).CombinedOutput()
	if err != nil {
		t.Fatalf("the import run again failed: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("Issued %d credits", crashRows); !strings.Contains(string(out), want) {
		t.Errorf("output %q lacks %q", out, want)
	}
	check(crashRows)
}

// midImport reports, polled, when an import is in the middle of writing,
// with most of its file still to go: for SQLite, once the write-ahead log
// has grown 2 MiB within the transaction; for PostgreSQL, once the server
// reports a COPY of the file's rows into the staging table under way.
func midImport(t *testing.T, l *processLedger) func() bool {
	t.Helper()
	if l.eng.Name == "sqlite" {
		walSize := func() int64 {
			fi, err := os.Stat(l.dsn + "-wal")
			if err != nil {
				return 0
			}
			return fi.Size()
		}
		base := walSize()
		return func() bool { return walSize() >= base+2<<20 }
	}
	db, err := l.eng.Open(l.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func() bool {
		var copied int64
		err := db.QueryRow(`SELECT COALESCE(MAX(tuples_processed), 0) FROM pg_stat_progress_copy
			WHERE datname = current_database()`).Scan(&copied)
		return err == nil && copied > 0
	}
}

func writeFile(t *testing.T, path, header string, n int, row func(int) string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(header)
	for i := range n {
		w.WriteString(row(i))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
