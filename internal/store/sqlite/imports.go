package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/makegood/makegood/internal/ledger"
)

// importCacheSize bounds how many customers a credit import remembers. A
// file usually names far fewer customers than rows; when it names more, the
// cache starts over rather than grow with the file.
const importCacheSize = 4096

// importCachePages is the page cache, in KiB (SQLite's negative
// cache_size), for the connection running an import: large enough that
// the hot pages of the indexes, one or two for each customer, mostly stay
// in memory until an import big enough to be worth it drops those indexes
// (see creditImport.dropIndexes); small enough that, with the allocator's
// rounding (each 4 KiB page takes 8 KiB), a million-row import into a
// ledger of a million stays near 50 MiB of resident memory, under the 64
// MiB budget.
const importCachePages = -8 << 10

// rebuildCachePages is the page cache once an import has dropped the
// indexes (see creditImport.dropIndexes): the tables are written at their
// ends, and SQLite's sorter, which builds the indexes again, takes as much
// memory as the cache for each run it sorts.
const rebuildCachePages = -3 << 10

// importTempCachePages is the cache for the temporary tables an import
// keeps its bookkeeping in.
const importTempCachePages = -1 << 10

// batch is one import's transaction, on a connection of its own so that
// its settings stay with it. The keys seen in the file live in a temporary
// table, on disk beside the connection, so duplicate detection takes no
// memory per row.
type batch struct {
	conn     *sql.Conn
	tx       *sql.Tx
	done     bool
	seen     *sql.Stmt
	seenLine *sql.Stmt
	stmts    []*sql.Stmt
	// restore puts the connection's settings back after the transaction.
	restore []string
}

// batchOptions are what an import needs of its connection.
type batchOptions struct {
	// noForeignKeys turns SQLite's foreign key checks off for the
	// transaction: the import checks the references itself. A checked
	// reference makes SQLite journal every page a multi-row statement
	// touches, so that it can undo the statement alone.
	noForeignKeys bool
}

func (s *Ledger) beginBatch(ctx context.Context, o batchOptions) (*batch, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	b := &batch{conn: conn}
	var cache int
	if err := conn.QueryRowContext(ctx, "PRAGMA main.cache_size").Scan(&cache); err != nil {
		b.release()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	b.restore = append(b.restore, fmt.Sprintf("PRAGMA main.cache_size = %d", cache))
	if o.noForeignKeys {
		// Only outside a transaction does this take effect.
		b.restore = append(b.restore, "PRAGMA foreign_keys = ON")
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			b.release()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	// Temporary tables go to a file, not memory: a million keys would
	// not fit the budget. Set outside the transaction: SQLite refuses to
	// change it inside one once the connection's temporary database is
	// open.
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		b.release()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	if b.tx, err = conn.BeginTx(ctx, nil); err != nil {
		b.release()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	for _, q := range []string{
		fmt.Sprintf("PRAGMA main.cache_size = %d", importCachePages),
		fmt.Sprintf("PRAGMA temp.cache_size = %d", importTempCachePages),
	} {
		if _, err := b.tx.ExecContext(ctx, q); err != nil {
			_ = b.Rollback()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	return b, nil
}

// release gives the connection back to the pool with its settings as they
// were, or closes it if they cannot be restored.
func (b *batch) release() {
	ctx := context.Background()
	for _, q := range b.restore {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			_ = b.conn.Raw(func(any) error { return driver.ErrBadConn })
			break
		}
	}
	_ = b.conn.Close()
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
	if b.seen == nil {
		if _, err := b.tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_keys
			(key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID; DELETE FROM temp.import_keys`); err != nil {
			return 0, fmt.Errorf("remember keys: %w", err)
		}
		var err error
		if b.seen, err = b.prepare(ctx, `INSERT INTO temp.import_keys (key, line) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`); err != nil {
			return 0, err
		}
		if b.seenLine, err = b.prepare(ctx, `SELECT line FROM temp.import_keys WHERE key = ?`); err != nil {
			return 0, err
		}
	}
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
	if _, err := b.tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.import_keys;
		DROP TABLE IF EXISTS temp.import_problems; DROP TABLE IF EXISTS temp.import_lines;
		DROP TABLE IF EXISTS temp.import_skipped`); err != nil {
		_ = b.Rollback()
		return rec, fmt.Errorf("finish import: %w", err)
	}
	b.done = true
	defer b.release()
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
	defer b.release()
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

// customerImport writes one customer file.
type customerImport struct {
	*batch
	get, insert, update *sql.Stmt
}

var _ ledger.CustomerImport = (*customerImport)(nil)

// BeginCustomerImport starts a customer import's transaction.
func (s *Ledger) BeginCustomerImport(ctx context.Context) (ledger.CustomerImport, error) {
	b, err := s.beginBatch(ctx, batchOptions{})
	if err != nil {
		return nil, err
	}
	ci := &customerImport{batch: b}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&ci.get, `SELECT ` + customerSelectColumns + ` FROM customers WHERE id = ?`},
		{&ci.insert, `INSERT INTO customers (` + customerColumns + `, stripe_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&ci.update, `UPDATE customers SET name = ?, email = ?, plan = ?, price_minor = ?, currency = ?,
			period = ?, since = ?, locale = ?, tags = ?, advocate = ?, updated_at = ?, stripe_id = ? WHERE id = ?`},
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
			periodOrDefault(c.Period), fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt),
			nullString(c.StripeID))
	} else {
		_, err = ci.update.ExecContext(ctx, c.Name, c.Email, c.Plan, c.PriceMinor, c.Currency,
			periodOrDefault(c.Period), fmtDate(c.Since), c.Locale, tags, c.Advocate, fmtTime(c.UpdatedAt), nullString(c.StripeID), c.ID)
	}
	if isUniqueViolation(err) && c.StripeID != "" {
		return ledger.Conflictf("another customer has Stripe id %s already", c.StripeID)
	}
	if err != nil {
		return fmt.Errorf("write customer %q: %w", c.ID, err)
	}
	return nil
}

const importColumns = `id, kind, at, sha256, source, rows, written, already_recorded, operator`

// Imports lists recorded imports, newest first.
func (s *Ledger) Imports(ctx context.Context) ([]ledger.Import, error) {
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
