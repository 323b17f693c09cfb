// Package sqlite is makegood's SQLite storage engine: opening the ledger,
// its migrations and every query. All of its SQL lives in this package;
// internal/store picks it from --db.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"

	sqlitedrv "modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// timeLayout is fixed-width so that times compare correctly as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// SQLite is a ledger.Store backed by one SQLite file.
type Ledger struct {
	db   *sql.DB
	path string
	// rebuildMin is rebuildMinRows; tests lower it.
	rebuildMin int
}

var _ ledger.Store = (*Ledger)(nil)

// Open opens (creating if needed) the ledger at path and applies pending
// migrations. A new file is created with mode 0600 and new directories with
// 0700: the ledger holds customers' emails.
//
// Opening a ledger that is already there does only what a read needs, as
// every command opens the ledger and most only read it: one stat of the
// file, then one query on the first connection (which the command's own
// queries then use) reading the schema version and the journal mode. The
// migrations are read and the journal switched to WAL only when those say
// so.
func Open(ctx context.Context, path string) (*Ledger, error) {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		if err := create(path); err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	s := &Ledger{db: db, path: path, rebuildMin: rebuildMinRows}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	return s, nil
}

// create makes the ledger file if it is not there, private to its owner,
// with its directory.
func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// prepare makes the ledger ready for use: WAL, and the schema this
// makegood knows. A ledger already so costs one query.
func (s *Ledger) prepare(ctx context.Context) error {
	latest, err := latestMigration()
	if err != nil {
		return err
	}
	var (
		v    int
		mode string
	)
	if err := s.db.QueryRowContext(ctx, `SELECT user_version, journal_mode FROM pragma_user_version, pragma_journal_mode`).
		Scan(&v, &mode); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if err := checkVersion(v, latest); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		if err := s.useWAL(ctx); err != nil {
			return err
		}
	}
	if v == latest {
		return nil
	}
	return s.migrate(ctx)
}

// busyTimeout is how long a process waits for another's write to finish.
const busyTimeout = 30 * time.Second

// dsn sets the pragmas on every pooled connection. _txlock=immediate makes
// each write transaction take the write lock at BEGIN, so concurrent
// processes queue on busy_timeout instead of failing mid-transaction with
// "database is locked". The WAL journal is set once, by useWAL.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// useWAL switches the ledger to WAL. The mode is kept in the file, so only
// the first open of a new ledger changes it; when several processes race to
// do that, SQLite answers SQLITE_BUSY at once instead of waiting on its busy
// handler, so the switch is retried here until busyTimeout.
func (s *Ledger) useWAL(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for delay := 2 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("switch to WAL: the journal mode stayed %q", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("switch to WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

func isBusy(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Path is the ledger file's location.
func (s *Ledger) Path() string { return s.path }

// DB exposes the handle to tests in this package's callers that need raw
// access (integrity checks). Commands never use it.
func (s *Ledger) DB() *sql.DB { return s.db }

// Close closes the ledger.
func (s *Ledger) Close() error { return s.db.Close() }

type migration struct {
	version int
	name    string
	sql     string
}

// latestMigration is the number of the newest migration, from the file
// names alone (migrations checks that they run from 1 without a gap).
func latestMigration() (int, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil || len(entries) == 0 {
		return 0, fmt.Errorf("migrations: %d found (%v)", len(entries), err)
	}
	name := entries[len(entries)-1].Name() // ReadDir sorts by name; the numbers are zero-padded
	num, _, _ := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("migration %s: name must start with a number", name)
	}
	return v, nil
}

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

// migrate applies pending migrations in one IMMEDIATE transaction, recording
// the schema version in PRAGMA user_version. Taking the write lock first
// means several processes opening a new ledger at once migrate it exactly
// once: the others wait, then find nothing to do. (goose's SQLite support
// has no lock for that race, which is why this is hand-written.)
//
// The transaction runs on a connection of its own with foreign key checks
// off, as SQLite's procedure for changing a table asks (build the new
// table, copy, drop the old one, rename: with checks on, the drop would
// delete every row it references); before committing, every reference in
// the ledger is checked at once, so a migration cannot leave one dangling.
func (s *Ledger) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	// The connection goes back to the pool only with its checks back on.
	keep := false
	defer func() {
		if !keep {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}()
	// Only outside a transaction does this take effect.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	err = applyMigrations(ctx, tx, ms)
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")
	keep = err == nil
	return nil
}

// applyMigrations applies, in tx, the migrations after the ledger's
// schema version, and checks every foreign key reference.
func applyMigrations(ctx context.Context, tx *sql.Tx, ms []migration) error {
	latest := len(ms)
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if err := checkVersion(v, latest); err != nil {
		return err
	}
	if v == latest {
		return nil
	}
	for _, m := range ms[v:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	rows, err := tx.QueryContext(ctx, "PRAGMA main.foreign_key_check")
	if err != nil {
		return fmt.Errorf("check references: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var (
			table, parent string
			rowid         sql.NullInt64
			fk            int
		)
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("check references: %w", err)
		}
		return fmt.Errorf("migration %s: row %d of %s refers to a missing row of %s", ms[latest-1].name, rowid.Int64, table, parent)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check references: %w", err)
	}
	rows.Close()
	// PRAGMA takes no bound parameters; latest is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", latest)); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	return nil
}

// checkVersion refuses a schema version this makegood cannot migrate
// from: a newer one, or one no makegood writes (PRAGMA user_version is any
// 32-bit integer, and a file from another program, or edited by hand,
// may hold a negative one).
func checkVersion(v, latest int) error {
	switch {
	case v < 0:
		return fmt.Errorf("the ledger's schema version is %d, which no makegood writes: "+
			"is this a makegood ledger? (SQLite's PRAGMA user_version; makegood's are 0 to %d)", v, latest)
	case v > latest:
		return fmt.Errorf("the ledger's schema version %d is newer than this makegood knows (%d): upgrade makegood", v, latest)
	}
	return nil
}

// SchemaVersion reports the applied migration number.
func (s *Ledger) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// tx runs fn in a write transaction, committing on nil and rolling back
// otherwise.
func (s *Ledger) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseTimePtr(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// isUniqueViolation reports an insert refused by a UNIQUE or PRIMARY KEY
// constraint, by its result code. The append-only insert triggers
// (migrations 0007 to 0009) refuse a taken key before the constraint
// can, with a message and no code of their own, so code never relies on
// them: it checks a key inside its write transaction before inserting
// (that transaction holds SQLite's write lock from BEGIN, so nothing can
// take the key in between), and a trigger's refusal is then an error like
// any other.
func isUniqueViolation(err error) bool {
	var se *sqlitedrv.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isForeignKeyViolation reports a write refused because a row it points
// at (a customer, a claim) does not exist.
func isForeignKeyViolation(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
