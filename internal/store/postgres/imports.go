package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
)

// batch is one import's transaction. Its bookkeeping (rows read, keys
// seen) lives in temporary tables of the transaction's connection,
// dropped with it, so a long file costs the process no memory per row.
type batch struct {
	tx   *wtx
	done bool
	// keys is set once temp.import_keys exists (customer imports).
	keys bool
}

func (s *Ledger) beginBatch(ctx context.Context) (*batch, error) {
	t, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	return &batch{tx: &wtx{Tx: t}}, nil
}

// firstUse remembers key for line and returns 0, or returns the line that
// used key first.
func (b *batch) firstUse(ctx context.Context, key string, line int) (int, error) {
	if !b.keys {
		if _, err := b.tx.Exec(ctx, `CREATE TEMP TABLE import_keys
			(key text COLLATE "C" PRIMARY KEY, line bigint NOT NULL) ON COMMIT DROP`); err != nil {
			return 0, fmt.Errorf("remember keys: %w", err)
		}
		b.keys = true
	}
	tag, err := b.tx.Exec(ctx, `INSERT INTO import_keys (key, line) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, line)
	if err != nil {
		return 0, fmt.Errorf("remember key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return 0, nil
	}
	var first int
	if err := b.tx.QueryRow(ctx, `SELECT line FROM import_keys WHERE key = $1`, key).Scan(&first); err != nil {
		return 0, fmt.Errorf("look up key: %w", err)
	}
	return first, nil
}

// PreviousImport finds the latest import of kind with this hash. The
// file's lock is taken first and held to the commit: of two imports of
// the same bytes at once, the second finds the first's record, as it
// would have had it run after.
func (b *batch) PreviousImport(ctx context.Context, kind, sha string) (*ledger.Import, error) {
	if err := lock(ctx, b.tx, lockImportFile, kind, sha); err != nil {
		return nil, err
	}
	imps, err := queryAll(ctx, b.tx, "look up earlier imports", `SELECT `+importColumns+` FROM imports
		WHERE kind = $1 AND sha256 = $2 ORDER BY id DESC LIMIT 1`, []any{kind, sha}, scanImport)
	if err != nil || len(imps) == 0 {
		return nil, err
	}
	return &imps[0], nil
}

// Commit records the import and commits.
func (b *batch) Commit(ctx context.Context, rec ledger.Import) (ledger.Import, error) {
	if b.done {
		return rec, errors.New("import already finished")
	}
	if err := b.tx.QueryRow(ctx, `INSERT INTO imports
		(kind, at, sha256, source, rows, written, already_recorded, operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		rec.Kind, utc(rec.At), rec.SHA256, rec.Source, rec.Rows, rec.Written, rec.AlreadyRecorded, rec.Operator).Scan(&rec.ID); err != nil {
		_ = b.Rollback()
		return rec, fmt.Errorf("record import: %w", err)
	}
	if err := b.tx.checkTotals(ctx); err != nil {
		_ = b.Rollback()
		return rec, err
	}
	b.done = true
	if err := b.tx.Commit(ctx); err != nil {
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
	if err := b.tx.Rollback(context.Background()); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("roll back import: %w", err)
	}
	return nil
}

// customerImport writes one customer file.
type customerImport struct {
	*batch
}

var _ ledger.CustomerImport = (*customerImport)(nil)

// BeginCustomerImport starts a customer import's transaction.
func (s *Ledger) BeginCustomerImport(ctx context.Context) (ledger.CustomerImport, error) {
	b, err := s.beginBatch(ctx)
	if err != nil {
		return nil, err
	}
	return &customerImport{batch: b}, nil
}

func (ci *customerImport) Customer(ctx context.Context, cid string) (ledger.Customer, bool, error) {
	c, err := customerByID(ctx, ci.tx, cid)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return ledger.Customer{}, false, nil
	case err != nil:
		return ledger.Customer{}, false, fmt.Errorf("look up customer %q: %w", cid, err)
	}
	return c, true, nil
}

func (ci *customerImport) Claim(ctx context.Context, line int, cid string) error {
	first, err := ci.firstUse(ctx, cid, line)
	if err != nil {
		return err
	}
	if first > 0 {
		return &ledger.DuplicateKeyError{What: "customer id", Key: cid, FirstLine: first}
	}
	return nil
}

// Put creates or replaces c. A customer the file creates that another
// writer created meanwhile is replaced as if it had been there (customers
// are the one table that may be edited), as the import would have done
// had it run after that writer.
func (ci *customerImport) Put(ctx context.Context, c ledger.Customer, create bool) error {
	// A refused Stripe id is a conflict the import goes on past, but a
	// refused statement aborts a PostgreSQL transaction: the write that
	// can be refused runs after a savepoint it can go back to.
	guarded := c.StripeID != ""
	if guarded {
		if _, err := ci.tx.Exec(ctx, `SAVEPOINT customer_put`); err != nil {
			return fmt.Errorf("write customer %q: %w", c.ID, err)
		}
	}
	err := ci.put(ctx, c, create)
	if guarded && isUniqueViolation(err, "customers_by_stripe_id") {
		if _, rerr := ci.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT customer_put`); rerr != nil {
			return fmt.Errorf("write customer %q: %w", c.ID, rerr)
		}
		return ledger.Conflictf("another customer has Stripe id %s already", c.StripeID)
	}
	if err != nil {
		return fmt.Errorf("write customer %q: %w", c.ID, err)
	}
	if guarded {
		if _, err := ci.tx.Exec(ctx, `RELEASE SAVEPOINT customer_put`); err != nil {
			return fmt.Errorf("write customer %q: %w", c.ID, err)
		}
	}
	return nil
}

func (ci *customerImport) put(ctx context.Context, c ledger.Customer, create bool) error {
	var err error
	if create {
		args, aerr := customerArgs(c)
		if aerr != nil {
			return aerr
		}
		_, err = ci.tx.Exec(ctx, `INSERT INTO customers (`+customerColumns+`, stripe_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, plan = EXCLUDED.plan,
			price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency, period = EXCLUDED.period,
			since = EXCLUDED.since, locale = EXCLUDED.locale, tags = EXCLUDED.tags, advocate = EXCLUDED.advocate,
			updated_at = EXCLUDED.updated_at, stripe_id = EXCLUDED.stripe_id`, append(args, nullString(c.StripeID))...)
	} else {
		args, aerr := updateArgs(c)
		if aerr != nil {
			return aerr
		}
		_, err = ci.tx.Exec(ctx, updateCustomerWithStripeID, append(args, nullString(c.StripeID))...)
	}
	return err
}

// updateCustomerWithStripeID is updateCustomer that sets the Stripe id
// too: an import carries it, an edit (customer update) leaves it to
// stripe push's linking.
const updateCustomerWithStripeID = `UPDATE customers SET name = $2, email = $3, plan = $4, price_minor = $5, currency = $6,
	period = $7, since = $8, locale = $9, tags = $10, advocate = $11, updated_at = $12, stripe_id = $13 WHERE id = $1`

const importColumns = `id, kind, at, sha256, source, rows, written, already_recorded, operator`

// Imports lists recorded imports, newest first.
func (s *Ledger) Imports(ctx context.Context) ([]ledger.Import, error) {
	return queryAll(ctx, s.pool, "list imports", `SELECT `+importColumns+` FROM imports ORDER BY id DESC`, nil, scanImport)
}

func scanImport(r scanner) (ledger.Import, error) {
	var imp ledger.Import
	if err := r.Scan(&imp.ID, &imp.Kind, &imp.At, &imp.SHA256, &imp.Source, &imp.Rows, &imp.Written,
		&imp.AlreadyRecorded, &imp.Operator); err != nil {
		return imp, fmt.Errorf("read import: %w", err)
	}
	return imp, nil
}
