package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/stripe/stripetest"
)

const pushCredits = 1000

// TestKillMidPush pushes 1,000 credits with the real binary and kills it
// with SIGKILL again and again at different points — while it claims, at
// chosen numbers of requests received, so between a claim, its request and
// the record of the answer — then lets a last run finish. Stripe must hold
// exactly one balance transaction per credit, each for minus its amount,
// and the ledger an answer for every claim.
func TestKillMidPush(t *testing.T) { forEachEngine(t, killMidPush) }

func killMidPush(t *testing.T, l *processLedger) {
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	fake := stripetest.New(t)
	fake.Key = fakeStripeKey
	dir := t.TempDir()
	env := l.Env("XDG_CONFIG_HOME="+dir, "STRIPE_API_KEY="+fakeStripeKey, "MAKEGOOD_STRIPE_API_BASE="+fake.URL)
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}
	const customers = 10
	for i := range customers {
		fake.AddCustomer(fmt.Sprintf("cus_%d", i), "", "", time.Now(), "usd")
	}
	custFile := filepath.Join(dir, "customers.csv")
	credFile := filepath.Join(dir, "credits.csv")
	writeFile(t, custFile, "id,currency\n", customers, func(i int) string { return fmt.Sprintf("cus_%d,USD\n", i) })
	writeFile(t, credFile, "customer,amount,reason\n", pushCredits, func(i int) string {
		return fmt.Sprintf("cus_%d,%d.%02d,outage\n", i%customers, 1+i%40, i%100)
	})
	for _, args := range [][]string{{"customer", "import", custFile}, {"credit", "issue", "--from-file", credFile}} {
		if out, err := run(args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	posts := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Method == "POST" {
				n++
			}
		}
		return n
	}

	// Kill points: a few milliseconds in (claiming, or the first
	// requests), then once the server has received so many more requests.
	killed := 0
	for _, more := range []int{-1, 1, 2, 50, 173, 10, 311, 1, 97} {
		cmd := run("stripe", "push")
		start := posts()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if more < 0 {
			time.Sleep(15 * time.Millisecond)
		} else {
			deadline := time.Now().Add(30 * time.Second)
			for posts() < start+more && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		}
	}
	if killed < 5 {
		t.Fatalf("only %d of the runs were killed before they finished", killed)
	}
	out, err := run("stripe", "push").CombinedOutput()
	if err != nil {
		t.Fatalf("the last push failed: %v\n%s", err, out)
	}

	// Stripe: exactly one transaction per credit.
	seen := map[string]int64{}
	total := 0
	for i := range customers {
		for _, tx := range fake.Txns(fmt.Sprintf("cus_%d", i)) {
			total++
			id := tx.Metadata["makegood_credit_id"]
			if _, dup := seen[id]; dup {
				t.Errorf("credit %s was pushed twice", id)
			}
			seen[id] = tx.Amount
		}
	}
	if total != pushCredits || len(seen) != pushCredits {
		t.Fatalf("Stripe holds %d transactions for %d credits, want %d", total, len(seen), pushCredits)
	}
	claims := l.count(t, `SELECT COUNT(*) FROM stripe_pushes`)
	answers := l.count(t, `SELECT COUNT(*) FROM stripe_push_results`)
	wrong := l.count(t, `SELECT COUNT(*) FROM stripe_pushes p JOIN credits c ON c.id = p.credit_id WHERE p.amount_stripe <> -c.amount_minor`)
	if claims != pushCredits || answers != pushCredits || wrong != 0 {
		t.Fatalf("ledger: %d claims, %d answers, %d with the wrong amount; want %d, %d, 0", claims, answers, wrong, pushCredits, pushCredits)
	}
	for cid, amt := range seen {
		if _, err := strconv.ParseInt(cid, 10, 64); err != nil {
			t.Fatalf("metadata credit id %q", cid)
		}
		if want := l.count(t, `SELECT amount_minor FROM credits WHERE id = `+cid); int64(want) != -amt {
			t.Errorf("credit %s: Stripe holds %d, want %d", cid, amt, -want)
		}
	}
	before := posts()
	if before <= pushCredits {
		t.Errorf("%d POST requests: no kill left a claim to send again, so the test proved nothing about it", before)
	}
	if out, err := run("stripe", "push").CombinedOutput(); err != nil || !strings.Contains(string(out), "Pushed 0 credits") || posts() != before {
		t.Errorf("a push after everything was pushed: %v\n%s", err, out)
	}
	t.Logf("%d runs killed; %d POST requests for %d credits", killed, before, pushCredits)

	// Two pushes at once of 200 new credits: still once each.
	more := filepath.Join(dir, "more.csv")
	writeFile(t, more, "customer,amount,reason\n", 200, func(i int) string { return fmt.Sprintf("cus_%d,3.00,bug\n", i%customers) })
	if out, err := run("credit", "issue", "--from-file", more).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	a, b := run("stripe", "push"), run("stripe", "push")
	var outA, outB bytes.Buffer
	a.Stdout, a.Stderr, b.Stdout, b.Stderr = &outA, &outA, &outB, &outB
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if errA, errB := a.Wait(), b.Wait(); errA != nil || errB != nil {
		t.Fatalf("concurrent pushes: %v, %v\n%s\n%s", errA, errB, outA.String(), outB.String())
	}
	ids := map[string]bool{}
	for i := range customers {
		for _, tx := range fake.Txns(fmt.Sprintf("cus_%d", i)) {
			if ids[tx.Metadata["makegood_credit_id"]] {
				t.Errorf("credit %s was pushed twice", tx.Metadata["makegood_credit_id"])
			}
			ids[tx.Metadata["makegood_credit_id"]] = true
		}
	}
	if len(ids) != pushCredits+200 {
		t.Errorf("Stripe holds %d credits, want %d", len(ids), pushCredits+200)
	}
}
