package main

// `go run ./bench -engine postgres`: makegood on PostgreSQL against what
// psql does with the same data in the same run, on the same server:
//
//   - import: makegood credit issue --from-file into a ledger, against
//     (plain) psql \copy of the file into a table with no index, constraint
//     or trigger, and (schema) psql doing makegood's writes itself: \copy
//     into a temporary table, then one INSERT … SELECT into credits and
//     credit_entries, as the import's statement does (no checks, no
//     numbering in the file's order);
//   - balances: makegood credit balance (all customers, and one) against
//     psql running makegood's balance query on makegood's ledger, and the
//     raw SUM … GROUP BY on the plain table.
//
// The server is -postgres (default MAKEGOOD_TEST_POSTGRES_URL), a role
// that may create databases: each run gets new ones, dropped afterwards.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/bench/internal/gen"
)

func runPostgres(ctx context.Context, o options) error {
	server := o.postgres
	if server == "" {
		server = os.Getenv("MAKEGOOD_TEST_POSTGRES_URL")
	}
	if server == "" {
		return fmt.Errorf("-engine postgres needs -postgres URL (or MAKEGOOD_TEST_POSTGRES_URL): a role that may create databases")
	}
	if _, err := exec.LookPath("psql"); err != nil {
		return fmt.Errorf("-engine postgres needs psql: %w", err)
	}
	dir, err := os.MkdirTemp("", "makegood-bench-pg-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{options: o, dir: dir, results: map[string]float64{}, peak: map[string]int{}}
	b.mg = o.bin
	if b.mg == "" {
		b.mg = filepath.Join(dir, "makegood")
		if err := goBuild(ctx, b.mg, "./cmd/makegood"); err != nil {
			return err
		}
	}
	b.custFile = filepath.Join(dir, "customers.csv")
	if err := generate(b.custFile, "id,currency\n", o.customers, func(i int) string { return gen.Customer(i) + ",USD\n" }); err != nil {
		return err
	}
	var version string
	if out, err := exec.CommandContext(ctx, "psql", "-X", "-A", "-t", "-c", "SHOW server_version", server).Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}
	fmt.Printf("makegood bench, PostgreSQL %s: %d runs each, interleaved; median [min–max]; machine: %s\n", version, o.runs, machine())
	fmt.Printf("ratios are makegood ÷ floor, of the medians; targets are judged on wall time\n\n")
	for _, s := range strings.Split(o.rows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-rows: %w", err)
		}
		if err := b.postgresSize(ctx, server, n); err != nil {
			return err
		}
	}
	b.postgresTargets()
	return nil
}

// pgDatabase creates a database on server for one run and returns its URL.
func pgDatabase(ctx context.Context, server, name string) (string, error) {
	if out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
		"DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", "-c", "CREATE DATABASE "+name, server).CombinedOutput(); err != nil {
		return "", fmt.Errorf("create database %s: %w\n%s", name, err, out)
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func pgDrop(ctx context.Context, server string, names ...string) {
	for _, n := range names {
		_ = exec.CommandContext(ctx, "psql", "-X", "-q", "-c", "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)", server).Run()
	}
}

func psql(ctx context.Context, db, sql string) error {
	out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, db).CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: %w\n%s", err, out)
	}
	return nil
}

// postgresSize times one row count.
func (b *bench) postgresSize(ctx context.Context, server string, n int) error {
	csvFile := filepath.Join(b.dir, fmt.Sprintf("credits-%d.csv", n))
	err := generate(csvFile, "customer,amount,currency,reason,idempotency_key\n", n, func(i int) string {
		r := gen.Make(i, b.customers, gen.Sequential)
		return r.Customer + "," + r.Amount + ",USD,outage," + r.Key + "\n"
	})
	if err != nil {
		return err
	}
	defer os.Remove(csvFile)
	const customer = "cus_00042"
	// The floor (schema): makegood's write, as one statement, by psql.
	schemaScript := filepath.Join(b.dir, "schema-import.sql")
	if err := os.WriteFile(schemaScript, []byte(`\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE staging (customer text, amount text, currency text, reason text, idempotency_key text) ON COMMIT DROP;
\copy staging FROM '`+csvFile+`' WITH (FORMAT csv, HEADER)
WITH credit AS (
	INSERT INTO credits (customer_id, amount_minor, currency, reason, note, issued_at, idempotency_key)
	SELECT customer, replace(amount, '.', '')::bigint, currency, reason, '', now(), idempotency_key FROM staging
	RETURNING id, customer_id, currency, expires_at, amount_minor, issued_at)
INSERT INTO credit_entries (credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
	SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credit ORDER BY id;
INSERT INTO imports (kind, at, sha256, source, rows, written, already_recorded, operator)
	VALUES ('credits', now(), repeat('0', 64), 'psql', `+strconv.Itoa(n)+`, `+strconv.Itoa(n)+`, 0, '');
COMMIT;
`), 0o600); err != nil {
		return err
	}
	// makegood's balance query (internal/store/postgres balancesQuery),
	// with the time written in, and the raw sums of the plain table.
	now := time.Now().UTC().Format(time.RFC3339)
	ledgerSum := `SELECT customer_id, currency, SUM(amount_minor)::bigint FROM credit_entries
		WHERE (expires_at IS NULL OR expires_at > '` + now + `')
		GROUP BY customer_id, currency HAVING SUM(amount_minor) <> 0 ORDER BY customer_id, currency`
	ledgerOne := `SELECT customer_id, currency, SUM(amount_minor)::bigint FROM credit_entries
		WHERE (expires_at IS NULL OR expires_at > '` + now + `') AND customer_id = '` + customer + `'
		GROUP BY customer_id, currency HAVING SUM(amount_minor) <> 0 ORDER BY customer_id, currency`
	plainSum := `SELECT customer, SUM(replace(amount, '.', '')::bigint) FROM credits GROUP BY customer ORDER BY customer`
	plainOne := `SELECT customer, SUM(replace(amount, '.', '')::bigint) FROM credits WHERE customer = '` + customer + `' GROUP BY customer`

	s := series{}
	load := loadavg()
	for r := range b.runs {
		names := []string{"mg_bench_ledger", "mg_bench_plain", "mg_bench_schema"}
		dbs := map[string]string{}
		for _, name := range names {
			u, err := pgDatabase(ctx, server, name)
			if err != nil {
				return err
			}
			dbs[name] = u
		}
		ledger, plain, schema := dbs["mg_bench_ledger"], dbs["mg_bench_plain"], dbs["mg_bench_schema"]
		if err := psql(ctx, plain, `CREATE TABLE credits (customer text, amount text, currency text, reason text, idempotency_key text)`); err != nil {
			return err
		}
		for _, db := range []string{ledger, schema} {
			if _, err := timed(ctx, db, b.mg, "customer", "import", b.custFile); err != nil {
				return err
			}
		}
		steps := []struct {
			key  string
			db   string
			name string
			args []string
		}{
			{"plain", "", "psql", []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", `\copy credits FROM '` + csvFile + `' WITH (FORMAT csv, HEADER)`, plain}},
			{"schema", "", "psql", []string{"-X", "-q", "-f", schemaScript, schema}},
			{"makegood", ledger, b.mg, []string{"credit", "issue", "--from-file", csvFile}},
		}
		for _, st := range steps {
			m, err := timed(ctx, st.db, st.name, st.args...)
			if err != nil {
				return fmt.Errorf("run %d: %w", r+1, err)
			}
			s.add(st.key, m)
		}
		// As autovacuum would, before anyone reads: statistics, and the
		// visibility map that lets a sum read the index alone.
		for _, db := range []string{ledger, plain} {
			if err := psql(ctx, db, "VACUUM ANALYZE"); err != nil {
				return err
			}
		}
		qs := []struct {
			key  string
			name string
			args []string
		}{
			{"plainSum", "psql", []string{"-X", "-q", "-A", "-t", "-c", plainSum, plain}},
			{"mgSum", b.mg, []string{"credit", "balance"}},
			{"sqlSum", "psql", []string{"-X", "-q", "-A", "-t", "-c", ledgerSum, ledger}},
			{"plainOne", "psql", []string{"-X", "-q", "-A", "-t", "-c", plainOne, plain}},
			{"mgOne", b.mg, []string{"credit", "balance", "--customer", customer}},
			{"sqlOne", "psql", []string{"-X", "-q", "-A", "-t", "-c", ledgerOne, ledger}},
		}
		for range b.reps {
			for _, q := range qs {
				m, err := timed(ctx, ledger, q.name, q.args...)
				if err != nil {
					return err
				}
				s.add(q.key, m)
			}
		}
		pgDrop(ctx, server, names...)
	}

	fmt.Printf("%s rows, sequential keys (%d customers); load average %s before, %s after\n", thousands(n), b.customers, load, loadavg())
	fmt.Printf("  %-46s %-26s %-26s %s\n", "import", "wall", "CPU of the client (user+system)", "peak RSS")
	for _, c := range []struct{ key, what string }{
		{"makegood", "makegood credit issue --from-file"},
		{"plain", "psql \\copy, plain table"},
		{"schema", "psql, makegood's writes (staging + INSERT)"},
	} {
		fmt.Printf("  %-46s %-26s %-26s %.1f MiB\n", c.what, s.spread(c.key, wall), s.spread(c.key, cpu), float64(s.peak(c.key))/1024)
	}
	for _, c := range []struct{ key, what string }{
		{"plain", "÷ psql \\copy, plain table"},
		{"schema", "÷ psql, makegood's writes"},
	} {
		fmt.Printf("  %-46s %6.2f× wall\n", c.what, s.ratio("makegood", c.key, wall))
	}
	fmt.Printf("  %-46s %-26s %-26s %s\n", "balances", "wall", "CPU of the client", "ratio (wall)")
	for _, c := range []struct{ mine, floor, what, floorWhat string }{
		{"mgSum", "sqlSum", "credit balance", "psql, raw SUM … GROUP BY of the ledger"},
		{"mgSum", "plainSum", "", "psql, raw SUM … GROUP BY, plain table"},
		{"mgOne", "sqlOne", "credit balance --customer X", "psql, the same for one customer"},
		{"mgOne", "plainOne", "", "psql, raw SUM, plain table"},
	} {
		if c.what != "" {
			fmt.Printf("  %-46s %-26s %-26s\n", "makegood "+c.what, s.spread(c.mine, wall), s.spread(c.mine, cpu))
		}
		fmt.Printf("    %-44s %-26s %-26s %5.2f×\n", c.floorWhat, s.spread(c.floor, wall), s.spread(c.floor, cpu), s.ratio(c.mine, c.floor, wall))
	}
	fmt.Println()
	b.results[fmt.Sprintf("pg/import/plain/%d", n)] = s.ratio("makegood", "plain", wall)
	b.results[fmt.Sprintf("pg/import/schema/%d", n)] = s.ratio("makegood", "schema", wall)
	b.results[fmt.Sprintf("pg/balance/all/%d", n)] = s.ratio("mgSum", "sqlSum", wall)
	b.results[fmt.Sprintf("pg/balance/raw/%d", n)] = s.ratio("mgSum", "plainSum", wall)
	b.results[fmt.Sprintf("pg/balance/one/%d", n)] = s.ratio("mgOne", "sqlOne", wall)
	b.peak[fmt.Sprintf("pg/%d", n)] = s.peak("makegood")
	return nil
}

// postgresTargets prints issue 11's targets, each met or missed.
func (b *bench) postgresTargets() {
	fmt.Println("targets (issue 11)")
	line := func(what string, key string, limit float64) {
		v, ok := b.results[key]
		switch {
		case !ok:
			fmt.Printf("  %-62s not measured\n", what)
		case v <= limit:
			fmt.Printf("  %-62s %8.2f×  met\n", what, v)
		default:
			fmt.Printf("  %-62s %8.2f×  missed\n", what, v)
		}
	}
	for _, n := range []int{100_000, 1_000_000} {
		line(fmt.Sprintf("import ≤ 3× psql \\copy, %s rows", thousands(n)), fmt.Sprintf("pg/import/plain/%d", n), 3)
		line(fmt.Sprintf("  (import ÷ psql doing makegood's writes, %s rows)", thousands(n)), fmt.Sprintf("pg/import/schema/%d", n), 3)
		line(fmt.Sprintf("balance ≤ 1.5× the raw SUM … GROUP BY in psql, %s", thousands(n)), fmt.Sprintf("pg/balance/all/%d", n), 1.5)
		line(fmt.Sprintf("balance --customer X ≤ 1.5× the same in psql, %s", thousands(n)), fmt.Sprintf("pg/balance/one/%d", n), 1.5)
		line(fmt.Sprintf("  (balance ÷ SUM … GROUP BY of the plain table, %s)", thousands(n)), fmt.Sprintf("pg/balance/raw/%d", n), 1.5)
	}
	for _, n := range []int{100_000, 1_000_000} {
		if p, ok := b.peak[fmt.Sprintf("pg/%d", n)]; ok {
			fmt.Printf("  %-62s %8.1f MiB\n", fmt.Sprintf("import peak RSS, %s rows", thousands(n)), float64(p)/1024)
		}
	}
}
