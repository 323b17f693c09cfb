package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// copyBatch is how many rows the import holds in memory before it streams
// them to the server with COPY: memory stays flat however long the file,
// and each COPY is large enough that its round trip costs nothing.
const copyBatch = 8192

// importCacheSize bounds how many customers a credit import remembers. A
// file usually names far fewer customers than rows; when it names more, the
// cache starts over rather than grow with the file.
const importCacheSize = 4096

// creditImport writes a credit file as a set. Rows are checked one by one
// as they are added (Add), then streamed with COPY into a temporary
// staging table, temp.import_rows; Finish checks them against each other
// and the ledger and writes them with one statement, all or nothing:
//
//   - each row is numbered in the file's order from the credits' own
//     sequence: keyless rows, and for each idempotency key the first line
//     using it, unless the key is recorded already;
//   - the numbered rows go into credits (in key order, so that imports
//     sharing keys never wait for each other in a circle) and their issue
//     entries into credit_entries; a key another writer committed since
//     is refused there, and the writing is done again from a savepoint
//     without it;
//   - a key used by an earlier line is a problem naming both lines; a key
//     recorded before the import (or by another writer during it) is
//     skipped and counted if its credit has the row's values, and a
//     problem naming what differs if not.
//
// New customers wait in temp.import_customers and are written, in id
// order, just before the credits, for the same reason as the key order.
type creditImport struct {
	*batch
	known map[string]string // customer id -> currency

	pending []queued
	// totals bound what each currency's credits add up to.
	totals ledger.ImportTotals
	wrote  bool // Finish wrote the credits and found no problem
	rows   int  // rows staged so far
}

// queued is a row waiting for its COPY.
type queued struct {
	line int
	nc   ledger.NewCredit
}

var _ ledger.CreditImport = (*creditImport)(nil)

// importRowColumns are temp.import_rows' columns, in COPY order.
var importRowColumns = []string{"line", "customer_id", "amount_minor", "currency", "reason", "note",
	"issued_at", "expires_at", "idempotency_key"}

// BeginCreditImport starts a credit import's transaction.
func (s *Ledger) BeginCreditImport(ctx context.Context) (ledger.CreditImport, error) {
	b, err := s.beginBatch(ctx)
	if err != nil {
		return nil, err
	}
	ci := &creditImport{batch: b, known: make(map[string]string), pending: make([]queued, 0, copyBatch)}
	for _, q := range []string{
		`CREATE TEMP TABLE import_rows (
			line            bigint NOT NULL,
			customer_id     text COLLATE "C" NOT NULL,
			amount_minor    bigint NOT NULL,
			currency        text COLLATE "C" NOT NULL,
			reason          text COLLATE "C" NOT NULL,
			note            text COLLATE "C" NOT NULL,
			issued_at       timestamptz NOT NULL,
			expires_at      timestamptz,
			idempotency_key text COLLATE "C") ON COMMIT DROP`,
		`CREATE TEMP TABLE import_customers (LIKE customers INCLUDING DEFAULTS, PRIMARY KEY (id)) ON COMMIT DROP`,
	} {
		if _, err := b.tx.Exec(ctx, q); err != nil {
			_ = b.Rollback()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	var before int64 // the last credit id before this import
	if err := b.tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM credits`).Scan(&before); err != nil {
		_ = b.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	ci.totals = ledger.NewImportTotals(before)
	return ci, nil
}

func (ci *creditImport) Customer(ctx context.Context, cid string) (bool, string, error) {
	if cur, ok := ci.known[cid]; ok {
		return true, cur, nil
	}
	var cur string
	err := ci.tx.QueryRow(ctx, `SELECT currency FROM customers WHERE id = $1
		UNION ALL SELECT currency FROM import_customers WHERE id = $1 LIMIT 1`, cid).Scan(&cur)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("look up customer: %w", err)
	}
	ci.remember(cid, cur)
	return true, cur, nil
}

func (ci *creditImport) remember(cid, currency string) {
	if len(ci.known) >= importCacheSize {
		clear(ci.known)
	}
	ci.known[cid] = currency
}

// AddCustomer stages a customer the ledger does not know yet; it is
// written with the credits, in Finish. One that another writer added
// since the caller looked (another import of the same new customers) is
// taken as it is, as the import would have found it had it run after.
func (ci *creditImport) AddCustomer(ctx context.Context, c ledger.Customer) error {
	if known, _, err := ci.Customer(ctx, c.ID); err != nil || known {
		return err
	}
	args, err := customerArgs(c)
	if err != nil {
		return err
	}
	if _, err := ci.tx.Exec(ctx, `INSERT INTO import_customers (`+customerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, args...); err != nil {
		return fmt.Errorf("add customer %q: %w", c.ID, err)
	}
	ci.remember(c.ID, c.Currency)
	return nil
}

func (ci *creditImport) Add(ctx context.Context, line int, nc ledger.NewCredit) error {
	if err := nc.Validate(); err != nil {
		return ledger.AtLine(line, err)
	}
	if nc.Compensation || nc.Budget != nil || nc.IncidentID != 0 || nc.Gesture != "" {
		return errors.New("import: compensations, budgets, gestures and incidents are issued one by one")
	}
	if err := ci.totals.Count(ctx, nc, ci); err != nil {
		return ledger.AtLine(line, err)
	}
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
	if len(ci.pending) < cap(ci.pending) {
		return nil
	}
	return ci.flush(ctx)
}

// LowestCreditID is for ledger.ImportTotals.
func (ci *creditImport) LowestCreditID(ctx context.Context) (int64, error) {
	var lo int64
	if err := ci.tx.QueryRow(ctx, `SELECT COALESCE(MIN(id), 1) FROM credits`).Scan(&lo); err != nil {
		return 0, fmt.Errorf("count credits: %w", err)
	}
	return lo, nil
}

// IssuedBefore is for ledger.ImportTotals: everything in the currency,
// less what the import has written of it (nothing yet: it writes everything in Finish).
func (ci *creditImport) IssuedBefore(ctx context.Context, currency string) (int64, error) {
	all, err := issuedIn(ctx, ci.tx, currency)
	return all, err
}

// flush streams the pending rows into the staging table.
func (ci *creditImport) flush(ctx context.Context) error {
	rows := ci.pending
	if len(rows) == 0 {
		return nil
	}
	n, err := ci.tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, importRowColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		nc := &rows[i].nc
		return []any{int64(rows[i].line), nc.Customer, nc.AmountMinor, nc.Currency, nc.Reason, nc.Note,
			utc(nc.IssuedAt), utcPtr(nc.ExpiresAt), nullString(nc.IdempotencyKey)}, nil
	}))
	if err != nil {
		return fmt.Errorf("stage credits: %w", err)
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("stage credits: %d of %d rows copied", n, len(rows))
	}
	ci.rows += len(rows)
	clear(rows) // let the strings go
	ci.pending = ci.pending[:0]
	return nil
}

// The statements of Finish. import_recorded holds the lines whose key
// names a credit the ledger holds already, found once; candidates are the
// lines to write: keyless ones, and the first line using each key not
// recorded.
const (
	findRecorded = `CREATE TEMP TABLE import_recorded ON COMMIT DROP AS
		SELECT r.line, c.id AS credit_id FROM import_rows r JOIN credits c ON c.idempotency_key = r.idempotency_key`
	// findMoreRecorded adds the lines whose key another writer committed
	// since findRecorded.
	findMoreRecorded = `INSERT INTO import_recorded SELECT r.line, c.id FROM import_rows r
		JOIN credits c ON c.idempotency_key = r.idempotency_key
		WHERE NOT EXISTS (SELECT 1 FROM import_recorded k WHERE k.line = r.line)`
	candidates = `SELECT r.line FROM (
			SELECT line, idempotency_key, line = min(line) OVER (PARTITION BY idempotency_key) AS first
			FROM import_rows) r
		WHERE r.idempotency_key IS NULL
			OR (r.first AND NOT EXISTS (SELECT 1 FROM import_recorded k WHERE k.line = r.line))`
	// numberRows gives each candidate the id it takes: in the file's
	// order (the ORDER BY is in the subquery, so nextval is called on rows
	// already in order).
	numberRows = `CREATE TEMP TABLE import_numbered ON COMMIT DROP AS
		SELECT nextval($1::regclass) AS id, line FROM (` + candidates + ` ORDER BY r.line) ordered`
	// wouldWrite is what a check without writing would issue, per currency.
	wouldWrite = `SELECT i.currency, COUNT(*), SUM(i.amount_minor)::bigint
		FROM import_rows i JOIN (` + candidates + `) c ON c.line = i.line GROUP BY i.currency`
	writeCustomers = `INSERT INTO customers (` + customerColumns + `)
		SELECT ` + customerColumns + ` FROM import_customers ORDER BY id ON CONFLICT (id) DO NOTHING`
	// writeCredits writes the credits and their issue entries in one
	// statement and sums what it wrote per currency. A plain INSERT: a key
	// another writer holds is waited for and, once it commits, refused,
	// and Finish runs the writing again without it (an ON CONFLICT clause
	// would do that row by row, for every row, at a fifth of the cost of
	// the whole write).
	writeCredits = `WITH credit AS (
			INSERT INTO credits (id, customer_id, amount_minor, currency, reason, note, issued_at, expires_at, idempotency_key)
			SELECT n.id, r.customer_id, r.amount_minor, r.currency, r.reason, r.note, r.issued_at, r.expires_at, r.idempotency_key
			FROM import_numbered n JOIN import_rows r ON r.line = n.line
			ORDER BY r.idempotency_key NULLS LAST, n.id
			RETURNING id, customer_id, currency, expires_at, amount_minor, issued_at),
		entry AS (
			INSERT INTO credit_entries (credit_id, customer_id, currency, expires_at, kind, amount_minor, at)
			SELECT id, customer_id, currency, expires_at, 'issue', amount_minor, issued_at FROM credit ORDER BY id
			RETURNING currency, amount_minor)
		SELECT currency, COUNT(*), SUM(amount_minor)::bigint FROM entry GROUP BY currency`
	// repeatedKeys are the lines using a key an earlier line used.
	repeatedKeys = `SELECT line, idempotency_key, first FROM (
			SELECT line, idempotency_key, min(line) OVER (PARTITION BY idempotency_key) AS first
			FROM import_rows WHERE idempotency_key IS NOT NULL) r
		WHERE line > first ORDER BY line`
	// recordedKeys are the lines whose key is recorded, with the values
	// of the row and of the credit.
	recordedKeys = `SELECT r.line, r.customer_id, r.amount_minor, r.currency, r.reason, r.note, r.expires_at, r.idempotency_key,
			c.id, c.customer_id, c.amount_minor, c.currency, c.reason, c.note, c.expires_at, c.incident_id, c.gesture
		FROM import_recorded k JOIN import_rows r ON r.line = k.line JOIN credits c ON c.id = k.credit_id
		ORDER BY r.line`
)

// maxWriteAttempts bounds how often Finish writes again after a key it
// was writing was committed by another writer meanwhile, or a deadlock.
const maxWriteAttempts = 8

// Finish checks the staged rows as a set, then writes them. Problems are
// reported repeats first, then keys recorded with other values, each in
// the file's order; with any, nothing is written and no id is taken from
// the credits' sequence (a sequence does not roll back, and ids should
// not jump after a refused file). Without write (a dry run, or other rows
// were invalid) nothing is written either, and the result is what would
// be.
func (ci *creditImport) Finish(ctx context.Context, write bool, report func(int, error)) (ledger.ImportResult, error) {
	if err := ci.flush(ctx); err != nil {
		return ledger.ImportResult{}, err
	}
	// Temporary tables are never analyzed by autovacuum: without this the
	// planner takes the staged rows for a handful.
	for _, q := range []string{`ANALYZE import_rows`, findRecorded} {
		if _, err := ci.tx.Exec(ctx, q); err != nil {
			return ledger.ImportResult{}, fmt.Errorf("check credits: %w", err)
		}
	}
	problems := 0
	err := eachRow(ctx, ci.tx, repeatedKeys, nil, func(r pgx.Rows) error {
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
	})
	if err != nil {
		return ledger.ImportResult{}, fmt.Errorf("check keys: %w", err)
	}
	res := ledger.ImportResult{Totals: map[string]int64{}}
	if err := ci.classify(ctx, &res, &problems, report); err != nil {
		return ledger.ImportResult{}, err
	}
	if problems > 0 {
		return ledger.ImportResult{AlreadyRecorded: res.AlreadyRecorded, Totals: map[string]int64{}}, nil
	}
	if !write {
		if err := ci.sums(ctx, wouldWrite, nil, &res, false); err != nil {
			return ledger.ImportResult{}, fmt.Errorf("check credits: %w", err)
		}
		return res, nil
	}
	var seq string
	if err := ci.tx.QueryRow(ctx, `SELECT pg_get_serial_sequence('credits', 'id')`).Scan(&seq); err != nil {
		return ledger.ImportResult{}, fmt.Errorf("write credits: %w", err)
	}
	for attempt := 1; ; attempt++ {
		err := ci.write(ctx, seq, &res)
		if err == nil {
			break
		}
		if !(isUniqueViolation(err, "credits_idempotency_key_key") || isDeadlock(err)) || attempt == maxWriteAttempts {
			return ledger.ImportResult{}, fmt.Errorf("write credits: %w", err)
		}
		// Another writer committed a key of the file since it was looked
		// up, or PostgreSQL gave the writing up to let another go on (a
		// transaction that writes entries of several customers one
		// statement at a time, in an order of its own, can hold a kept
		// balance this writing waits for while waiting for one the
		// writing holds: migration 0012): back to before the writing,
		// which lets go of what it locked, take in what others wrote, and
		// check those lines as ones recorded before.
		if _, err := ci.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT import_write`); err != nil {
			return ledger.ImportResult{}, fmt.Errorf("write credits: %w", err)
		}
		if _, err := ci.tx.Exec(ctx, findMoreRecorded); err != nil {
			return ledger.ImportResult{}, fmt.Errorf("check credits: %w", err)
		}
		res = ledger.ImportResult{Totals: map[string]int64{}}
		if err := ci.classify(ctx, &res, &problems, report); err != nil {
			return ledger.ImportResult{}, err
		}
		if problems > 0 {
			return ledger.ImportResult{AlreadyRecorded: res.AlreadyRecorded, Totals: map[string]int64{}}, nil
		}
	}
	ci.wrote = true
	out := res
	out.Totals = make(map[string]int64, len(res.Totals))
	for cur, minor := range res.Totals {
		out.Totals[cur] = minor
	}
	return out, nil
}

// write numbers the candidates and writes them, with their new
// customers, after a savepoint that a refused key rolls back to.
func (ci *creditImport) write(ctx context.Context, seq string, res *ledger.ImportResult) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SAVEPOINT import_write`, nil},
		{numberRows, []any{seq}},
		{`ALTER TABLE import_numbered ADD PRIMARY KEY (id)`, nil},
		{writeCustomers, nil},
	} {
		if _, err := ci.tx.Exec(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	if err := ci.sums(ctx, writeCredits, nil, res, true); err != nil {
		return err
	}
	_, err := ci.tx.Exec(ctx, `RELEASE SAVEPOINT import_write`)
	return err
}

// sums adds to res the credits query counts and sums per currency; with
// written, they are the transaction's own (checkTotals checks them).
func (ci *creditImport) sums(ctx context.Context, query string, args []any, res *ledger.ImportResult, written bool) error {
	return eachRow(ctx, ci.tx, query, args, func(r pgx.Rows) error {
		var (
			cur      string
			n, minor int64
		)
		if err := r.Scan(&cur, &n, &minor); err != nil {
			return err
		}
		res.Issued += int(n)
		res.Totals[cur] += minor
		if written {
			ci.tx.issuedIn(cur)
		}
		return nil
	})
}

// classify compares each line whose key is recorded with the credit it
// names: the same values are a line already recorded (counted in res),
// others a problem naming what differs.
func (ci *creditImport) classify(ctx context.Context, res *ledger.ImportResult, problems *int, report func(int, error)) error {
	err := eachRow(ctx, ci.tx, recordedKeys, nil, func(r pgx.Rows) error {
		var (
			line     int
			nc       ledger.NewCredit
			existing ledger.Credit
			key      *string
			incident *int64
			gesture  *string
		)
		if err := r.Scan(&line, &nc.Customer, &nc.AmountMinor, &nc.Currency, &nc.Reason, &nc.Note, &nc.ExpiresAt, &key,
			&existing.ID, &existing.Customer, &existing.AmountMinor, &existing.Currency, &existing.Reason, &existing.Note,
			&existing.ExpiresAt, &incident, &gesture); err != nil {
			return err
		}
		nc.IdempotencyKey = deref(key)
		existing.IncidentID, existing.Gesture = deref(incident), deref(gesture)
		if diff := nc.Differences(existing); diff != "" {
			*problems++
			report(line, ledger.KeyConflict(nc.IdempotencyKey, existing.ID, diff))
			return nil
		}
		res.AlreadyRecorded++
		return nil
	})
	if err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	return nil
}

// Commit records the import and commits, if Finish wrote the credits.
func (ci *creditImport) Commit(ctx context.Context, rec ledger.Import) (ledger.Import, error) {
	if !ci.wrote {
		_ = ci.Rollback()
		return rec, errors.New("commit import: the credits were checked but not written")
	}
	return ci.batch.Commit(ctx, rec)
}

// isDeadlock reports a statement PostgreSQL gave up to break a deadlock.
func isDeadlock(err error) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == "40P01"
}

// eachRow runs q and calls fn for every row.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
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
