package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/store/sqlite"
)

// TestBackupWhileOthersWrite runs `makegood db backup` again and again
// while four other makegood processes keep issuing credits, each in its
// own transaction. Every backup must be a sound ledger on its own (db
// check's sums: each credit with its issue entry, nothing half-written),
// later backups must hold at least what earlier ones did, and the writers
// must never have been refused (no "database is locked").
func TestBackupWhileOthersWrite(t *testing.T) {
	bin, dir, db, run := writersLedger(t)

	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		issued  atomic.Int64
		failure atomic.Value
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				out, err := run("credit", "issue", "--customer", fmt.Sprintf("cus_%d", w), "--amount", "1.25",
					"--idempotency-key", fmt.Sprintf("w%d-%d", w, n))
				if err != nil {
					failure.Store(fmt.Sprintf("writer %d: %v\n%s", w, err, out))
					return
				}
				issued.Add(1)
			}
		}()
	}
	// Let the writers get going, then back up while they write.
	for issued.Load() < 8 {
		time.Sleep(10 * time.Millisecond)
	}
	var backups []string
	for i := range 6 {
		b := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		if out, err := run("db", "backup", b); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("db backup: %v\n%s", err, out)
		}
		backups = append(backups, b)
	}
	during := issued.Load()
	stop.Store(true)
	wg.Wait()
	if f := failure.Load(); f != nil {
		t.Fatal(f)
	}

	prev := int64(-1)
	for _, b := range backups {
		if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v", b, err, fi.Mode())
		}
		res, err := sqlite.CheckFile(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Sound() {
			t.Errorf("%s is not sound: %v", b, res.Findings)
		}
		if res.Credits < prev {
			t.Errorf("%s holds %d credits, fewer than the backup before it (%d)", b, res.Credits, prev)
		}
		prev = res.Credits
		// Reopened as a ledger, it answers like one.
		if out, err := exec.Command(bin, "credit", "balance", "--db", b).CombinedOutput(); err != nil {
			t.Errorf("credit balance on %s: %v\n%s", b, err, out)
		}
	}
	final, err := sqlite.CheckFile(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sqlite.CheckFile(context.Background(), backups[0])
	if first.Credits >= final.Credits || during < 8 {
		t.Errorf("the backups were not taken while others wrote: first backup %d credits, ledger %d, %d issued during",
			first.Credits, final.Credits, during)
	}
	if !final.Sound() || final.Credits != issued.Load() {
		t.Errorf("ledger: %d credits for %d issued, findings %v", final.Credits, issued.Load(), final.Findings)
	}
}

// TestRestoreWhileOthersWrite runs `makegood db restore --force` while
// four other makegood processes keep issuing credits (cron, say). The
// writers must never fail (no "database is locked", no I/O error from a
// file renamed under them); the ledger afterwards is sound and holds the
// backup's credits and every credit issued after the restore returned;
// the kept copy of the old ledger is sound and holds every credit issued
// before the restore began.
func TestRestoreWhileOthersWrite(t *testing.T) {
	_, dir, db, run := writersLedger(t)
	type issue struct {
		key        string
		start, end time.Time
	}
	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		issued  atomic.Int64
		failure atomic.Value
		mu      sync.Mutex
		done    []issue
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				key := fmt.Sprintf("w%d-%d", w, n)
				start := time.Now()
				out, err := run("credit", "issue", "--customer", fmt.Sprintf("cus_%d", w), "--amount", "1.25", "--idempotency-key", key)
				if err != nil {
					failure.Store(fmt.Sprintf("writer %d: %v\n%s", w, err, out))
					return
				}
				mu.Lock()
				done = append(done, issue{key, start, time.Now()})
				mu.Unlock()
				issued.Add(1)
			}
		}()
	}
	waitFor := func(n int64) {
		for issued.Load() < n && failure.Load() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(8)
	backup := filepath.Join(dir, "backup.db")
	if out, err := run("db", "backup", backup); err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("db backup: %v\n%s", err, out)
	}
	waitFor(issued.Load() + 12)
	restoreStart := time.Now()
	out, rerr := run("db", "restore", backup, "--force")
	restoreEnd := time.Now()
	waitFor(issued.Load() + 12)
	stop.Store(true)
	wg.Wait()
	if rerr != nil {
		t.Fatalf("db restore while others write: %v\n%s", rerr, out)
	}
	if f := failure.Load(); f != nil {
		t.Fatal(f)
	}
	kept, _ := filepath.Glob(db + ".before-restore-*")
	if len(kept) != 1 {
		t.Fatalf("kept copies of the old ledger: %v, want one", kept)
	}
	keys := func(path string) map[string]bool {
		t.Helper()
		res, err := sqlite.CheckFile(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Sound() {
			t.Fatalf("%s is not sound: %v", path, res.Findings)
		}
		h, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		rs, err := h.Query(`SELECT idempotency_key FROM credits`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		got := map[string]bool{}
		for rs.Next() {
			var k string
			if err := rs.Scan(&k); err != nil {
				t.Fatal(err)
			}
			got[k] = true
		}
		return got
	}
	after, before, fromBackup := keys(db), keys(kept[0]), keys(backup)
	for k := range fromBackup {
		if !after[k] {
			t.Errorf("credit %s of the backup is not in the restored ledger", k)
		}
	}
	var beforeN, afterN int
	for _, is := range done {
		if is.end.Before(restoreStart) {
			beforeN++
			if !before[is.key] {
				t.Errorf("credit %s, issued before the restore began, is not in the kept copy %s", is.key, kept[0])
			}
		}
		if is.start.After(restoreEnd) {
			afterN++
			if !after[is.key] {
				t.Errorf("credit %s, issued after the restore returned, is not in the ledger", is.key)
			}
		}
	}
	if beforeN <= len(fromBackup) || afterN == 0 {
		t.Errorf("the restore did not happen while others wrote: %d credits in the backup, %d issued before the restore, %d after",
			len(fromBackup), beforeN, afterN)
	}
	if out, err := run("credit", "balance"); err != nil {
		t.Errorf("credit balance after the restore: %v\n%s", err, out)
	}
}

// writersLedger is a new ledger with customers cus_0 … cus_3 for the tests
// in which four writer processes issue credits to it: the binary, the
// directory, the ledger's path and a way to run makegood on it.
func writersLedger(t *testing.T) (bin, dir, db string, run func(args ...string) ([]byte, error)) {
	t.Helper()
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	dir = t.TempDir()
	db = filepath.Join(dir, "ledger.db")
	env := append(os.Environ(), "MAKEGOOD_DB="+db, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "MAKEGOOD_NO_INPUT=1")
	run = func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	for i := range 4 {
		if out, err := run("customer", "add", fmt.Sprintf("cus_%d", i), "--currency", "USD"); err != nil {
			t.Fatalf("customer add: %v\n%s", err, out)
		}
	}
	return bin, dir, db, run
}
