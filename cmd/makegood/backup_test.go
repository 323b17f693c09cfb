package main

import (
	"context"
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
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	env := append(os.Environ(), "MAKEGOOD_DB="+db, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "MAKEGOOD_NO_INPUT=1")
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	for i := range 4 {
		if out, err := run("customer", "add", fmt.Sprintf("cus_%d", i), "--currency", "USD"); err != nil {
			t.Fatalf("customer add: %v\n%s", err, out)
		}
	}

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
