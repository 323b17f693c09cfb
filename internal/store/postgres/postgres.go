// Package postgres is makegood's PostgreSQL storage engine, for a ledger
// several people and machines share: opening it, its migrations and
// every query. All of its SQL lives in this package; internal/store picks
// it from a postgres:// or postgresql:// --db.
//
// It talks to PostgreSQL with pgx's own interface (pgxpool), not through
// database/sql: the bulk import streams rows with COPY (pgx CopyFrom),
// which database/sql cannot reach, and pgx's pool is then the only one,
// instead of database/sql's pool over pgx's connections.
//
// Concurrency. SQLite lets one writer in at a time, so whatever a write
// transaction reads stays true until it commits. PostgreSQL runs writers
// side by side (READ COMMITTED), so each write that decides from what it
// reads (is there a void already, how much remains, is this key or case
// taken, how much of the budget is left) first takes a transaction-level
// advisory lock on what it decides about (see locks.go): a credit, a key,
// a customer's compensation for an incident, a message, a currency's
// budget. Writers of different things go on at once; writers of the same
// thing queue, and the second reads what the first wrote. Advisory locks
// rather than SELECT … FOR UPDATE, because FOR UPDATE needs the UPDATE
// privilege, which an application role on an append-only ledger does not
// have (README, "Teams: PostgreSQL"). The constraints stay as the last
// word: a unique key refuses what a lock did not keep out.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/makegood/makegood/internal/ledger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Ledger is a ledger.Store backed by a PostgreSQL database (the tables in
// the first schema of the connection's search_path, public by default).
type Ledger struct {
	pool *pgxpool.Pool
	name string // the URL without its password, for messages
}

var _ ledger.Store = (*Ledger)(nil)

// Open connects to the ledger at dsn (a postgres:// URL, as pgx reads it)
// and applies pending migrations, once however many processes open a new
// ledger at once.
func Open(ctx context.Context, dsn string) (*Ledger, error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open ledger %s: %w", s.name, err)
	}
	return s, nil
}

// connect opens the pool without migrating: for db check, which reports
// an unknown schema rather than changing it.
func connect(ctx context.Context, dsn string) (*Ledger, error) {
	name := Redact(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", name, err)
	}
	// Times are written and read as UTC instants; the session's zone is
	// UTC too, so that anything PostgreSQL formats or truncates (the
	// report's months) is in UTC.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "makegood"
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", name, err)
	}
	// The pool connects lazily; connect now so that a wrong URL or a
	// server that is down is the error of opening, not of the first query.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open ledger %s: %w", name, err)
	}
	return &Ledger{pool: pool, name: name}, nil
}

// Redact is a URL with its password left out, for messages.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "the PostgreSQL ledger"
}

// Pool exposes the connection pool to tests that need raw access. Commands
// never use it.
func (s *Ledger) Pool() *pgxpool.Pool { return s.pool }

// Close closes the ledger.
func (s *Ledger) Close() error {
	s.pool.Close()
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the numbered files, which must be 1, 2, … with no gap:
// the same numbers as SQLite's, so a schema version means the same on
// both engines.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// schemaTable records the migrations applied, one row each; the schema
// version is the largest.
const schemaTable = "schema_migrations"

// migrate applies pending migrations in one transaction, under an
// advisory lock of the database: of several processes opening a new
// ledger at once, one migrates and the others wait for it, then find
// nothing to do.
func (s *Ledger) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := len(ms)
	if v, ok, err := schemaVersion(ctx, s.pool); err != nil {
		return err
	} else if ok && v == latest {
		return nil
	}
	// The lock is the session's, taken before the transaction begins: a
	// transaction that starts after another migrated sees the tables it
	// made. (A transaction that waited for a lock of its own would read
	// the catalog as it stood before the wait: PostgreSQL takes in what
	// others changed in the schema when a transaction begins, or when it
	// locks a table, not when it gets an advisory lock.)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	key := lockKey("ledger")
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1::int4, $2::int4)`, int32(lockMigrations), key); err != nil {
		return fmt.Errorf("migrations: lock: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1::int4, $2::int4)`, int32(lockMigrations), key); err != nil {
			// The lock goes with the session: close it rather than hand
			// it back to the pool still holding the lock.
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		}
	}()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migrations: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := migrateTx(ctx, tx, ms, ""); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// migrateTx applies what migrations ms the ledger lacks, inside tx, which
// holds the migrations' lock; identity, when set, is the ledger identity
// migration 0007 writes (db copy).
func migrateTx(ctx context.Context, tx pgx.Tx, ms []migration, identity string) error {
	latest := len(ms)
	v, ok, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if !ok {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("read the schema: %w", err)
		}
		if schema == nil {
			return errors.New("the search_path names no schema that exists: create it first (CREATE SCHEMA name), " +
				"or name another in the URL (?search_path=name)")
		}
		// A schema that holds tables but not makegood's record of its
		// migrations is someone else's: refuse rather than add to it.
		var other string
		err := tx.QueryRow(ctx, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() ORDER BY table_name LIMIT 1`).Scan(&other)
		switch {
		case err == nil:
			return fmt.Errorf("the schema holds a table %q but no %s: is this a makegood ledger? "+
				"Point --db at an empty database (or schema, with ?search_path=NAME)", other, schemaTable)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("read the schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE `+schemaTable+` (
			version    integer PRIMARY KEY CHECK (version >= 1),
			name       text COLLATE "C" NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create %s: %w", schemaTable, err)
		}
	}
	if err := checkVersion(v, latest); err != nil {
		return err
	}
	if identity != "" {
		if _, err := tx.Exec(ctx, `SELECT set_config('makegood.ledger_uuid', $1, true)`, identity); err != nil {
			return fmt.Errorf("set the ledger identity: %w", err)
		}
	}
	for _, m := range ms[v:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+schemaTable+` (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	return nil
}

// checkVersion refuses a schema version this makegood cannot migrate from.
func checkVersion(v, latest int) error {
	switch {
	case v < 0:
		return fmt.Errorf("the ledger's schema version is %d, which no makegood writes: "+
			"is this a makegood ledger? (makegood's are 0 to %d)", v, latest)
	case v > latest:
		return fmt.Errorf("the ledger's schema version %d is newer than this makegood knows (%d): upgrade makegood", v, latest)
	}
	return nil
}

// schemaVersion reads the ledger's schema version; ok is false when the
// schema has no record of migrations (a new ledger).
func schemaVersion(ctx context.Context, q querier) (v int, ok bool, err error) {
	var exists bool
	// In the ledger's own schema, not another one further along the
	// search_path.
	if err := q.QueryRow(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.' || $1) IS NOT NULL`,
		schemaTable).Scan(&exists); err != nil {
		return 0, false, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, false, nil
	}
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+schemaTable).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("read schema version: %w", err)
	}
	return v, true, nil
}

// SchemaVersion reports the applied migration number.
func (s *Ledger) SchemaVersion(ctx context.Context) (int, error) {
	v, _, err := schemaVersion(ctx, s.pool)
	return v, err
}

// querier is what the pool, a connection and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// wtx is a write transaction, and what it must check before it commits:
// the currencies it issued credits in (see checkTotals).
type wtx struct {
	pgx.Tx
	issued map[string]bool
}

// maxAttempts bounds how often a write transaction is run again after
// PostgreSQL gave it up to settle a deadlock, or it met what another
// transaction committed meanwhile (errRetry).
const maxAttempts = 8

// errRetry asks tx to run a transaction again: it ran into a row another
// transaction wrote after this one looked (a key taken by an import,
// which takes no lock per key); run again, it finds that row.
var errRetry = errors.New("run the transaction again")

// tx runs fn in a write transaction, committing on nil and rolling back
// otherwise, and runs it again (from the start: fn must decide everything
// from what it reads) when it was chosen to break a deadlock or asks to
// (errRetry).
func (s *Ledger) tx(ctx context.Context, fn func(*wtx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.txOnce(ctx, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			if errors.Is(err, errRetry) {
				return fmt.Errorf("the ledger kept changing under this write; try again: %w", err)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))):
		}
	}
}

func (s *Ledger) txOnce(ctx context.Context, fn func(*wtx) error) error {
	t, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &wtx{Tx: t}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.checkTotals(ctx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a transaction PostgreSQL gave up to let another go
// on (a deadlock, a serialization failure), or one that asked to run
// again.
func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// readTx runs fn in a read-only transaction that sees one snapshot
// (REPEATABLE READ): a report or an export adds up one state of the
// ledger, whatever others write meanwhile. Readers never wait for writers.
func (s *Ledger) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// utc is how times are written: the instant to the microsecond, as
// SQLite's fixed-width text holds it (truncated, not rounded).
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// pgError is err's PostgreSQL error, if it is one.
func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// isUniqueViolation reports an insert refused by a unique constraint or
// primary key; with constraint set, by that one.
func isUniqueViolation(err error, constraint string) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// isForeignKeyViolation reports a write refused because a row it points
// at (a customer, a claim) does not exist.
func isForeignKeyViolation(err error) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == "23503"
}
