package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/makegood/makegood/internal/ledger"
)

// importCacheSize bounds how many customers a credit import remembers. A
// file usually names far fewer customers than rows; when it names more, the
// cache starts over rather than grow with the file.
const importCacheSize = 4096

// importCachePages is the page cache, in KiB (SQLite's negative
// cache_size), for the connection running an import: large enough that the
// indexes' hot pages stay in memory, small enough to keep a million-row
// import under 64 MiB of resident memory.
const importCachePages = -6 << 10

// importTempCachePages is the cache for the staged rows and the sort that
// finds repeated keys.
const importTempCachePages = -1 << 10

// batch is one import's transaction. The keys seen in the file live in a
// temporary table, on disk beside the connection, so duplicate detection
// takes no memory per row.
type batch struct {
	tx       *sql.Tx
	done     bool
	seen     *sql.Stmt
	seenLine *sql.Stmt
	stmts    []*sql.Stmt
}

func (s *SQLite) beginBatch(ctx context.Context) (*batch, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	b := &batch{tx: tx}
	for _, q := range []string{
		fmt.Sprintf("PRAGMA main.cache_size = %d", importCachePages),
		// Staged rows go to a temporary file, not memory: a million of
		// them would not fit the budget.
		"PRAGMA temp_store = FILE",
		fmt.Sprintf("PRAGMA temp.cache_size = %d", importTempCachePages),
		`CREATE TEMP TABLE IF NOT EXISTS import_keys (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID`,
		`DROP INDEX IF EXISTS temp.import_credits_key`,
		`DELETE FROM temp.import_keys`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	if b.seen, err = b.prepare(ctx, `INSERT INTO temp.import_keys (key, line) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`); err != nil {
		return nil, err
	}
	if b.seenLine, err = b.prepare(ctx, `SELECT line FROM temp.import_keys WHERE key = ?`); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *batch) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := b.tx.PrepareContext(ctx, q)
	if err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("prepare import: %w", err)
	}
	b.stmts = append(b.stmts, st)
	return st, nil
}

// firstUse remembers key for line and returns 0, or returns the line that
// used key first.
func (b *batch) firstUse(ctx context.Context, key string, line int) (int, error) {
	res, err := b.seen.ExecContext(ctx, key, line)
	if err != nil {
		return 0, fmt.Errorf("remember key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return 0, err
	}
	var first int
	if err := b.seenLine.QueryRowContext(ctx, key).Scan(&first); err != nil {
		return 0, fmt.Errorf("look up key: %w", err)
	}
	return first, nil
}

// PreviousImport finds the latest import of kind with this hash.
func (b *batch) PreviousImport(ctx context.Context, kind, sha string) (*ledger.Import, error) {
	rows, err := b.tx.QueryContext(ctx, `SELECT `+importColumns+` FROM imports
		WHERE kind = ? AND sha256 = ? ORDER BY id DESC LIMIT 1`, kind, sha)
	if err != nil {
		return nil, fmt.Errorf("look up earlier imports: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	imp, err := scanImport(rows)
	if err != nil {
		return nil, err
	}
	return &imp, rows.Close()
}

// Commit records the import and commits.
func (b *batch) Commit(ctx context.Context, rec ledger.Import) (ledger.Import, error) {
	if b.done {
		return rec, errors.New("import already finished")
	}
	res, err := b.tx.ExecContext(ctx, `INSERT INTO imports
		(kind, at, sha256, source, rows, written, already_recorded, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rec.Kind, fmtTime(rec.At), rec.SHA256, rec.Source, rec.Rows, rec.Written, rec.AlreadyRecorded, rec.Operator)
	if err != nil {
		_ = b.Rollback()
		return rec, fmt.Errorf("record import: %w", err)
	}
	if rec.ID, err = res.LastInsertId(); err != nil {
		_ = b.Rollback()
		return rec, fmt.Errorf("record import: %w", err)
	}
	b.close()
	// The keys are no use after the import; dropping them frees the
	// temporary file now rather than when the connection closes.
	if _, err := b.tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.import_keys; DROP TABLE IF EXISTS temp.import_credits`); err != nil {
		_ = b.Rollback()
		return rec, fmt.Errorf("finish import: %w", err)
	}
	b.done = true
	if err := b.tx.Commit(); err != nil {
		return rec, fmt.Errorf("commit import: %w", err)
	}
	return rec, nil
}

// Rollback abandons the import; after Commit it does nothing.
func (b *batch) Rollback() error {
	if b.done {
		return nil
	}
	b.done = true
	b.close()
	if err := b.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back import: %w", err)
	}
	return nil
}

func (b *batch) close() {
	for _, st := range b.stmts {
		_ = st.Close()
	}
	b.stmts = nil
}

// stageBatch is how many rows one INSERT stages: the per-statement cost
// of database/sql is paid once per batch instead of once per row.
const stageBatch = 100

// stageColumns are the staged row's columns, in insert order.
const stageColumns = 8

// creditImport stages a credit file's rows in a temporary table, then
// checks and writes them with a few set-based statements.
type creditImport struct {
	*batch
	customer, stage *sql.Stmt
	known           map[string]string // customer id -> currency
	pending         []any
	staged          int
	issuedAt        string // one time for the whole file
}

var _ ledger.CreditImport = (*creditImport)(nil)

// BeginCreditImport starts a credit import's transaction.
func (s *SQLite) BeginCreditImport(ctx context.Context) (ledger.CreditImport, error) {
	b, err := s.beginBatch(ctx)
	if err != nil {
		return nil, err
	}
	// The line is the rowid, so staging appends and the credits are
	// written in the file's order.
	if _, err := b.tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_credits (
		line INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, amount_minor INTEGER NOT NULL,
		currency TEXT NOT NULL, reason TEXT NOT NULL, note TEXT NOT NULL, expires_at TEXT, key TEXT)`); err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	if _, err := b.tx.ExecContext(ctx, `DELETE FROM temp.import_credits`); err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	ci := &creditImport{batch: b, known: make(map[string]string), pending: make([]any, 0, stageBatch*stageColumns)}
	if ci.customer, err = b.prepare(ctx, `SELECT currency FROM customers WHERE id = ?`); err != nil {
		return nil, err
	}
	if ci.stage, err = b.prepare(ctx, stageInsert(stageBatch)); err != nil {
		return nil, err
	}
	return ci, nil
}

func stageInsert(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", stageColumns), ", ") + ")"
	return `INSERT INTO temp.import_credits (line, customer_id, amount_minor, currency, reason, note, expires_at, key) VALUES ` +
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
	ci.issuedAt = fmtTime(nc.IssuedAt)
	ci.pending = append(ci.pending, line, nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note,
		fmtTimePtr(nc.ExpiresAt), nullString(nc.IdempotencyKey))
	if len(ci.pending) == cap(ci.pending) {
		return ci.flush(ctx)
	}
	return nil
}

func (ci *creditImport) flush(ctx context.Context) error {
	if len(ci.pending) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The driver watches a cancellable context with a goroutine per
	// statement; cancellation was checked above instead.
	ctx = context.WithoutCancel(ctx)
	var err error
	if len(ci.pending) == cap(ci.pending) {
		_, err = ci.stage.ExecContext(ctx, ci.pending...)
	} else {
		_, err = ci.tx.ExecContext(ctx, stageInsert(len(ci.pending)/stageColumns), ci.pending...)
	}
	if err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	ci.staged += len(ci.pending) / stageColumns
	ci.pending = ci.pending[:0]
	return nil
}

func (ci *creditImport) Finish(ctx context.Context, write bool, report func(int, error)) (ledger.ImportResult, error) {
	res := ledger.ImportResult{Totals: map[string]int64{}}
	if err := ci.flush(ctx); err != nil {
		return res, err
	}
	tx := ci.tx
	// A key used twice in the file: one sort of the staged keys.
	if _, err := tx.ExecContext(ctx, `CREATE INDEX temp.import_credits_key ON import_credits (key, line) WHERE key IS NOT NULL`); err != nil {
		return res, fmt.Errorf("index staged keys: %w", err)
	}
	problems := 0
	err := eachRow(ctx, tx, func(r *sql.Rows) error {
		var (
			line, first int
			key         string
		)
		if err := r.Scan(&line, &key, &first); err != nil {
			return err
		}
		problems++
		report(line, &ledger.DuplicateKeyError{What: "idempotency key", Key: key, FirstLine: first})
		return nil
	}, `SELECT r.line, r.key, (SELECT MIN(f.line) FROM import_credits f WHERE f.key = r.key) AS first
		FROM import_credits r WHERE r.key IS NOT NULL AND first < r.line ORDER BY r.line`)
	if err != nil {
		return res, fmt.Errorf("find repeated keys: %w", err)
	}
	// Keys the ledger has already: the same values are skipped, others
	// are conflicts.
	err = eachRow(ctx, tx, func(r *sql.Rows) error {
		var (
			line    int
			expires sql.NullString
			nc      ledger.NewCredit
		)
		if err := r.Scan(&line, &nc.Customer, &nc.AmountMinor, &nc.Currency, &nc.Reason, &nc.Note, &expires, &nc.IdempotencyKey); err != nil {
			return err
		}
		var err error
		if nc.ExpiresAt, err = parseTimePtr(expires); err != nil {
			return err
		}
		existing, err := creditByKey(ctx, tx, nc.IdempotencyKey)
		if err != nil {
			return fmt.Errorf("look up idempotency key: %w", err)
		}
		if diff := differences(existing, nc); diff != "" {
			problems++
			report(line, ledger.Conflictf("idempotency key %q was already used for credit %d with a different %s",
				nc.IdempotencyKey, existing.ID, diff))
			return nil
		}
		res.AlreadyRecorded++
		return nil
	}, `SELECT r.line, r.customer_id, r.amount_minor, r.currency, r.reason, r.note, r.expires_at, r.key
		FROM import_credits r JOIN credits c ON c.idempotency_key = r.key ORDER BY r.line`)
	if err != nil {
		return res, fmt.Errorf("find recorded keys: %w", err)
	}
	if problems > 0 {
		return res, nil
	}
	if !write {
		// What would be issued: the rows whose keys are new.
		err = eachRow(ctx, tx, func(r *sql.Rows) error { return scanTotal(&res, r) },
			`SELECT currency, COUNT(*), SUM(amount_minor) FROM import_credits r
			WHERE r.key IS NULL OR NOT EXISTS (SELECT 1 FROM credits c WHERE c.idempotency_key = r.key)
			GROUP BY currency`)
		return res, err
	}
	var before int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM credits`).Scan(&before); err != nil {
		return res, fmt.Errorf("write credits: %w", err)
	}
	// Rows whose key is recorded (checked above to hold the same values)
	// are the only conflicts; "WHERE true" lets SQLite parse the upsert.
	if _, err := tx.ExecContext(ctx, `INSERT INTO credits
		(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key)
		SELECT customer_id, amount_minor, currency, reason, note, ?, expires_at, key FROM import_credits
		WHERE true ORDER BY line
		ON CONFLICT (idempotency_key) DO NOTHING`, ci.issuedAt); err != nil {
		return res, fmt.Errorf("write credits: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO credit_entries
		(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
		SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credits
		WHERE id > ? ORDER BY id`, before); err != nil {
		return res, fmt.Errorf("write credit entries: %w", err)
	}
	err = eachRow(ctx, tx, func(r *sql.Rows) error { return scanTotal(&res, r) },
		`SELECT currency, COUNT(*), SUM(amount_minor) FROM credits WHERE id > ? GROUP BY currency`, before)
	return res, err
}

// scanTotal adds one (currency, count, sum) row to res.
func scanTotal(res *ledger.ImportResult, r *sql.Rows) error {
	var (
		cur   string
		n     int
		minor int64
	)
	if err := r.Scan(&cur, &n, &minor); err != nil {
		return err
	}
	res.Issued += n
	res.Totals[cur] += minor
	return nil
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

// customerImport writes one customer file.
type customerImport struct {
	*batch
	get, insert, update *sql.Stmt
}

var _ ledger.CustomerImport = (*customerImport)(nil)

// BeginCustomerImport starts a customer import's transaction.
func (s *SQLite) BeginCustomerImport(ctx context.Context) (ledger.CustomerImport, error) {
	b, err := s.beginBatch(ctx)
	if err != nil {
		return nil, err
	}
	ci := &customerImport{batch: b}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&ci.get, `SELECT ` + customerColumns + ` FROM customers WHERE id = ?`},
		{&ci.insert, `INSERT INTO customers (` + customerColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&ci.update, `UPDATE customers SET name = ?, email = ?, plan = ?, price_minor = ?, currency = ?,
			period = ?, since = ?, locale = ?, tags = ?, advocate = ?, updated_at = ? WHERE id = ?`},
	} {
		if *p.st, err = b.prepare(ctx, p.q); err != nil {
			return nil, err
		}
	}
	return ci, nil
}

func (ci *customerImport) Customer(ctx context.Context, id string) (ledger.Customer, bool, error) {
	c, err := scanCustomer(ci.get.QueryRowContext(ctx, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ledger.Customer{}, false, nil
	case err != nil:
		return ledger.Customer{}, false, fmt.Errorf("look up customer %q: %w", id, err)
	}
	return c, true, nil
}

func (ci *customerImport) Claim(ctx context.Context, line int, id string) error {
	first, err := ci.firstUse(ctx, id, line)
	if err != nil {
		return err
	}
	if first > 0 {
		return &ledger.DuplicateKeyError{What: "customer id", Key: id, FirstLine: first}
	}
	return nil
}

func (ci *customerImport) Put(ctx context.Context, c ledger.Customer, create bool) error {
	tags, err := encodeTags(c.Tags)
	if err != nil {
		return err
	}
	if create {
		_, err = ci.insert.ExecContext(ctx, c.ID, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency,
			periodOrDefault(c.Period), fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt))
	} else {
		_, err = ci.update.ExecContext(ctx, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency,
			periodOrDefault(c.Period), fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.UpdatedAt), c.ID)
	}
	if err != nil {
		return fmt.Errorf("write customer %q: %w", c.ID, err)
	}
	return nil
}

const importColumns = `id, kind, at, sha256, source, rows, written, already_recorded, operator`

// Imports lists recorded imports, newest first.
func (s *SQLite) Imports(ctx context.Context) ([]ledger.Import, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+importColumns+` FROM imports ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []ledger.Import
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, rows.Err()
}

func scanImport(r scanner) (ledger.Import, error) {
	var (
		imp ledger.Import
		at  string
		err error
	)
	if err = r.Scan(&imp.ID, &imp.Kind, &at, &imp.SHA256, &imp.Source, &imp.Rows, &imp.Written,
		&imp.AlreadyRecorded, &imp.Operator); err != nil {
		return imp, fmt.Errorf("read import: %w", err)
	}
	imp.At, err = parseTime(at)
	return imp, err
}

func encodeTags(tags []string) (string, error) {
	b, err := json.Marshal(nonNilTags(tags))
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}
