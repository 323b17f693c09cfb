// Command floor is the Go floor of the import benchmark: the statements
// `makegood credit issue --from-file` runs, through the same driver
// (modernc.org/sqlite behind database/sql) with the same settings, and
// nothing else: no CSV to read, no field to check, no line to remember.
// The rows are made in memory by bench/internal/gen, the same rows the
// bench writes to the CSV makegood reads.
//
//	floor -db ledger.db -rows 100000 -customers 1000 -keys sequential
//
// The ledger must have makegood's schema and the customers already (the
// bench builds it from makegood's migrations). Every statement and setting
// below mirrors the store's credit import; the comments name where each
// comes from (internal/store/sqlite: credit_import.go, imports.go and
// sqlite.go), so a change there should be made here too.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/makegood/makegood/bench/internal/gen"
)

// As in the store: importBatch, creditColumns (the generic insert's; a
// batch of constant columns binds three a row), rebuildMinRows,
// rebuildShare, importCachePages, rebuildCachePages, importTempCachePages,
// keptMax.
const (
	importBatch          = 250
	creditColumns        = 8
	rebuildMinRows       = 10_000
	rebuildShare         = 4
	importCachePages     = -8 << 10
	rebuildCachePages    = -3 << 10
	importTempCachePages = -1 << 10
	keptMax              = 4096
)

func main() {
	db := flag.String("db", "", "the ledger")
	rows := flag.Int("rows", 100_000, "credits to write")
	customers := flag.Int("customers", 1000, "customers the rows name")
	keys := flag.String("keys", string(gen.Sequential), "idempotency keys: sequential or random")
	flag.Parse()
	k, err := gen.ParseKeys(*keys)
	if err == nil {
		err = run(context.Background(), *db, *rows, *customers, k)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// dsn is store.dsn.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// creditInsert is store.creditInsert: every column bound for every row.
func creditInsert(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", creditColumns), ", ") + ")"
	return `INSERT OR IGNORE INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// creditInsertConst is store.creditInsertConst: the rows' currency,
// reason, note and times, the same for every row here as in the CSV,
// bound once per batch.
func creditInsertConst(n int) string {
	return `INSERT OR IGNORE INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key)
		SELECT column1, column2, ?, ?, ?, ?, ?, column3 FROM (VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ") + `)`
}

func run(ctx context.Context, path string, n, customers int, keys gen.Keys) error {
	// store.Open and prepare (sqlite.go): a stat of the file, then one
	// query for the schema version and the journal mode (the ledger is
	// WAL and current: nothing else to do).
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(path))
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
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("the ledger's journal is %s, not WAL", mode)
	}

	// beginBatch (imports.go): a connection of its own, foreign keys off, the cache.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var cache int
	if err := conn.QueryRowContext(ctx, "PRAGMA main.cache_size").Scan(&cache); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	for _, q := range []string{"PRAGMA temp_store = FILE"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		fmt.Sprintf("PRAGMA main.cache_size = %d", importCachePages),
		fmt.Sprintf("PRAGMA temp.cache_size = %d", importTempCachePages),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}

	// BeginCreditImport (credit_import.go), with suspendTriggers.
	var before int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM credits`).Scan(&before); err != nil {
		return err
	}
	last := before
	_, triggers, err := dropAll(ctx, tx, "TRIGGER", `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'
		AND tbl_name IN ('credits', 'credit_entries')
		AND (name LIKE '%\_insert\_only' ESCAPE '\' OR name = 'credit_entries_keep_balance') ORDER BY rowid`)
	if err != nil {
		return err
	}
	customer, err := tx.PrepareContext(ctx, `SELECT currency FROM customers WHERE id = ?`)
	if err != nil {
		return err
	}
	// The generic insert is prepared as the store prepares it, though
	// every batch here takes the batch-constant one.
	generic, err := tx.PrepareContext(ctx, creditInsert(importBatch))
	if err != nil {
		return err
	}
	insert, err := tx.PrepareContext(ctx, creditInsertConst(importBatch))
	if err != nil {
		return err
	}
	entries, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credits
		WHERE id BETWEEN ? AND ? ORDER BY id`)
	if err != nil {
		return err
	}

	// Add and flush, without the checks: a customer is looked up once
	// (the import's cache of known customers), every batch of 250 is one
	// INSERT; countTotal reads the ledger only when it has credits
	// already (one query per currency).
	if before > 0 {
		var lo int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 1) FROM credits`).Scan(&lo); err != nil {
			return err
		}
	}
	issued := time.Now().UTC().Truncate(time.Second).Format("2006-01-02T15:04:05.000000Z")
	known := map[string]bool{}
	consts := []any{"USD", "outage", "", issued, nil}
	args := make([]any, 0, importBatch*creditColumns)
	args = append(args, consts...)
	var indexes, keyIndex, analyzed []string
	// creditImport.count: the sums for the kept balances, per customer,
	// currency and expiry (none here), when the ledger keeps them (its
	// trigger was set aside above); creditImport.keep adds them with
	// keptUpsert, after a batch once there are keptMax of them, and at
	// the end.
	type keptKey struct{ customer, currency, expires string }
	var kept map[keptKey]int64
	if slices.ContainsFunc(triggers, func(q string) bool { return strings.Contains(q, "credit_entries_keep_balance") }) {
		kept = map[keptKey]int64{}
	}
	keep := func(all bool) error {
		if len(kept) == 0 || !all && len(kept) < keptMax {
			return nil
		}
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO credit_balances (customer_id, currency, expires_at, amount_minor) VALUES (?, ?, ?, ?)
			ON CONFLICT (customer_id, currency, expires_at) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		for k, amount := range kept {
			if amount == 0 {
				continue
			}
			if _, err := upsert.ExecContext(ctx, k.customer, k.currency, k.expires, amount); err != nil {
				return fmt.Errorf("keep balances: %w", err)
			}
		}
		clear(kept)
		return nil
	}
	flush := func(pending int) error {
		var (
			res sql.Result
			err error
		)
		if pending == importBatch {
			res, err = insert.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, creditInsertConst(pending), args...)
		}
		if err != nil {
			return fmt.Errorf("write credits: %w", err)
		}
		written, err := res.RowsAffected()
		if err != nil || written != int64(pending) {
			return fmt.Errorf("write credits: %d of %d written (%v)", written, pending, err)
		}
		last += written
		args = append(args[:0], consts...)
		return keep(false)
	}
	pending := 0
	for i := range n {
		r := gen.Make(i, customers, keys)
		if !known[r.Customer] {
			var cur string
			if err := customer.QueryRowContext(ctx, r.Customer).Scan(&cur); err != nil {
				return fmt.Errorf("customer %s: %w", r.Customer, err)
			}
			known[r.Customer] = true
		}
		args = append(args, r.Customer, r.AmountMinor, r.Key)
		if kept != nil && r.AmountMinor != 0 {
			kept[keptKey{r.Customer, "USD", ""}] += r.AmountMinor
		}
		if pending++; pending < importBatch {
			continue
		}
		if err := flush(pending); err != nil {
			return err
		}
		pending = 0
		if indexes == nil && i+1 >= rebuildMinRows && int64(i+1)*rebuildShare >= before {
			// dropIndexes: the customer-led indexes, found as the store
			// finds them; a smaller cache while the sorter builds them.
			var dropped, keyDropped []string
			if dropped, indexes, err = dropAll(ctx, tx, "INDEX", `SELECT s.name, s.sql FROM sqlite_schema s
				JOIN pragma_index_list(s.tbl_name) l ON l.name = s.name
				WHERE s.type = 'index' AND s.tbl_name IN ('credits', 'credit_entries') AND l.origin = 'c' AND NOT l.partial
				AND (SELECT i.name FROM pragma_index_info(s.name) i WHERE i.seqno = 0) = 'customer_id' ORDER BY s.rowid`); err != nil {
				return err
			}
			// The idempotency key's index too (no key was taken): the
			// store finds it as the one unique index of credits on the key.
			if keyDropped, keyIndex, err = dropAll(ctx, tx, "INDEX", `SELECT s.name, s.sql FROM sqlite_schema s
				JOIN pragma_index_list('credits') l ON l.name = s.name
				WHERE s.type = 'index' AND l.origin = 'c' AND l."unique" AND NOT l.partial
				AND (SELECT COUNT(*) FROM pragma_index_info(s.name)) = 1
				AND (SELECT i.name FROM pragma_index_info(s.name) i WHERE i.seqno = 0) = 'idempotency_key'`); err != nil {
				return err
			}
			// The statistics ANALYZE had for them, to gather again.
			dropped = append(dropped, keyDropped...)
			var stat int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'`).Scan(&stat); err != nil {
				return err
			}
			if stat > 0 {
				for _, name := range dropped {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = ?`, name).Scan(&n); err != nil {
						return err
					}
					if n > 0 {
						analyzed = append(analyzed, name)
					}
				}
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA main.cache_size = %d", rebuildCachePages)); err != nil {
				return err
			}
		}
	}
	if pending > 0 {
		if err := flush(pending); err != nil {
			return err
		}
	}

	// Finish: the key's unique index first (checkKeys: built, so no key
	// is there twice), the issue entries of all the credits in one
	// statement (writeEntries: the ids are one range), the kept balances'
	// sums (keep), then the triggers and the other indexes. Commit: the import's record, the temporary
	// tables gone (none were made: no key was taken).
	for _, q := range keyIndex {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	res, err := entries.ExecContext(ctx, before+1, last)
	if err != nil {
		return fmt.Errorf("write credit entries: %w", err)
	}
	if m, err := res.RowsAffected(); err != nil || m != last-before {
		return fmt.Errorf("write credit entries: %d of %d written (%v)", m, last-before, err)
	}
	if err := keep(true); err != nil {
		return err
	}
	// restoreTriggers, buildIndexes (with ANALYZE of those that had
	// statistics).
	for _, q := range append(triggers, indexes...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	for _, name := range analyzed {
		if _, err := tx.ExecContext(ctx, `ANALYZE "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	// importutil.Complete: PreviousImport (imports.go), then Commit.
	var prev int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM imports WHERE kind = ? AND sha256 = ? ORDER BY id DESC LIMIT 1`,
		"credits", strings.Repeat("0", 64)).Scan(&prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO imports
		(kind, at, sha256, source, rows, written, already_recorded, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		"credits", issued, strings.Repeat("0", 64), "floor", n, n, 0, ""); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.import_keys;
		DROP TABLE IF EXISTS temp.import_problems; DROP TABLE IF EXISTS temp.import_lines;
		DROP TABLE IF EXISTS temp.import_skipped`); err != nil {
		return err
	}
	for _, st := range []*sql.Stmt{customer, generic, insert, entries} {
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// batch.release.
	for _, q := range []string{fmt.Sprintf("PRAGMA main.cache_size = %d", cache), "PRAGMA foreign_keys = ON"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// dropAll drops the triggers or indexes q names (name, sql) and returns
// their names and CREATE statements, to run again before the commit.
func dropAll(ctx context.Context, tx *sql.Tx, kind, q string) (names, sqls []string, err error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var name, s string
		if err := rows.Scan(&name, &s); err != nil {
			rows.Close()
			return nil, nil, err
		}
		names, sqls = append(names, name), append(sqls, s)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, "DROP "+kind+` "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, nil, err
		}
	}
	return names, sqls, nil
}
