package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// importBatch is how many credits one INSERT writes: database/sql's and
// the driver's cost per statement is paid once per batch, not per row.
const importBatch = 250

// creditColumns are the columns an import writes, in insert order.
const creditColumns = 8

// creditImport writes a credit file's rows straight into credits and
// credit_entries, a batch at a time. Nothing is committed until Commit,
// so a file with problems leaves no trace.
//
// The batches are INSERT OR IGNORE, with rowids SQLite chooses, on a
// connection without foreign key checks: then no constraint can stop a
// statement half-way, and SQLite keeps no statement journal, a copy of
// every page a multi-row statement changes so it can be undone alone
// (with every customer's index entries in a page of their own, that copy
// was most of an import's time). The import makes the checks itself:
// every row's customer is looked up (Add), the entries come from the
// credits just written (the ids the INSERT returns) and are counted, and
// a row left out must be one whose idempotency key is taken, which taken
// then explains.
type creditImport struct {
	*batch
	customer, insert, insertConst, entries *sql.Stmt
	known                                  map[string]string // customer id -> currency

	// before is the last credit id before this import: an upper bound on
	// how many credits the ledger held (see ledger.ImportTotals) and on
	// how big it is (see Add). Which credits are the import's own is known exactly
	// (lines, see ids), not taken to be those after it.
	before int64
	// maxID is the largest credit id the import knows of.
	maxID int64

	pending []queued
	args    []any
	times   timeCache
	expiry  timeCache
	lines   lineRuns

	// Per batch, reused: the id each pending row was written with (0:
	// not written), the first row of each key, the ids of rows without
	// a key, the written rows in id order, and the ids of their entries.
	rowIDs  []int64
	keyRow  map[string]int
	unkeyed []int64
	byID    []writtenRow

	// written are the ids of the credits the import wrote, as ranges in
	// the order they were written (one range, as SQLite numbers rows);
	// Finish writes their issue entries (writeEntries).
	written []idRange

	// totals bound what each currency's credits add up to.
	totals ledger.ImportTotals
	// perCurrency counts the credits in res.Totals, per currency.
	perCurrency map[string]int

	res      ledger.ImportResult
	problems int // idempotency-key problems recorded in temp.import_problems
	// problemsReady is set once temp.import_problems is made.
	problemsReady bool
	wrote         bool // Finish wrote the credits and found no problem

	// triggers are the CREATE statements of the append-only insert
	// triggers set aside for the import (see suspendTriggers), to put
	// back in Finish.
	triggers []string
	// indexes are the CREATE statements of the indexes dropped for the
	// rest of the import (see dropIndexes), to build again in Finish.
	indexes    []string
	analyzed   []string // those of them ANALYZE had statistics for
	rows       int      // rows added so far
	rebuildMin int      // rebuildMinRows, but for tests
	// keyIndex is the CREATE statement of the idempotency key's unique
	// index when dropIndexes dropped it too; from then on the batches no
	// longer leave out rows whose key is taken, and Finish checks the
	// keys as a set (see checkKeys).
	keyIndex string
	// skipped counts the rows checkKeys found already recorded, which
	// are kept in temp.import_skipped until Finish removes them.
	skipped int
	// kept sums the import's credits per customer, currency and expiry,
	// for the kept balances (ledger, balances.go), when the ledger keeps
	// them; nil otherwise. Past keptMax triples the sums so far are added
	// to credit_balances and kept starts again.
	kept map[keptKey]int64
}

// keptKey is a kept balance's key: expires is the expiry as stored, or ""
// for none.
type keptKey struct{ customer, currency, expires string }

// keptMax bounds the triples an import sums in memory.
const keptMax = 4096

// keptUpsert adds an amount to a kept balance.
const keptUpsert = `INSERT INTO credit_balances (customer_id, currency, expires_at, amount_minor) VALUES (?, ?, ?, ?)
	ON CONFLICT (customer_id, currency, expires_at) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor`

// queued is a row waiting for its batch.
type queued struct {
	line int
	nc   ledger.NewCredit
}

var _ ledger.CreditImport = (*creditImport)(nil)

// BeginCreditImport starts a credit import's transaction.
func (s *Ledger) BeginCreditImport(ctx context.Context) (ledger.CreditImport, error) {
	b, err := s.beginBatch(ctx, batchOptions{noForeignKeys: true})
	if err != nil {
		return nil, err
	}
	ci := &creditImport{batch: b, known: make(map[string]string), rebuildMin: s.rebuildMin,
		pending: make([]queued, 0, importBatch), args: make([]any, 0, importBatch*creditColumns),
		perCurrency: map[string]int{}, res: ledger.ImportResult{Totals: map[string]int64{}},
		rowIDs: make([]int64, importBatch), keyRow: make(map[string]int, importBatch)}
	if err := b.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM credits`).Scan(&ci.before); err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	ci.maxID = ci.before
	ci.totals = ledger.NewImportTotals(ci.before)
	if err := ci.suspendTriggers(ctx); err != nil {
		_ = b.Rollback()
		return nil, err
	}
	if ci.customer, err = b.prepare(ctx, `SELECT currency FROM customers WHERE id = ?`); err != nil {
		return nil, err
	}
	if ci.insert, err = b.prepare(ctx, creditInsert(importBatch)); err != nil {
		return nil, err
	}
	if ci.insertConst, err = b.prepare(ctx, creditInsertConst(importBatch)); err != nil {
		return nil, err
	}
	if ci.entries, err = b.prepare(ctx, entriesInsert+`BETWEEN ? AND ? ORDER BY id`); err != nil {
		return nil, err
	}
	return ci, nil
}

// creditInsert writes n credits; a row whose idempotency key is taken is
// left out. (Not RETURNING their ids: SQLite carries out a RETURNING
// clause like a trigger, which keeps a statement journal, and hands the
// rows back one by one; see ids for how the ids are known instead.)
func creditInsert(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", creditColumns), ", ") + ")"
	return `INSERT OR IGNORE INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// creditInsertConst writes n credits that share their currency, reason,
// note, issue time and expiry (an import's rows nearly always do: they
// come from one file, with the command's defaults): those are bound once,
// as the first five parameters, and each row binds only its customer,
// amount and key. Binding is about a tenth of an import's time, and most
// of it is copying each text value into SQLite's memory. (Parameters
// numbered ?NNN would say the same, but modernc.org/sqlite looks each
// numbered one up by its name.) Rows are written in the order of the
// VALUES, as by creditInsert; ids relies on that.
func creditInsertConst(n int) string {
	return `INSERT OR IGNORE INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key)
		SELECT column1, column2, ?, ?, ?, ?, ?, column3 FROM (VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ") + `)`
}

// entriesInsert writes the issue entries of credits by id; the caller
// ends it with the ids.
const entriesInsert = `INSERT OR IGNORE INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credits
		WHERE id `

func (ci *creditImport) Customer(ctx context.Context, id string) (bool, string, error) {
	if cur, ok := ci.known[id]; ok {
		return true, cur, nil
	}
	var cur string
	err := ci.customer.QueryRowContext(context.WithoutCancel(ctx), id).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("look up customer: %w", err)
	}
	ci.remember(id, cur)
	return true, cur, nil
}

func (ci *creditImport) remember(id, currency string) {
	if len(ci.known) >= importCacheSize {
		clear(ci.known)
	}
	ci.known[id] = currency
}

func (ci *creditImport) AddCustomer(ctx context.Context, c ledger.Customer) error {
	if err := insertCustomer(ctx, ci.tx, c); err != nil {
		return err
	}
	ci.remember(c.ID, c.Currency)
	return nil
}

func (ci *creditImport) Add(ctx context.Context, line int, nc ledger.NewCredit) error {
	if err := nc.Validate(); err != nil {
		return ledger.AtLine(line, err)
	}
	if nc.Compensation || nc.Budget != nil {
		return errors.New("import: compensations and budgets are issued one by one")
	}
	if err := ci.totals.Count(ctx, nc, ci); err != nil {
		return ledger.AtLine(line, err)
	}
	// SQLite does not check the reference on this connection.
	if _, ok := ci.known[nc.Customer]; !ok {
		known, _, err := ci.Customer(ctx, nc.Customer)
		if err != nil {
			return err
		}
		if !known {
			return &ledger.NotFoundError{Kind: "customer", ID: nc.Customer}
		}
	}
	ci.pending = append(ci.pending, queued{line: line, nc: nc})
	ci.rows++
	if len(ci.pending) < cap(ci.pending) {
		return nil
	}
	if err := ci.flush(ctx); err != nil {
		return err
	}
	if ci.indexes == nil && ci.rows >= ci.rebuildMin && int64(ci.rows)*rebuildShare >= ci.before {
		return ci.dropIndexes(ctx)
	}
	return nil
}

// LowestCreditID is for ledger.ImportTotals.
func (ci *creditImport) LowestCreditID(ctx context.Context) (int64, error) {
	var lo int64
	if err := ci.tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 1) FROM credits`).Scan(&lo); err != nil {
		return 0, fmt.Errorf("count credits: %w", err)
	}
	return lo, nil
}

// IssuedBefore is for ledger.ImportTotals: everything in the currency,
// less what the import has written of it (what it wrote of it so far).
func (ci *creditImport) IssuedBefore(ctx context.Context, currency string) (int64, error) {
	all, err := issuedIn(ctx, ci.tx, currency)
	return all - ci.res.Totals[currency], err
}

// An import drops the customer-led indexes (see dropIndexes) and builds
// them again at the end, by sorting, once it has read rebuildMinRows rows
// and a rebuildShare-th of the credits the ledger had. A row-by-row insert
// into those indexes misses the cache once they outgrow it, at some 15 µs
// a row (a million rows into a ledger of a million took 25 s kept up row
// by row, 18 s dropped after a quarter, 9 s into an empty ledger); sorting
// costs about 1 µs a row of the whole ledger for each index. So a quarter
// of the ledger is worth it even if the file ends there, and far more so
// when it goes on. Below rebuildMinRows, schema changes are not worth
// their trouble.
const (
	rebuildMinRows = 10_000
	rebuildShare   = 4
)

// dropIndexes drops the indexes of credits and credit_entries that are led
// by the customer, to build them again in Finish. Those take an import's
// rows at one place for each customer, and once they outgrow the cache
// nearly every row costs a page read and write in each. The others take
// the rows at a few places (the reason, the credit id, the idempotency
// key: mostly at their end), or not at all (partial indexes), which costs
// less than sorting them again; and none of the dropped ones is read by
// the import itself. The indexes are back before Commit, so no one else
// ever sees the ledger without them.
func (ci *creditImport) dropIndexes(ctx context.Context) error {
	type index struct{ name, sql string }
	var idx []index
	err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
		var i index
		if err := r.Scan(&i.name, &i.sql); err != nil {
			return err
		}
		idx = append(idx, i)
		return nil
	}, `SELECT s.name, s.sql FROM sqlite_schema s JOIN pragma_index_list(s.tbl_name) l ON l.name = s.name
		WHERE s.type = 'index' AND s.tbl_name IN ('credits', 'credit_entries') AND l.origin = 'c' AND NOT l.partial
		AND (SELECT i.name FROM pragma_index_info(s.name) i WHERE i.seqno = 0) = 'customer_id' ORDER BY s.rowid`)
	if err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	// The idempotency key's index too, if no key so far was taken: then
	// the file is most likely new credits, and its keys are checked as a
	// set at the end (checkKeys). A file that repeats keys early (a file
	// imported again, or one that overlaps an earlier one) keeps the
	// index, and each row is sorted out as it comes.
	var keyIdx []index
	if ci.problems == 0 && ci.res.AlreadyRecorded == 0 {
		err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
			var i index
			if err := r.Scan(&i.name, &i.sql); err != nil {
				return err
			}
			keyIdx = append(keyIdx, i)
			return nil
		}, `SELECT s.name, s.sql FROM sqlite_schema s JOIN pragma_index_list('credits') l ON l.name = s.name
			WHERE s.type = 'index' AND l.origin = 'c' AND l."unique" AND NOT l.partial
			AND (SELECT COUNT(*) FROM pragma_index_info(s.name)) = 1
			AND (SELECT i.name FROM pragma_index_info(s.name) i WHERE i.seqno = 0) = 'idempotency_key'`)
		if err != nil {
			return fmt.Errorf("drop indexes: %w", err)
		}
		if len(keyIdx) != 1 {
			keyIdx = nil // not the one index migration 0011 makes: keep it
		}
	}
	var stat int
	if err := ci.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'`).Scan(&stat); err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	ci.indexes = []string{}
	if _, err := ci.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA main.cache_size = %d", rebuildCachePages)); err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	for n, i := range append(idx, keyIdx...) {
		if stat > 0 {
			var n int
			if err := ci.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = ?`, i.name).Scan(&n); err != nil {
				return fmt.Errorf("drop indexes: %w", err)
			}
			if n > 0 {
				ci.analyzed = append(ci.analyzed, i.name)
			}
		}
		if _, err := ci.tx.ExecContext(ctx, `DROP INDEX `+quoteIdent(i.name)); err != nil {
			return fmt.Errorf("drop index %s: %w", i.name, err)
		}
		if n < len(idx) {
			ci.indexes = append(ci.indexes, i.sql)
		} else {
			ci.keyIndex = i.sql
		}
	}
	return nil
}

// suspendTriggers drops, for this transaction only, the triggers that
// refuse an insert over a taken id or key (migration 0006), to create them
// again in Finish. They guard against REPLACE and upserts, which the
// import never runs: it inserts new rows, and leaves out a row whose
// idempotency key is taken (INSERT OR IGNORE), which those triggers would
// refuse instead. Checking every row costs the import a third of its time
// besides. The trigger that keeps balances (migration 0012) goes too: an
// import adds its entries' sums itself, one statement per customer,
// currency and expiry rather than one per entry (see kept). Like the
// dropped indexes, they are back before Commit, and a rollback (or a
// killed process) brings them back with the rest, so no other connection
// ever sees the ledger without them.
func (ci *creditImport) suspendTriggers(ctx context.Context) error {
	type trigger struct{ name, sql string }
	var trs []trigger
	err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
		var t trigger
		if err := r.Scan(&t.name, &t.sql); err != nil {
			return err
		}
		trs = append(trs, t)
		return nil
	}, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('credits', 'credit_entries')
		AND (name LIKE '%\_insert\_only' ESCAPE '\' OR name = 'credit_entries_keep_balance') ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	ci.triggers = []string{}
	for _, t := range trs {
		if t.name == "credit_entries_keep_balance" {
			ci.kept = map[keptKey]int64{}
		}
		if _, err := ci.tx.ExecContext(ctx, `DROP TRIGGER `+quoteIdent(t.name)); err != nil {
			return fmt.Errorf("begin import: drop trigger %s: %w", t.name, err)
		}
		ci.triggers = append(ci.triggers, t.sql)
	}
	return nil
}

// restoreTriggers creates again the triggers suspendTriggers dropped.
func (ci *creditImport) restoreTriggers(ctx context.Context) error {
	for _, q := range ci.triggers {
		if _, err := ci.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("restore trigger: %w", err)
		}
	}
	ci.triggers = nil
	return nil
}

// buildIndexes builds the indexes dropIndexes dropped.
func (ci *creditImport) buildIndexes(ctx context.Context) error {
	for _, q := range ci.indexes {
		if _, err := ci.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("build index: %s: %w", q, err)
		}
	}
	for _, name := range ci.analyzed {
		if _, err := ci.tx.ExecContext(ctx, `ANALYZE `+quoteIdent(name)); err != nil {
			return fmt.Errorf("analyze %s: %w", name, err)
		}
	}
	ci.indexes, ci.analyzed = nil, nil
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// flush writes the pending rows.
func (ci *creditImport) flush(ctx context.Context) error {
	rows := ci.pending
	if len(rows) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The driver watches a cancellable context with a goroutine per
	// statement; cancellation was checked above instead.
	ctx = context.WithoutCancel(ctx)
	args := ci.args[:0]
	first := &rows[0].nc
	issued, expires := ci.times.format(first.IssuedAt), ci.expiry.formatPtr(first.ExpiresAt)
	same := true
	for i := 1; i < len(rows) && same; i++ {
		nc := &rows[i].nc
		same = nc.Currency == first.Currency && nc.Reason == first.Reason && nc.Note == first.Note &&
			ci.times.format(nc.IssuedAt) == issued && ci.expiry.formatPtr(nc.ExpiresAt) == expires
	}
	if same {
		args = append(args, first.Currency, first.Reason, first.Note, issued, expires)
		for i := range rows {
			nc := &rows[i].nc
			args = append(args, nc.Customer, nc.AmountMinor, nullString(nc.IdempotencyKey))
		}
	} else {
		for i := range rows {
			nc := &rows[i].nc
			args = append(args, nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note,
				ci.times.format(nc.IssuedAt), ci.expiry.formatPtr(nc.ExpiresAt), nullString(nc.IdempotencyKey))
		}
	}
	var (
		res sql.Result
		err error
	)
	switch {
	case same && len(rows) == importBatch:
		res, err = ci.insertConst.ExecContext(ctx, args...)
	case same:
		res, err = ci.tx.ExecContext(ctx, creditInsertConst(len(rows)), args...)
	case len(rows) == importBatch:
		res, err = ci.insert.ExecContext(ctx, args...)
	default:
		res, err = ci.tx.ExecContext(ctx, creditInsert(len(rows)), args...)
	}
	clear(args) // let the strings go
	ci.args = args
	if err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	if err := ci.ids(ctx, rows, res); err != nil {
		return err
	}
	for _, w := range ci.byID {
		ci.count(ctx, w.id, rows[w.row])
	}
	if err := ci.keep(ctx, false); err != nil {
		return err
	}
	for i, q := range rows {
		if ci.rowIDs[i] != 0 {
			continue
		}
		if err := ci.taken(ctx, q); err != nil {
			return err
		}
	}
	ci.pending = ci.pending[:0]
	return ci.lines.err
}

// ids finds the id each row of the batch was written with, from what the
// INSERT reports: how many rows it wrote (n) and the id of the last
// (last). The import does not take the ids after the largest it knew
// (maxID) to be its own; it checks. When last is maxID+n, the n rows
// written hold exactly the n ids after maxID, so no other writer's
// credit can be among them; and when every row was written, SQLite
// numbered them in the order of the VALUES, each one more than the
// largest before it (its rowid rule), so row i is maxID+1+i. When some
// rows were left out (their keys were taken), the range is read back
// with its keys and matched. And when the ids are not that one range (an
// engine with writers beside this one, or ids handed out out of order),
// the batch's credits are found as what they alone are: credits without
// their issue entry yet, which every other credit has, less those of the
// earlier batches (whose entries Finish writes).
func (ci *creditImport) ids(ctx context.Context, rows []queued, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	ids := ci.rowIDs[:len(rows)]
	clear(ids)
	ci.byID = ci.byID[:0]
	if n == 0 {
		return nil // every row's key was taken
	}
	last, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	switch {
	case last-ci.maxID == n && n == int64(len(rows)):
		for i := range rows {
			ids[i] = ci.maxID + 1 + int64(i)
			ci.byID = append(ci.byID, writtenRow{id: ids[i], row: i})
		}
	case last-ci.maxID == n:
		got, err := ci.tx.QueryContext(ctx, `SELECT id, idempotency_key FROM credits WHERE id BETWEEN ? AND ?`, ci.maxID+1, last)
		if err != nil {
			return fmt.Errorf("read back credits: %w", err)
		}
		if err := ci.match(rows, got, nil); err != nil {
			return err
		}
	default:
		got, err := ci.tx.QueryContext(ctx, `SELECT c.id, c.idempotency_key FROM credits c WHERE c.id > ?
			AND NOT EXISTS (SELECT 1 FROM credit_entries e WHERE e.credit_id = c.id AND e.kind = 'issue')`, ci.before)
		if err != nil {
			return fmt.Errorf("read back credits: %w", err)
		}
		if err := ci.match(rows, got, ci.ours); err != nil {
			return err
		}
		if len(ci.byID) > 0 {
			last = ci.byID[len(ci.byID)-1].id
		}
	}
	if int64(len(ci.byID)) != n {
		return fmt.Errorf("write credits: %d credits written, %d found", n, len(ci.byID))
	}
	ci.maxID = max(ci.maxID, last)
	return nil
}

// writtenRow is a pending row written as credit id.
type writtenRow struct {
	id  int64
	row int
}

// match reads the id and key of each credit the batch wrote (got, in
// any order) and gives each to its row: a row with a key gets the id read
// with its key (the first row of the batch with that key; a later one was
// left out), and the rows without a key, which are all written, take the
// other ids in ascending order. (Which of those goes to which keyless row
// matters to no one: they can be named by nothing but their id.) Credits
// known (if not nil) says are not the batch's are passed over. ci.byID
// lists the written rows by id.
func (ci *creditImport) match(rows []queued, got *sql.Rows, known func(int64) bool) error {
	defer got.Close()
	clear(ci.keyRow)
	ids := ci.rowIDs[:len(rows)]
	clear(ids)
	for i := range rows {
		if k := rows[i].nc.IdempotencyKey; k != "" {
			if _, ok := ci.keyRow[k]; !ok {
				ci.keyRow[k] = i
			}
		}
	}
	ci.unkeyed = ci.unkeyed[:0]
	for got.Next() {
		var (
			id  int64
			key sql.RawBytes
		)
		if err := got.Scan(&id, &key); err != nil {
			return fmt.Errorf("write credits: %w", err)
		}
		if known != nil && known(id) {
			continue // an earlier batch's
		}
		if key == nil {
			ci.unkeyed = append(ci.unkeyed, id)
			continue
		}
		i, ok := ci.keyRow[string(key)]
		if !ok || ids[i] != 0 {
			return fmt.Errorf("write credits: credit %d matches no row", id)
		}
		ids[i] = id
	}
	if err := got.Err(); err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	slices.Sort(ci.unkeyed)
	next := 0
	for i := range rows {
		if rows[i].nc.IdempotencyKey != "" {
			continue
		}
		if next == len(ci.unkeyed) {
			return fmt.Errorf("write credits: the credit from line %d was not written", rows[i].line)
		}
		ids[i] = ci.unkeyed[next]
		next++
	}
	if next != len(ci.unkeyed) {
		return fmt.Errorf("write credits: credit %d matches no row", ci.unkeyed[next])
	}
	ci.byID = ci.byID[:0]
	for i, id := range ids {
		if id != 0 {
			ci.byID = append(ci.byID, writtenRow{id: id, row: i})
		}
	}
	slices.SortFunc(ci.byID, func(a, b writtenRow) int { return cmp.Compare(a.id, b.id) })
	return nil
}

// idRange is credit ids lo to hi.
type idRange struct{ lo, hi int64 }

// ours reports whether the import wrote credit id.
func (ci *creditImport) ours(id int64) bool {
	i := sort.Search(len(ci.written), func(i int) bool { return ci.written[i].hi >= id })
	return i < len(ci.written) && ci.written[i].lo <= id
}

// writeEntries writes the issue entries of the credits the import wrote
// (ci.written), want of them: one INSERT … SELECT for each range of ids,
// which in SQLite is one for the whole file. Written once at the end
// rather than after each batch, they cost one statement where a batch
// paid one each: the statements on credit_entries keep a statement
// journal (its expression index, credit_entries_by_month, lets any of
// them fail half-way), which copies out every page a statement changes
// that was there before it, and each batch's statement changed the last
// pages of every index again.
func (ci *creditImport) writeEntries(ctx context.Context, want int64) error {
	var n int64
	for _, r := range ci.written {
		res, err := ci.entries.ExecContext(ctx, r.lo, r.hi)
		if err != nil {
			return fmt.Errorf("write credit entries: %w", err)
		}
		m, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("write credit entries: %w", err)
		}
		n += m
	}
	if n != want {
		return fmt.Errorf("write credit entries: %d written for %d credits", n, want)
	}
	return nil
}

// count counts the credit written with id for row q.
func (ci *creditImport) count(ctx context.Context, id int64, q queued) {
	ci.lines.add(ctx, ci.tx, id, q.line)
	if n := len(ci.written); n > 0 && ci.written[n-1].hi+1 == id {
		ci.written[n-1].hi = id
	} else {
		ci.written = append(ci.written, idRange{id, id})
	}
	ci.res.Issued++
	ci.res.Totals[q.nc.Currency] += q.nc.AmountMinor
	ci.perCurrency[q.nc.Currency]++
	if ci.kept != nil && q.nc.AmountMinor != 0 {
		expires, _ := ci.expiry.formatPtr(q.nc.ExpiresAt).(string)
		ci.kept[keptKey{q.nc.Customer, q.nc.Currency, expires}] += q.nc.AmountMinor
	}
}

// uncount takes back the count of credit c, written and then found
// already recorded (checkKeys).
func (ci *creditImport) uncount(c ledger.Credit) {
	ci.res.Issued--
	ci.res.Totals[c.Currency] -= c.AmountMinor
	if ci.perCurrency[c.Currency]--; ci.perCurrency[c.Currency] == 0 {
		delete(ci.res.Totals, c.Currency)
	}
	if ci.kept != nil && c.AmountMinor != 0 {
		expires, _ := fmtTimePtr(c.ExpiresAt).(string)
		ci.kept[keptKey{c.Customer, c.Currency, expires}] -= c.AmountMinor
	}
}

// keep adds the sums in ci.kept to the kept balances, and starts again;
// only when there are keptMax or more of them, unless all.
func (ci *creditImport) keep(ctx context.Context, all bool) error {
	if len(ci.kept) == 0 || !all && len(ci.kept) < keptMax {
		return nil
	}
	st, err := ci.tx.PrepareContext(ctx, keptUpsert)
	if err != nil {
		return fmt.Errorf("keep balances: %w", err)
	}
	defer st.Close()
	for k, amount := range ci.kept {
		if amount == 0 {
			continue
		}
		if _, err := st.ExecContext(ctx, k.customer, k.currency, k.expires, amount); err != nil {
			return fmt.Errorf("keep balances: %w", err)
		}
	}
	clear(ci.kept)
	return nil
}

// taken explains a row that was not written because its idempotency key
// is taken.
func (ci *creditImport) taken(ctx context.Context, q queued) error {
	nc := q.nc
	existing, err := keyedCredit(ctx, ci.tx, nc.IdempotencyKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("write credits: the credit from line %d was not written", q.line)
	case err != nil:
		return fmt.Errorf("look up idempotency key: %w", err)
	}
	first, ours, err := ci.lines.line(ctx, ci.tx, existing.ID)
	if err != nil {
		return err
	}
	if ours {
		// Written by this import from an earlier line.
		return ci.problem(ctx, problemRepeated, q.line, nc.IdempotencyKey, first, 0, "")
	}
	// Recorded before this import. A second line with the key is still a
	// repeat, though neither is written: remember which line came first.
	first, err = ci.firstUse(ctx, nc.IdempotencyKey, q.line)
	if err != nil {
		return err
	}
	if first > 0 {
		if err := ci.problem(ctx, problemRepeated, q.line, nc.IdempotencyKey, first, 0, ""); err != nil {
			return err
		}
	}
	if diff := stored(nc).Differences(existing); diff != "" {
		return ci.problem(ctx, problemConflict, q.line, nc.IdempotencyKey, 0, existing.ID, diff)
	}
	ci.res.AlreadyRecorded++
	return nil
}

// stored is nc as the ledger keeps it: times to the microsecond, in UTC.
// A row is "already recorded" when it would be stored as the credit
// under its key is, which checkKeys, reading both from the ledger, sees
// too.
func stored(nc ledger.NewCredit) ledger.NewCredit {
	if nc.ExpiresAt != nil {
		t := nc.ExpiresAt.UTC().Truncate(time.Microsecond)
		nc.ExpiresAt = &t
	}
	return nc
}

// checkKeys checks, as a set, the idempotency keys of an import that
// dropped the key's unique index (dropIndexes): from then on every row
// was written, so a key may now be in credits more than once. With
// write, it first builds the index again: when that succeeds, no key is
// there twice, and there is nothing else to check. Otherwise (or in a dry
// run) one query finds every key the ledger holds more than once, with
// its credits, and each is sorted out as the batches would have done it
// row by row with the index there (taken): a key used by an earlier line
// is a repeat, a key recorded before this import with other values is a
// conflict, and a row with the values recorded under its key is skipped.
// Skipped rows are taken out again (nothing refers to them yet, and no
// other connection has seen them), so that what is committed is what the
// row-by-row way commits.
func (ci *creditImport) checkKeys(ctx context.Context, write bool) error {
	if write {
		_, err := ci.tx.ExecContext(ctx, ci.keyIndex)
		if err == nil {
			ci.keyIndex = ""
			return nil
		}
		if !isUniqueViolation(err) {
			return fmt.Errorf("build index: %s: %w", ci.keyIndex, err)
		}
	}
	if _, err := ci.tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_skipped (id INTEGER PRIMARY KEY);
		DELETE FROM temp.import_skipped`); err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	if err := ci.problemTable(ctx); err != nil {
		return err
	}
	rows, err := ci.tx.QueryContext(ctx, `SELECT id, idempotency_key, customer_id, amount_minor, currency, reason, note,
		expires_at, incident_id, gesture FROM credits
		WHERE idempotency_key IN (SELECT idempotency_key FROM credits WHERE idempotency_key IS NOT NULL
			GROUP BY idempotency_key HAVING COUNT(*) > 1)
		ORDER BY idempotency_key, id`)
	if err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	defer rows.Close()
	var group []keyedRow
	for rows.Next() {
		var (
			r        keyedRow
			expires  sql.NullString
			incident sql.NullInt64
			gesture  sql.NullString
		)
		if err := rows.Scan(&r.c.ID, &r.c.IdempotencyKey, &r.c.Customer, &r.c.AmountMinor, &r.c.Currency, &r.c.Reason,
			&r.c.Note, &expires, &incident, &gesture); err != nil {
			return fmt.Errorf("check keys: %w", err)
		}
		r.c.IncidentID, r.c.Gesture = incident.Int64, gesture.String
		if r.c.ExpiresAt, err = parseTimePtr(expires); err != nil {
			return err
		}
		if len(group) > 0 && group[0].c.IdempotencyKey != r.c.IdempotencyKey {
			if err := ci.sortOut(ctx, group); err != nil {
				return err
			}
			group = group[:0]
		}
		group = append(group, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	if len(group) > 0 {
		if err := ci.sortOut(ctx, group); err != nil {
			return err
		}
	}
	rows.Close()
	if ci.problems > 0 {
		return nil // rolled back
	}
	if ci.skipped > 0 {
		if err := ci.removeSkipped(ctx); err != nil {
			return err
		}
	}
	if !write {
		return nil // a dry run: rolled back
	}
	if _, err := ci.tx.ExecContext(ctx, ci.keyIndex); err != nil {
		return fmt.Errorf("build index: %s: %w", ci.keyIndex, err)
	}
	ci.keyIndex = ""
	return nil
}

// keyedRow is a credit read by checkKeys, and the line it came from
// when the import wrote it.
type keyedRow struct {
	c    ledger.Credit
	line int
	ours bool
}

// sortOut sorts out the credits that share one idempotency key (group,
// in id order): at most one recorded before the import, the rest the
// import's own.
func (ci *creditImport) sortOut(ctx context.Context, group []keyedRow) error {
	var before *ledger.Credit
	ours := group[:0:0]
	for i := range group {
		r := &group[i]
		line, own, err := ci.lines.line(ctx, ci.tx, r.c.ID)
		if err != nil {
			return err
		}
		switch {
		case own:
			r.line, r.ours = line, true
			ours = append(ours, *r)
		case before != nil:
			return fmt.Errorf("check keys: credits %d and %d were both recorded with the idempotency key %q", before.ID, r.c.ID, r.c.IdempotencyKey)
		default:
			before = &r.c
		}
	}
	if len(ours) == 0 {
		return fmt.Errorf("check keys: the idempotency key %q is on %d credits, none of them this import's", group[0].c.IdempotencyKey, len(group))
	}
	slices.SortFunc(ours, func(a, b keyedRow) int { return cmp.Compare(a.line, b.line) })
	key := ours[0].c.IdempotencyKey
	for j, r := range ours {
		if j > 0 {
			if err := ci.problem(ctx, problemRepeated, r.line, key, ours[0].line, 0, ""); err != nil {
				return err
			}
		}
		if before == nil {
			continue // the first line's credit stands; the others are repeats
		}
		nc := ledger.NewCredit{Customer: r.c.Customer, AmountMinor: r.c.AmountMinor, Currency: r.c.Currency,
			Reason: r.c.Reason, Note: r.c.Note, ExpiresAt: r.c.ExpiresAt, IncidentID: r.c.IncidentID, Gesture: r.c.Gesture,
			IdempotencyKey: key}
		if diff := nc.Differences(*before); diff != "" {
			if err := ci.problem(ctx, problemConflict, r.line, key, 0, before.ID, diff); err != nil {
				return err
			}
			continue
		}
		ci.res.AlreadyRecorded++
		ci.skipped++
		ci.uncount(r.c)
		if _, err := ci.tx.ExecContext(ctx, `INSERT INTO temp.import_skipped (id) VALUES (?)`, r.c.ID); err != nil {
			return fmt.Errorf("check keys: %w", err)
		}
	}
	return nil
}

// removeSkipped takes out the credits checkKeys found already recorded,
// with the append-only delete trigger set aside for the statement: this
// transaction wrote those rows, no one else has seen them, and nothing
// refers to them yet (their issue entries come after, in Finish).
func (ci *creditImport) removeSkipped(ctx context.Context) error {
	var name, trigger string
	err := ci.tx.QueryRowContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'credits'
		AND name LIKE '%\_no\_delete' ESCAPE '\'`).Scan(&name, &trigger)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("skip recorded credits: %w", err)
	}
	if name != "" {
		if _, err := ci.tx.ExecContext(ctx, `DROP TRIGGER `+quoteIdent(name)); err != nil {
			return fmt.Errorf("skip recorded credits: %w", err)
		}
	}
	res, err := ci.tx.ExecContext(ctx, `DELETE FROM credits WHERE id IN (SELECT id FROM temp.import_skipped)`)
	if err != nil {
		return fmt.Errorf("skip recorded credits: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(ci.skipped) {
		return fmt.Errorf("skip recorded credits: %d of %d taken out (%v)", n, ci.skipped, err)
	}
	if name != "" {
		if _, err := ci.tx.ExecContext(ctx, trigger); err != nil {
			return fmt.Errorf("skip recorded credits: restore trigger: %w", err)
		}
	}
	return nil
}

// keyedCredit reads what differences compares of the credit recorded
// under key. Unlike creditByKey it reads credits alone, whose index on the
// key an import never drops.
func keyedCredit(ctx context.Context, tx *sql.Tx, key string) (ledger.Credit, error) {
	var (
		c        ledger.Credit
		expires  sql.NullString
		incident sql.NullInt64
		gesture  sql.NullString
	)
	err := tx.QueryRowContext(ctx, `SELECT id, customer_id, amount_minor, currency, reason, note, expires_at,
		incident_id, gesture FROM credits WHERE idempotency_key = ?`, key).
		Scan(&c.ID, &c.Customer, &c.AmountMinor, &c.Currency, &c.Reason, &c.Note, &expires, &incident, &gesture)
	if err != nil {
		return c, err
	}
	c.IdempotencyKey, c.IncidentID, c.Gesture = key, incident.Int64, gesture.String
	c.ExpiresAt, err = parseTimePtr(expires)
	return c, err
}

// The kinds of problem an import finds in idempotency keys, in the order
// they are reported.
const (
	problemRepeated = iota // a key used by an earlier line of the file
	problemConflict        // a key recorded before with other values
)

// problemTable makes the table problems wait in, once.
func (ci *creditImport) problemTable(ctx context.Context) error {
	if ci.problemsReady {
		return nil
	}
	if _, err := ci.tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_problems
		(kind INTEGER NOT NULL, line INTEGER NOT NULL, key TEXT NOT NULL, first_line INTEGER NOT NULL,
		credit_id INTEGER NOT NULL, diff TEXT NOT NULL); DELETE FROM temp.import_problems`); err != nil {
		return fmt.Errorf("record problem: %w", err)
	}
	ci.problemsReady = true
	return nil
}

// problem records a problem for Finish to report. They wait in a
// temporary table: a file can have a million of them.
func (ci *creditImport) problem(ctx context.Context, kind, line int, key string, first int, credit int64, diff string) error {
	if err := ci.problemTable(ctx); err != nil {
		return err
	}
	ci.problems++
	if _, err := ci.tx.ExecContext(ctx, `INSERT INTO temp.import_problems
		(kind, line, key, first_line, credit_id, diff) VALUES (?, ?, ?, ?, ?, ?)`,
		kind, line, key, first, credit, diff); err != nil {
		return fmt.Errorf("record problem: %w", err)
	}
	return nil
}

func (ci *creditImport) Finish(ctx context.Context, write bool, report func(int, error)) (ledger.ImportResult, error) {
	if err := ci.flush(ctx); err != nil {
		return ledger.ImportResult{}, err
	}
	if ci.keyIndex != "" {
		if err := ci.checkKeys(ctx, write); err != nil {
			return ledger.ImportResult{}, err
		}
	}
	if ci.problems > 0 {
		// Repeats first, then conflicts, each in the file's order.
		err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
			var (
				kind, line, first int
				key, diff         string
				credit            int64
			)
			if err := r.Scan(&kind, &line, &key, &first, &credit, &diff); err != nil {
				return err
			}
			if kind == problemRepeated {
				report(line, &ledger.DuplicateKeyError{What: "idempotency key", Key: key, FirstLine: first})
			} else {
				report(line, ledger.KeyConflict(key, credit, diff))
			}
			return nil
		}, `SELECT kind, line, key, first_line, credit_id, diff FROM temp.import_problems ORDER BY kind, line, rowid`)
		if err != nil {
			return ledger.ImportResult{}, fmt.Errorf("report problems: %w", err)
		}
		return ledger.ImportResult{AlreadyRecorded: ci.res.AlreadyRecorded, Totals: map[string]int64{}}, nil
	}
	// Without write (a dry run, or other rows were invalid) the credits
	// are written all the same, and rolled back with the transaction:
	// what would be issued is what was.
	if err := ci.writeEntries(ctx, int64(ci.res.Issued)); err != nil {
		return ledger.ImportResult{}, err
	}
	if err := ci.keep(ctx, true); err != nil {
		return ledger.ImportResult{}, err
	}
	if write {
		if err := ci.restoreTriggers(ctx); err != nil {
			return ledger.ImportResult{}, err
		}
		if err := ci.buildIndexes(ctx); err != nil {
			return ledger.ImportResult{}, err
		}
	}
	ci.wrote = write
	res := ci.res
	res.Totals = make(map[string]int64, len(ci.res.Totals))
	for cur, minor := range ci.res.Totals {
		res.Totals[cur] = minor
	}
	return res, nil
}

// Commit records the import and commits, if Finish wrote the credits.
func (ci *creditImport) Commit(ctx context.Context, rec ledger.Import) (ledger.Import, error) {
	if !ci.wrote || ci.triggers != nil || ci.indexes != nil || ci.keyIndex != "" {
		_ = ci.Rollback()
		return rec, errors.New("commit import: the credits were checked but not written")
	}
	return ci.batch.Commit(ctx, rec)
}

// timeCache formats the times of an import's rows, which are nearly
// always one issue time and one expiry for the whole file.
type timeCache struct {
	t    time.Time
	text string
}

func (c *timeCache) format(t time.Time) string {
	if c.text == "" || !t.Equal(c.t) || t.Location() != c.t.Location() {
		c.t, c.text = t, fmtTime(t)
	}
	return c.text
}

func (c *timeCache) formatPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.format(*t)
}

// lineRuns knows which credits an import wrote and the line each came
// from: for the message about a key repeated later in the file, and to
// tell the import's own credits from those recorded before it. Ids and
// lines mostly advance together, so it keeps runs of them (n credits with
// ids from id, from n lines from line); past maxRuns, or when an id comes
// below the runs kept, the runs move to a temporary table.
type lineRuns struct {
	runs []lineRun // in ascending id order, not overlapping
	// spilled is set once runs are in temp.import_lines.
	spilled bool
	err     error // from moving runs to the table
}

type lineRun struct{ id, line, n int64 }

const maxRuns = 4096

// add records credit id, written from line. Ids come in ascending order,
// as an engine's ids grow; one that does not is kept all the same.
func (r *lineRuns) add(ctx context.Context, tx *sql.Tx, id int64, line int) {
	if n := len(r.runs); n > 0 {
		last := &r.runs[n-1]
		if id == last.id+last.n && int64(line) == last.line+last.n {
			last.n++
			return
		}
		if id < last.id+last.n && r.err == nil {
			r.err = r.spill(ctx, tx)
		}
	}
	if len(r.runs) == maxRuns && r.err == nil {
		r.err = r.spill(ctx, tx)
	}
	r.runs = append(r.runs, lineRun{id: id, line: int64(line), n: 1})
}

func (r *lineRuns) spill(ctx context.Context, tx *sql.Tx) error {
	if !r.spilled {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_lines
			(id INTEGER PRIMARY KEY, line INTEGER NOT NULL, n INTEGER NOT NULL); DELETE FROM temp.import_lines`); err != nil {
			return fmt.Errorf("remember lines: %w", err)
		}
		r.spilled = true
	}
	for _, run := range r.runs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO temp.import_lines (id, line, n) VALUES (?, ?, ?)`, run.id, run.line, run.n); err != nil {
			return fmt.Errorf("remember lines: %w", err)
		}
	}
	r.runs = r.runs[:0]
	return nil
}

// line is the line credit id was written from; ours is false when this
// import did not write it.
func (r *lineRuns) line(ctx context.Context, tx *sql.Tx, id int64) (line int, ours bool, err error) {
	if i := sort.Search(len(r.runs), func(i int) bool { return r.runs[i].id > id }) - 1; i >= 0 {
		if run := r.runs[i]; id < run.id+run.n {
			return int(run.line + id - run.id), true, nil
		}
	}
	if !r.spilled {
		return 0, false, nil
	}
	var run lineRun
	err = tx.QueryRowContext(ctx, `SELECT id, line, n FROM temp.import_lines WHERE id <= ? ORDER BY id DESC LIMIT 1`, id).
		Scan(&run.id, &run.line, &run.n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("find line of credit %d: %w", id, err)
	case id >= run.id+run.n:
		return 0, false, nil
	}
	return int(run.line + id - run.id), true, nil
}

// eachRow runs q and calls fn for every row.
func eachRow(ctx context.Context, tx *sql.Tx, fn func(*sql.Rows) error, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
