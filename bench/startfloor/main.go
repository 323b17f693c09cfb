// Command startfloor is the start-up floor of the benchmark: a Go program
// that opens the ledger with modernc.org/sqlite, as makegood does, and
// runs one read command's queries, printing the rows tab-separated as a
// piped makegood does. It has nothing else: no command tree, no config,
// no package of makegood's linked in.
//
//	MAKEGOOD_DB=ledger.db startfloor list                # credit list --limit 1
//	MAKEGOOD_DB=ledger.db startfloor balance cus_00042   # credit balance --customer cus_00042
//
// The SQL is the store's (internal/store/sqlite): dsn in sqlite.go; creditSelect and creditsQuery
// in credits.go for the list; Customer in customers.go with
// customerSelectColumns in stripe.go, then balancesQuery in credits.go
// (over the kept balances, migration 0012), for the balance. Opening is
// store.Open's on a ledger that is current and WAL (Open and prepare in
// sqlite.go): a stat of the file, then one query reading the schema
// version, which any reader must check before trusting the schema, and
// the journal mode; nothing else.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite"
)

const creditSelect = `SELECT c.id, c.customer_id, c.amount_minor, c.currency, c.reason, c.note,
	c.issued_at, c.expires_at, c.idempotency_key, v.at AS void_at, v.note AS void_note,
	(SELECT COALESCE(SUM(e.amount_minor), 0) FROM credit_entries e WHERE e.credit_id = c.id) AS remaining,
	c.incident_id, c.gesture
FROM credits c LEFT JOIN credit_entries v ON v.credit_id = c.id AND v.kind = 'void'`

const customerSelect = `SELECT id, name, email, plan, price_minor, currency, period, since, locale, tags,
	advocate, created_at, updated_at, stripe_id FROM customers WHERE id = ?`

const balances = `SELECT customer_id, currency, SUM(amount_minor) FROM credit_balances
		WHERE (expires_at = '' OR expires_at > ?) AND customer_id = ?
		GROUP BY customer_id, currency HAVING SUM(amount_minor) != 0 ORDER BY customer_id, currency`

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "startfloor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	path := os.Getenv("MAKEGOOD_DB")
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("no ledger at %q", path)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	var (
		version int
		mode    string
	)
	if err := db.QueryRowContext(ctx, `SELECT user_version, journal_mode FROM pragma_user_version, pragma_journal_mode`).
		Scan(&version, &mode); err != nil {
		return err
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch {
	case len(args) == 1 && args[0] == "list":
		return printRows(ctx, out, db, `SELECT * FROM (`+creditSelect+`) ORDER BY id DESC LIMIT ?`, 1)
	case len(args) == 2 && args[0] == "balance":
		if err := printRows(ctx, out, db, customerSelect, args[1]); err != nil {
			return err
		}
		return printRows(ctx, out, db, balances, now, args[1])
	}
	return fmt.Errorf("usage: startfloor list | startfloor balance CUSTOMER")
}

func printRows(ctx context.Context, out *bufio.Writer, db *sql.DB, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if i > 0 {
				out.WriteByte('\t')
			}
			out.WriteString(v.String)
		}
		out.WriteByte('\n')
	}
	return rows.Err()
}
