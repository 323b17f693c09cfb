package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
// credits just written and are counted, and a row left out must be one
// whose idempotency key is taken, which sortOut then explains.
type creditImport struct {
	*batch
	customer, insert, entries *sql.Stmt
	known                     map[string]string // customer id -> currency

	before int64 // the last credit id before this import
	last   int64 // the last credit id written

	pending []queued
	args    []any
	times   timeCache
	lines   lineRuns

	// issued is, per currency, what the ledger held before the import
	// (exactly, or an upper bound while one is enough: see
	// checkCurrencyTotal) plus what the import has added, so that the
	// bound on a currency's total costs a row a map look-up.
	issued map[string]*currencyTotal

	res      ledger.ImportResult
	problems int  // idempotency-key problems recorded in temp.import_problems
	wrote    bool // Finish wrote the credits and found no problem

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
}

// currencyTotal is what a currency's credits add up to, during an import.
type currencyTotal struct {
	before int64 // the ledger's, before the import
	exact  bool  // before is the sum; otherwise an upper bound
	added  int64 // this import's rows so far
}

// queued is a row waiting for its batch.
type queued struct {
	line int
	nc   ledger.NewCredit
}

var _ ledger.CreditImport = (*creditImport)(nil)

// BeginCreditImport starts a credit import's transaction.
func (s *SQLite) BeginCreditImport(ctx context.Context) (ledger.CreditImport, error) {
	b, err := s.beginBatch(ctx, batchOptions{noForeignKeys: true})
	if err != nil {
		return nil, err
	}
	ci := &creditImport{batch: b, known: make(map[string]string), rebuildMin: s.rebuildMin,
		pending: make([]queued, 0, importBatch), args: make([]any, 0, importBatch*creditColumns),
		issued: map[string]*currencyTotal{}, res: ledger.ImportResult{Totals: map[string]int64{}}}
	// The transaction holds the write lock from BEGIN, so the ids after
	// this one are the import's.
	if err := b.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM credits`).Scan(&ci.before); err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	ci.last = ci.before
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
	if ci.entries, err = b.prepare(ctx, `INSERT OR IGNORE INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credits
		WHERE id > ? ORDER BY id`); err != nil {
		return nil, err
	}
	return ci, nil
}

// creditInsert writes n credits; a row whose idempotency key is taken is
// left out.
func creditInsert(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", creditColumns), ", ") + ")"
	return `INSERT OR IGNORE INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

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
		return atLine(line, err)
	}
	if nc.Compensation || nc.Budget != nil {
		return errors.New("import: compensations and budgets are issued one by one")
	}
	if err := ci.countTotal(ctx, line, nc); err != nil {
		return err
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

// countTotal adds a row to its currency's running total, refusing the row
// that would take the total past the ledger's bound. The ledger's part is
// first bounded by its credits' ids, as for a credit issued alone, and
// summed only if that bound is not enough.
func (ci *creditImport) countTotal(ctx context.Context, line int, nc ledger.NewCredit) error {
	if nc.Gesture != "" {
		return nil
	}
	t := ci.issued[nc.Currency]
	if t == nil {
		rowMax, err := ledger.MaxAmountMinor(nc.Currency)
		if err != nil {
			return atLine(line, &ledger.FieldError{Field: "currency", Err: err})
		}
		t = &currencyTotal{}
		if ci.before > 0 {
			var lo int64
			if err := ci.tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 1) FROM credits`).Scan(&lo); err != nil {
				return fmt.Errorf("count credits: %w", err)
			}
			span := ci.before - lo + 1
			if span > ledger.MaxCurrencyTotalMinor/rowMax {
				t.before = ledger.MaxCurrencyTotalMinor // unknown: sum when it matters
			} else {
				t.before = span * rowMax
			}
		} else {
			t.exact = true
		}
		ci.issued[nc.Currency] = t
	}
	err := ledger.CheckCurrencyTotal("amount", nc.Currency, t.before+t.added, nc.AmountMinor)
	if err != nil && !t.exact {
		if t.before, err = issuedIn(ctx, ci.tx, nc.Currency, ci.before); err != nil {
			return err
		}
		t.exact = true
		err = ledger.CheckCurrencyTotal("amount", nc.Currency, t.before+t.added, nc.AmountMinor)
	}
	if err != nil {
		return atLine(line, err)
	}
	t.added += nc.AmountMinor
	return nil
}

// atLine puts a row's line on a field error.
func atLine(line int, err error) error {
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		return &ledger.FieldError{Line: line, Field: fe.Field, Err: fe.Err}
	}
	return err
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
	var stat int
	if err := ci.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'`).Scan(&stat); err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	ci.indexes = []string{}
	if _, err := ci.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA main.cache_size = %d", rebuildCachePages)); err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	for _, i := range idx {
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
		ci.indexes = append(ci.indexes, i.sql)
	}
	return nil
}

// suspendTriggers drops, for this transaction only, the triggers that
// refuse an insert over a taken id or key (migration 0006), to create them
// again in Finish. They guard against REPLACE and upserts, which the
// import never runs: it inserts new rows, and leaves out a row whose
// idempotency key is taken (INSERT OR IGNORE), which those triggers would
// refuse instead. Checking every row costs the import a third of its time
// besides. Like the dropped indexes, they are back before Commit, and a
// rollback (or a killed process) brings them back with the rest, so no
// other connection ever sees the ledger without them.
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
		AND name LIKE '%\_insert\_only' ESCAPE '\' ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	ci.triggers = []string{}
	for _, t := range trs {
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
	for i := range rows {
		nc := &rows[i].nc
		args = append(args, nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note,
			ci.times.format(nc.IssuedAt), ci.times.formatPtr(nc.ExpiresAt), nullString(nc.IdempotencyKey))
	}
	var (
		res sql.Result
		err error
	)
	if len(rows) == importBatch {
		res, err = ci.insert.ExecContext(ctx, args...)
	} else {
		res, err = ci.tx.ExecContext(ctx, creditInsert(len(rows)), args...)
	}
	clear(args) // let the strings go
	ci.args = args
	if err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write credits: %w", err)
	}
	first := ci.last + 1
	if err := ci.writeEntries(ctx, n); err != nil {
		return err
	}
	if n == int64(len(rows)) {
		for i := range rows {
			ci.count(ctx, first+int64(i), rows[i])
		}
	} else if err := ci.sortOut(ctx, first, rows); err != nil {
		return err
	}
	ci.pending = ci.pending[:0]
	return ci.lines.err
}

// writeEntries writes the issue entries of the n credits after ci.last.
func (ci *creditImport) writeEntries(ctx context.Context, n int64) error {
	if n == 0 {
		return nil
	}
	res, err := ci.entries.ExecContext(ctx, ci.last)
	if err != nil {
		return fmt.Errorf("write credit entries: %w", err)
	}
	if m, err := res.RowsAffected(); err != nil || m != n {
		return fmt.Errorf("write credit entries: %d of %d written (%v)", m, n, err)
	}
	ci.last += n
	return nil
}

// count counts the credit written with id for row q.
func (ci *creditImport) count(ctx context.Context, id int64, q queued) {
	ci.lines.add(ctx, ci.tx, id, q.line)
	ci.res.Issued++
	ci.res.Totals[q.nc.Currency] += q.nc.AmountMinor
}

// sortOut finds which of rows were written, with ids from first on in
// order, and explains each of the others.
func (ci *creditImport) sortOut(ctx context.Context, first int64, rows []queued) error {
	type credit struct {
		id  int64
		key sql.NullString
	}
	var got []credit
	err := eachRow(ctx, ci.tx, func(r *sql.Rows) error {
		var c credit
		if err := r.Scan(&c.id, &c.key); err != nil {
			return err
		}
		got = append(got, c)
		return nil
	}, `SELECT id, idempotency_key FROM credits WHERE id >= ? ORDER BY id`, first)
	if err != nil {
		return fmt.Errorf("read back credits: %w", err)
	}
	for _, q := range rows {
		if len(got) > 0 && got[0].key.String == q.nc.IdempotencyKey {
			ci.count(ctx, got[0].id, q)
			got = got[1:]
			continue
		}
		if q.nc.IdempotencyKey == "" {
			return fmt.Errorf("write credits: the credit from line %d was not written", q.line)
		}
		if err := ci.taken(ctx, q); err != nil {
			return err
		}
	}
	if len(got) > 0 {
		return fmt.Errorf("write credits: credit %d matches no row", got[0].id)
	}
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
	case existing.ID > ci.before:
		// Written by this import from an earlier line.
		first, err := ci.lines.line(ctx, ci.tx, existing.ID)
		if err != nil {
			return err
		}
		return ci.problem(ctx, problemRepeated, q.line, nc.IdempotencyKey, first, 0, "")
	}
	// Recorded before this import. A second line with the key is still a
	// repeat, though neither is written: remember which line came first.
	first, err := ci.firstUse(ctx, nc.IdempotencyKey, q.line)
	if err != nil {
		return err
	}
	if first > 0 {
		if err := ci.problem(ctx, problemRepeated, q.line, nc.IdempotencyKey, first, 0, ""); err != nil {
			return err
		}
	}
	if diff := nc.Differences(existing); diff != "" {
		return ci.problem(ctx, problemConflict, q.line, nc.IdempotencyKey, 0, existing.ID, diff)
	}
	ci.res.AlreadyRecorded++
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

// problem records a problem for Finish to report. They wait in a
// temporary table: a file can have a million of them.
func (ci *creditImport) problem(ctx context.Context, kind, line int, key string, first int, credit int64, diff string) error {
	if ci.problems == 0 {
		if _, err := ci.tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_problems
			(kind INTEGER NOT NULL, line INTEGER NOT NULL, key TEXT NOT NULL, first_line INTEGER NOT NULL,
			credit_id INTEGER NOT NULL, diff TEXT NOT NULL); DELETE FROM temp.import_problems`); err != nil {
			return fmt.Errorf("record problem: %w", err)
		}
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
		}, `SELECT kind, line, key, first_line, credit_id, diff FROM temp.import_problems ORDER BY kind, rowid`)
		if err != nil {
			return ledger.ImportResult{}, fmt.Errorf("report problems: %w", err)
		}
		return ledger.ImportResult{AlreadyRecorded: ci.res.AlreadyRecorded, Totals: map[string]int64{}}, nil
	}
	// Without write (a dry run, or other rows were invalid) the credits
	// are written all the same, and rolled back with the transaction:
	// what would be issued is what was.
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
	if !ci.wrote || ci.triggers != nil || ci.indexes != nil {
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
	return fmtTime(*t)
}

// lineRuns maps the credits an import wrote back to the lines they came
// from, for the message about a key repeated later in the file. Ids and
// lines mostly advance together, so it keeps only where a run of them
// starts; past maxRuns the runs move to a temporary table.
type lineRuns struct {
	ids, lines []int64
	err        error // from moving runs to the table
}

const maxRuns = 4096

func (r *lineRuns) add(ctx context.Context, tx *sql.Tx, id int64, line int) {
	if n := len(r.ids); n > 0 && id-r.ids[n-1] == int64(line)-r.lines[n-1] {
		return
	}
	if len(r.ids) == maxRuns && r.err == nil {
		r.err = r.spill(ctx, tx)
	}
	r.ids = append(r.ids, id)
	r.lines = append(r.lines, int64(line))
}

func (r *lineRuns) spill(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_lines
		(id INTEGER PRIMARY KEY, line INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("remember lines: %w", err)
	}
	for i := range r.ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO temp.import_lines (id, line) VALUES (?, ?)`, r.ids[i], r.lines[i]); err != nil {
			return fmt.Errorf("remember lines: %w", err)
		}
	}
	r.ids, r.lines = r.ids[:0], r.lines[:0]
	return nil
}

// line is the line credit id was written from.
func (r *lineRuns) line(ctx context.Context, tx *sql.Tx, id int64) (int, error) {
	if len(r.ids) > 0 && id >= r.ids[0] {
		i := sort.Search(len(r.ids), func(i int) bool { return r.ids[i] > id }) - 1
		return int(r.lines[i] + id - r.ids[i]), nil
	}
	var start, line int64
	err := tx.QueryRowContext(ctx, `SELECT id, line FROM temp.import_lines WHERE id <= ? ORDER BY id DESC LIMIT 1`, id).Scan(&start, &line)
	if err != nil {
		return 0, fmt.Errorf("find line of credit %d: %w", id, err)
	}
	return int(line + id - start), nil
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
