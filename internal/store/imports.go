package store

import (
	"context"
	"database/sql"
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
// cache_size), for the connection running an import: large enough that the
// indexes' hot pages stay in memory, small enough to keep a million-row
// import under 64 MiB of resident memory.
const importCachePages = -24 << 10

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
		fmt.Sprintf("PRAGMA cache_size = %d", importCachePages),
		`CREATE TEMP TABLE IF NOT EXISTS import_keys (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID`,
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
	if _, err := b.tx.ExecContext(ctx, `DROP TABLE temp.import_keys`); err != nil {
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

// creditImport writes one credit file with statements prepared once.
type creditImport struct {
	*batch
	customer, insert, entry, byKey *sql.Stmt
	known                          map[string]string // customer id -> currency
}

var _ ledger.CreditImport = (*creditImport)(nil)

// BeginCreditImport starts a credit import's transaction.
func (s *SQLite) BeginCreditImport(ctx context.Context) (ledger.CreditImport, error) {
	b, err := s.beginBatch(ctx)
	if err != nil {
		return nil, err
	}
	ci := &creditImport{batch: b, known: make(map[string]string)}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&ci.customer, `SELECT currency FROM customers WHERE id = ?`},
		{&ci.insert, `INSERT INTO credits
			(customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`},
		{&ci.entry, `INSERT INTO credit_entries
			(credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
			VALUES (?, ?, ?, ?, 'issue', ?, ?)`},
		{&ci.byKey, creditSelect + ` WHERE c.idempotency_key = ?`},
	} {
		if *p.st, err = b.prepare(ctx, p.q); err != nil {
			return nil, err
		}
	}
	return ci, nil
}

func (ci *creditImport) Customer(ctx context.Context, id string) (bool, string, error) {
	if cur, ok := ci.known[id]; ok {
		return true, cur, nil
	}
	var cur string
	err := ci.customer.QueryRowContext(ctx, id).Scan(&cur)
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

func (ci *creditImport) Issue(ctx context.Context, line int, nc ledger.NewCredit, write bool) (bool, error) {
	if nc.IdempotencyKey != "" {
		first, err := ci.firstUse(ctx, nc.IdempotencyKey, line)
		if err != nil {
			return false, err
		}
		if first > 0 {
			return false, &ledger.DuplicateKeyError{What: "idempotency key", Key: nc.IdempotencyKey, FirstLine: first}
		}
		if !write {
			return ci.recorded(ctx, nc)
		}
	}
	if !write {
		return true, nil
	}
	res, err := ci.insert.ExecContext(ctx, nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note,
		fmtTime(nc.IssuedAt), fmtTimePtr(nc.ExpiresAt), nullString(nc.IdempotencyKey))
	if err != nil {
		return false, fmt.Errorf("insert credit: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("insert credit: %w", err)
	} else if n == 0 {
		// Only the idempotency key can conflict: the key is recorded.
		return ci.recorded(ctx, nc)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return false, fmt.Errorf("insert credit: %w", err)
	}
	if _, err := ci.entry.ExecContext(ctx, id, nc.Customer, nc.Currency, fmtTimePtr(nc.ExpiresAt),
		nc.AmountMinor, fmtTime(nc.IssuedAt)); err != nil {
		return false, fmt.Errorf("insert credit entry: %w", err)
	}
	return true, nil
}

// recorded compares nc with the credit already recorded under its key:
// created is true when there is none.
func (ci *creditImport) recorded(ctx context.Context, nc ledger.NewCredit) (bool, error) {
	existing, err := scanCredit(ci.byKey.QueryRowContext(ctx, nc.IdempotencyKey))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if diff := differences(existing, nc); diff != "" {
		return false, ledger.Conflictf("idempotency key %q was already used for credit %d with a different %s",
			nc.IdempotencyKey, existing.ID, diff)
	}
	return false, nil
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

func (ci *customerImport) Put(ctx context.Context, line int, c ledger.Customer, create, write bool) error {
	first, err := ci.firstUse(ctx, c.ID, line)
	if err != nil {
		return err
	}
	if first > 0 {
		return &ledger.DuplicateKeyError{What: "customer id", Key: c.ID, FirstLine: first}
	}
	if !write {
		return nil
	}
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
