// Command bench times makegood's bulk import and balance against the
// sqlite3 shell doing the same work with no validation at all, and prints
// medians and ratios. Run it from the repository root:
//
//	go run ./bench            # 100,000 and 1,000,000 rows, 3 runs each
//	go run ./bench -rows 100000 -runs 5
//	go run ./bench -bin /tmp/makegood-old    # time another build
//
// It needs sqlite3 and GNU time (/usr/bin/time) on PATH. Files go to a
// temporary directory that is removed afterwards.
package main

import (
	"bufio"
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
	rowsFlag := flag.String("rows", "100000,1000000", "comma-separated row counts")
	runs := flag.Int("runs", 3, "runs per measurement; the median is reported")
	reps := flag.Int("reps", 5, "balance queries per run")
	customers := flag.Int("customers", 1000, "distinct customers in the generated files")
	bin := flag.String("bin", "", "a makegood binary to time instead of building ./cmd/makegood (to compare versions)")
	flag.Parse()
	if err := run(context.Background(), *rowsFlag, *runs, *reps, *customers, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, rowsFlag string, runs, reps, customers int, prebuilt string) error {
	dir, err := os.MkdirTemp("", "makegood-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := prebuilt
	if bin == "" {
		bin = filepath.Join(dir, "makegood")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/makegood")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build makegood: %w", err)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	custFile := filepath.Join(dir, "customers.csv")
	if err := generate(custFile, "id,currency\n", customers, func(i int) string { return fmt.Sprintf("cus_%05d,USD\n", i) }); err != nil {
		return err
	}
	fmt.Printf("makegood bench: %d runs each, median shown; machine: %s\n\n", runs, machine())
	for _, s := range strings.Split(rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-rows: %w", err)
		}
		if err := benchSize(ctx, dir, bin, custFile, n, runs, reps, customers); err != nil {
			return err
		}
	}
	return nil
}

func benchSize(ctx context.Context, dir, bin, custFile string, n, runs, reps, customers int) error {
	csvFile := filepath.Join(dir, fmt.Sprintf("credits-%d.csv", n))
	err := generate(csvFile, "customer,amount,currency,reason,idempotency_key\n", n, func(i int) string {
		return fmt.Sprintf("cus_%05d,%d.%02d,USD,outage,bench-%d\n", (i*7919)%customers, 1+i%99, i%100, i)
	})
	if err != nil {
		return err
	}
	const (
		sumQuery = "SELECT customer, SUM(CAST(REPLACE(amount, '.', '') AS INTEGER)) FROM credits GROUP BY customer ORDER BY customer"
		oneQuery = "SELECT customer, SUM(CAST(REPLACE(amount, '.', '') AS INTEGER)) FROM credits WHERE customer = 'cus_00042'"
	)
	var sqliteImport, mgImport, sqliteSum, mgSum, sqliteOne, mgOne []measure
	load := loadavg()
	for r := range runs {
		plain := filepath.Join(dir, fmt.Sprintf("plain-%d-%d.db", n, r))
		m, err := timed(ctx, "", "sqlite3", plain, ".import --csv "+csvFile+" credits")
		if err != nil {
			return err
		}
		sqliteImport = append(sqliteImport, m)

		ledger := filepath.Join(dir, fmt.Sprintf("ledger-%d-%d.db", n, r))
		if _, err := timed(ctx, ledger, bin, "customer", "import", custFile); err != nil {
			return err
		}
		if m, err = timed(ctx, ledger, bin, "credit", "issue", "--from-file", csvFile); err != nil {
			return err
		}
		mgImport = append(mgImport, m)

		// Whole-ledger balance, and one customer's: each a few times,
		// they take milliseconds.
		for _, q := range []struct {
			out  *[]measure
			name string
			args []string
		}{
			{&sqliteSum, "sqlite3", []string{plain, sumQuery}},
			{&mgSum, bin, []string{"credit", "balance"}},
			{&sqliteOne, "sqlite3", []string{plain, oneQuery}},
			{&mgOne, bin, []string{"credit", "balance", "--customer", "cus_00042"}},
		} {
			for range reps {
				m, err := timed(ctx, ledger, q.name, q.args...)
				if err != nil {
					return err
				}
				*q.out = append(*q.out, m)
			}
		}
		os.Remove(plain)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(ledger + suffix)
		}
	}
	fmt.Printf("%d rows (%d customers); load average %s before, %s after\n", n, customers, load, loadavg())
	row := func(what string, mine, floor []measure) {
		m, f := median(mine, wall), median(floor, wall)
		fmt.Printf("  %-34s makegood %9s   sqlite3 %9s   ratio %5.2fx\n", what, round(m), round(f), float64(m)/float64(f))
	}
	row("import (credit issue --from-file)", mgImport, sqliteImport)
	m, f := median(mgImport, cpu), median(sqliteImport, cpu)
	fmt.Printf("  %-34s makegood %9s   sqlite3 %9s   ratio %5.2fx\n", "  import CPU time (user+system)", round(m), round(f), float64(m)/float64(f))
	row("balance, all customers", mgSum, sqliteSum)
	row("balance --customer X", mgOne, sqliteOne)
	peak := 0
	for _, m := range mgImport {
		peak = max(peak, m.kb)
	}
	fmt.Printf("  %-34s %.1f MiB (max of runs)\n\n", "import peak RSS", float64(peak)/1024)
	return nil
}

// measure is one command's run.
type measure struct {
	wall, cpu time.Duration
	kb        int // peak resident set size in KiB
}

func wall(m measure) time.Duration { return m.wall }
func cpu(m measure) time.Duration  { return m.cpu }

// timed runs a command with MAKEGOOD_DB=ledger under GNU time.
func timed(ctx context.Context, ledger, name string, args ...string) (measure, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "maxrss=%M cpu=%U+%S", name}, args...)...)
	cmd.Env = append(os.Environ(), "MAKEGOOD_DB="+ledger, "MAKEGOOD_NO_INPUT=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = nil
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	m := regexp.MustCompile(`maxrss=(\d+) cpu=([0-9.]+)\+([0-9.]+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		return measure{}, fmt.Errorf("%s: no maxrss in %q", name, stderr.String())
	}
	kb, _ := strconv.Atoi(m[1])
	user, _ := strconv.ParseFloat(m[2], 64)
	sys, _ := strconv.ParseFloat(m[3], 64)
	return measure{wall: d, cpu: time.Duration((user + sys) * float64(time.Second)), kb: kb}, nil
}

// loadavg is the 1, 5 and 15 minute load averages: the machine is shared,
// and the figures mean little without them.
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

func generate(path, header string, n int, row func(int) string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	for i := range n {
		w.WriteString(row(i))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
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
	return d.Round(100 * time.Microsecond)
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
