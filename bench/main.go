// Command bench times makegood's bulk import and balance against the
// sqlite3 shell doing the same work with no validation at all, and prints
// medians and ratios. Run it from the repository root:
//
//	go run ./bench            # 100,000 and 1,000,000 rows, 3 runs each
//	go run ./bench -rows 100000 -runs 5
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
	customers := flag.Int("customers", 1000, "distinct customers in the generated files")
	bin := flag.String("bin", "", "a makegood binary to time instead of building ./cmd/makegood (to compare versions)")
	flag.Parse()
	if err := run(context.Background(), *rowsFlag, *runs, *customers, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, rowsFlag string, runs, customers int, prebuilt string) error {
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
		if err := benchSize(ctx, dir, bin, custFile, n, runs, customers); err != nil {
			return err
		}
	}
	return nil
}

func benchSize(ctx context.Context, dir, bin, custFile string, n, runs, customers int) error {
	csvFile := filepath.Join(dir, fmt.Sprintf("credits-%d.csv", n))
	err := generate(csvFile, "customer,amount,currency,reason,idempotency_key\n", n, func(i int) string {
		return fmt.Sprintf("cus_%05d,%d.%02d,USD,outage,bench-%d\n", (i*7919)%customers, 1+i%99, i%100, i)
	})
	if err != nil {
		return err
	}
	var (
		sqliteImport, mgImport, sqliteSum, mgSum, sqliteOne, mgOne []time.Duration
		peakKB                                                     []int
	)
	for r := range runs {
		plain := filepath.Join(dir, fmt.Sprintf("plain-%d-%d.db", n, r))
		d, _, err := timed(ctx, "", "sqlite3", plain, ".import --csv "+csvFile+" credits")
		if err != nil {
			return err
		}
		sqliteImport = append(sqliteImport, d)

		ledger := filepath.Join(dir, fmt.Sprintf("ledger-%d-%d.db", n, r))
		if _, _, err := timed(ctx, ledger, bin, "customer", "import", custFile); err != nil {
			return err
		}
		d, kb, err := timed(ctx, ledger, bin, "credit", "issue", "--from-file", csvFile)
		if err != nil {
			return err
		}
		mgImport = append(mgImport, d)
		peakKB = append(peakKB, kb)

		// Whole-ledger balance, and one customer's.
		d, _, err = timed(ctx, "", "sqlite3", plain,
			"SELECT customer, SUM(CAST(REPLACE(amount, '.', '') AS INTEGER)) FROM credits GROUP BY customer ORDER BY customer")
		if err != nil {
			return err
		}
		sqliteSum = append(sqliteSum, d)
		d, _, err = timed(ctx, ledger, bin, "credit", "balance")
		if err != nil {
			return err
		}
		mgSum = append(mgSum, d)
		d, _, err = timed(ctx, "", "sqlite3", plain,
			"SELECT customer, SUM(CAST(REPLACE(amount, '.', '') AS INTEGER)) FROM credits WHERE customer = 'cus_00042'")
		if err != nil {
			return err
		}
		sqliteOne = append(sqliteOne, d)
		d, _, err = timed(ctx, ledger, bin, "credit", "balance", "--customer", "cus_00042")
		if err != nil {
			return err
		}
		mgOne = append(mgOne, d)
		os.Remove(plain)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(ledger + suffix)
		}
	}
	fmt.Printf("%d rows (%d customers)\n", n, customers)
	row := func(what string, mine, floor []time.Duration) {
		m, f := median(mine), median(floor)
		fmt.Printf("  %-34s makegood %9s   sqlite3 %9s   ratio %5.2fx\n", what, round(m), round(f), float64(m)/float64(f))
	}
	row("import (credit issue --from-file)", mgImport, sqliteImport)
	row("balance, all customers", mgSum, sqliteSum)
	row("balance --customer X", mgOne, sqliteOne)
	fmt.Printf("  %-34s %.1f MiB (max of runs)\n\n", "import peak RSS", float64(slices.Max(peakKB))/1024)
	return nil
}

// timed runs a command with MAKEGOOD_DB=ledger under GNU time and returns
// its wall time and peak resident set size in KiB.
func timed(ctx context.Context, ledger, name string, args ...string) (time.Duration, int, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "maxrss=%M", name}, args...)...)
	cmd.Env = append(os.Environ(), "MAKEGOOD_DB="+ledger, "MAKEGOOD_NO_INPUT=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = nil
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	m := regexp.MustCompile(`maxrss=(\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		return 0, 0, fmt.Errorf("%s: no maxrss in %q", name, stderr.String())
	}
	kb, _ := strconv.Atoi(m[1])
	return d, kb, nil
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

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
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
