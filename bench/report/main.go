// Command report times `makegood report` on a big ledger (by default
// 1,000,000 credits and 50,000 incidents), and the streaming export, db
// check and db backup on the same ledger, with peak memory. Run it from
// the repository root:
//
//	go run ./bench/report                       # 1M credits, 50k incidents, 5 runs
//	go run ./bench/report -credits 100000 -runs 3
//	go run ./bench/report -keep /tmp/big.db     # keep the generated ledger
//
// It needs GNU time (/usr/bin/time). The target is a report in under a
// second on a 2-core machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	z := sizes{months: 24, end: "2026-11-25T12:00:00Z"}
	flag.IntVar(&z.credits, "credits", 1_000_000, "credits in the ledger")
	flag.IntVar(&z.incidents, "incidents", 50_000, "incidents in the ledger")
	flag.IntVar(&z.customers, "customers", 10_000, "customers")
	flag.IntVar(&z.notes, "notes", 20_000, "thank-you notes")
	runs := flag.Int("runs", 5, "runs per measurement; the median is reported")
	keep := flag.String("keep", "", "write the ledger here and keep it (reused if it exists)")
	bin := flag.String("bin", "", "a makegood binary to time instead of building ./cmd/makegood")
	flag.Parse()
	if err := run(context.Background(), z, *runs, *keep, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, z sizes, runs int, keep, bin string) error {
	dir, err := os.MkdirTemp("", "makegood-bench-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "makegood")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/makegood")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build makegood: %w", err)
		}
	}
	ledger := filepath.Join(dir, "ledger.db")
	if keep != "" {
		ledger = keep
	}
	if _, err := os.Stat(ledger); err != nil {
		start := time.Now()
		if err := generate(ctx, ledger, z); err != nil {
			return err
		}
		fmt.Printf("generated %d credits, %d incidents, %d customers in %s\n", z.credits, z.incidents, z.customers,
			time.Since(start).Round(time.Second))
	}
	// One run to open (and migrate) the ledger and warm the page cache,
	// as a founder's second look would find it.
	if _, err := timed(ctx, ledger, bin, "report"); err != nil {
		return err
	}
	fmt.Printf("makegood report bench: %d runs each, median shown; machine: %s; load average %s\n",
		runs, machine(), loadavg())
	for _, c := range []struct {
		what string
		args []string
	}{
		{"report (plain tables, piped)", []string{"report"}},
		{"report --json", []string{"report", "--json"}},
		{"report --html -", []string{"report", "--html", "-"}},
		{"report --currency USD", []string{"report", "--currency", "USD"}},
		{"export --format beancount", []string{"export", "--format", "beancount", "--output", filepath.Join(dir, "x.beancount")}},
		{"export --format hledger", []string{"export", "--format", "hledger", "--output", filepath.Join(dir, "x.journal")}},
		{"db check", []string{"db", "check"}},
		{"db backup", []string{"db", "backup", "--force", filepath.Join(dir, "backup.db")}},
	} {
		n := runs
		if strings.HasPrefix(c.what, "export") || strings.HasPrefix(c.what, "db") {
			n = 1 // seconds each; one run says enough
		}
		var ms []measure
		for range n {
			m, err := timed(ctx, ledger, bin, c.args...)
			if err != nil {
				return err
			}
			ms = append(ms, m)
		}
		peak := 0
		for _, m := range ms {
			peak = max(peak, m.kb)
		}
		fmt.Printf("  %-32s %9s wall  %9s CPU  %6.1f MiB peak  (%d runs)\n", c.what, round(median(ms, wall)),
			round(median(ms, cpu)), float64(peak)/1024, n)
	}
	fmt.Printf("load average after: %s\n", loadavg())
	return nil
}

type measure struct {
	wall, cpu time.Duration
	kb        int
}

func wall(m measure) time.Duration { return m.wall }
func cpu(m measure) time.Duration  { return m.cpu }

// timed runs makegood on the ledger under GNU time, output discarded.
func timed(ctx context.Context, ledger, bin string, args ...string) (measure, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "maxrss=%M cpu=%U+%S", bin}, args...)...)
	cmd.Env = append(os.Environ(), "MAKEGOOD_DB="+ledger, "MAKEGOOD_NO_INPUT=1", "MAKEGOOD_NOW=2026-11-25T12:00:00Z")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("makegood %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	m := regexp.MustCompile(`maxrss=(\d+) cpu=([0-9.]+)\+([0-9.]+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		return measure{}, fmt.Errorf("no maxrss in %q", stderr.String())
	}
	kb, _ := strconv.Atoi(m[1])
	user, _ := strconv.ParseFloat(m[2], 64)
	sys, _ := strconv.ParseFloat(m[3], 64)
	return measure{wall: d, cpu: time.Duration((user + sys) * float64(time.Second)), kb: kb}, nil
}

func median(ms []measure, of func(measure) time.Duration) time.Duration {
	s := make([]time.Duration, len(ms))
	for i, m := range ms {
		s[i] = of(m)
	}
	slices.Sort(s)
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			cpu = string(m[1])
		}
	}
	out, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s CPU(s), %s", strings.TrimSpace(string(out)), cpu)
}
