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
// exactly the file's rows.
func TestKillMidImport(t *testing.T) {
	// testscript.Main put this test binary on $PATH as `makegood`; running
	// it by that name runs main(), as the installed binary would.
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	env := append(os.Environ(), "MAKEGOOD_DB="+db, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "MAKEGOOD_NOW=2026-11-24T10:00:00Z")
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
	walSize := func() int64 {
		fi, err := os.Stat(db + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	base := walSize()

	cmd := run("credit", "issue", "--from-file", credits)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The credits reach the write-ahead log only inside the transaction:
	// once it has grown by 2 MiB the process is in the middle of writing,
	// with most of the file still to go.
	deadline := time.Now().Add(60 * time.Second)
	for walSize() < base+2<<20 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the import never started writing (WAL at %d bytes)", walSize())
		}
		time.Sleep(5 * time.Millisecond)
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
		st, err := sqlite.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var ok string
		if err := st.DB().QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("integrity_check = %q, %v", ok, err)
		}
		var credits, entries, keys, imports int
		if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM credits), (SELECT COUNT(*) FROM credit_entries),
			(SELECT COUNT(DISTINCT idempotency_key) FROM credits), (SELECT COUNT(*) FROM imports WHERE kind = 'credits')`).
			Scan(&credits, &entries, &keys, &imports); err != nil {
			t.Fatal(err)
		}
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
