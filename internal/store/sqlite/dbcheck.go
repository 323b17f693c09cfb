package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlitedrv "modernc.org/sqlite"

	"github.com/makegood/makegood/internal/ledger"
)

// CheckFile checks the ledger at path without changing it: SQLite's
// integrity_check and foreign_key_check, the schema version, every trigger
// and index the migrations define (found by applying the migrations to an
// empty database, so a new migration's triggers are expected without
// anyone updating a list, and a trigger replaced by one with another body
// is caught), and the ledger's own sums: one issue entry per credit for
// its amount, each credit within its currency's largest, nothing left
// below zero, a voided credit at zero, entry
// signs by kind, entries' copies of their credit's customer, currency and
// expiry, no entry without its credit, gestures without money.
func CheckFile(ctx context.Context, path string) (ledger.CheckResult, error) {
	var res ledger.CheckResult
	if _, err := os.Stat(path); err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	// Opened without migrating: a ledger of an unknown schema version is a
	// finding here, not a reason to stop.
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ms, err := migrations()
	if err != nil {
		return res, err
	}
	res.Latest = len(ms)
	add := res.Add
	rows := func(check, q string, line func(scanner) (string, error)) error {
		rs, err := db.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("db check %s: %w", check, err)
		}
		defer rs.Close()
		n := 0
		for rs.Next() {
			n++
			if n > ledger.MaxFindingsPerCheck {
				continue
			}
			s, err := line(rs)
			if err != nil {
				return fmt.Errorf("db check %s: %w", check, err)
			}
			add(check, "%s", s)
		}
		if n > ledger.MaxFindingsPerCheck {
			add(check, "and %d more", n-ledger.MaxFindingsPerCheck)
		}
		return rs.Err()
	}
	text := func(r scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	}

	// integrity_check answers one row, "ok", when the file is sound.
	if err := rows("integrity", `SELECT integrity_check FROM pragma_integrity_check WHERE integrity_check != 'ok'`, text); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&res.SchemaVersion); err != nil {
		return res, fmt.Errorf("db check: schema version: %w", err)
	}
	v := res.CheckSchemaVersion(res.SchemaVersion, "file")
	if v == 0 {
		return res, nil
	}
	if err := checkSchema(ctx, db, ms[:v], &res, add); err != nil {
		return res, err
	}
	for _, f := range res.Findings {
		if f.Check == "table" && strings.HasSuffix(f.Detail, "is missing") {
			return res, nil // the sums below need every table
		}
	}
	if err := rows("foreign_key", `SELECT "table" || ' row ' || rowid || ' points at a missing ' || parent FROM pragma_foreign_key_check`, text); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM credits), (SELECT COUNT(*) FROM credit_entries)`).Scan(&res.Credits, &res.Entries); err != nil {
		return res, fmt.Errorf("db check: count: %w", err)
	}
	for _, c := range []struct{ check, q string }{
		{"orphan_entry", `SELECT 'entry ' || e.id || ' (' || e.kind || ') names credit ' || e.credit_id || ', which does not exist'
			FROM credit_entries e LEFT JOIN credits c ON c.id = e.credit_id WHERE c.id IS NULL ORDER BY e.id`},
		{"issue_entry", `SELECT 'credit ' || c.id || ' has ' || COALESCE(s.issues, 0) || ' issue entries for ' ||
				COALESCE(s.issued, 0) || ' minor units; it was issued for ' || c.amount_minor
			FROM credits c LEFT JOIN (SELECT credit_id, COUNT(*) AS issues, SUM(amount_minor) AS issued
				FROM credit_entries WHERE kind = 'issue' GROUP BY credit_id) s ON s.credit_id = c.id
			WHERE s.issues IS NOT 1 OR s.issued != c.amount_minor ORDER BY c.id`},
		{"remaining_below_zero", `SELECT 'credit ' || credit_id || ': its entries sum to ' || SUM(amount_minor) ||
				' minor units, more used or voided than was issued'
			FROM credit_entries GROUP BY credit_id HAVING SUM(amount_minor) < 0 ORDER BY credit_id`},
		{"void_sum", `SELECT 'credit ' || credit_id || ' is void but its entries sum to ' || SUM(amount_minor) || ', not 0'
			FROM credit_entries GROUP BY credit_id
			HAVING SUM(kind = 'void') > 0 AND SUM(amount_minor) != 0 ORDER BY credit_id`},
		{"entry_sign", `SELECT 'entry ' || id || ' of credit ' || credit_id || ': a ' || kind || ' of ' || amount_minor
			FROM credit_entries
			WHERE (kind = 'issue' AND amount_minor < 0) OR (kind = 'apply' AND amount_minor >= 0)
				OR (kind = 'void' AND amount_minor > 0) ORDER BY id`},
		{"entry_copy", `SELECT 'entry ' || e.id || ' of credit ' || c.id || ' has customer, currency or expiry other than its credit''s'
			FROM credit_entries e JOIN credits c ON c.id = e.credit_id
			WHERE e.customer_id != c.customer_id OR e.currency != c.currency OR e.expires_at IS NOT c.expires_at ORDER BY e.id`},
		{"gesture_money", `SELECT 'gesture ' || c.id || ' has money: ' || c.amount_minor || ' ' || c.currency
			FROM credits c WHERE c.gesture IS NOT NULL AND (c.amount_minor != 0 OR c.currency != ''
				OR EXISTS (SELECT 1 FROM credit_entries e WHERE e.credit_id = c.id AND e.amount_minor != 0)) ORDER BY c.id`},
	} {
		if err := rows(c.check, c.q, text); err != nil {
			return res, err
		}
	}
	// Each kept balance (migration 0012; ledger, balances.go) against the
	// sum of its entries, both ways: a kept balance with no entries, and
	// entries with no kept balance, are findings too.
	var kept int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'credit_balances'`).Scan(&kept); err != nil {
		return res, fmt.Errorf("db check: %w", err)
	}
	if kept > 0 {
		if err := rows("kept_balance", `SELECT 'customer ' || COALESCE(k.customer_id, s.customer_id) || ', currency ' ||
				quote(COALESCE(k.currency, s.currency)) || ', ' ||
				CASE COALESCE(k.expires_at, s.expires_at) WHEN '' THEN 'no expiry' ELSE 'expiring ' || COALESCE(k.expires_at, s.expires_at) END ||
				': the kept balance is ' || COALESCE(k.amount_minor, 'missing') || ', the entries sum to ' || COALESCE(s.summed, 0)
			FROM credit_balances k
			FULL OUTER JOIN (SELECT customer_id, currency, COALESCE(expires_at, '') AS expires_at, SUM(amount_minor) AS summed
				FROM credit_entries GROUP BY 1, 2, 3) s
				ON s.customer_id = k.customer_id AND s.currency = k.currency AND s.expires_at = k.expires_at
			WHERE COALESCE(k.amount_minor, 0) != COALESCE(s.summed, 0)
			ORDER BY 1`, text); err != nil {
			return res, err
		}
	}
	// Each credit within its currency's largest: the rule is the ledger's;
	// only credits over the least of those can break it.
	return res, checkCreditBounds(ctx, db, &res)
}

func checkCreditBounds(ctx context.Context, db *sql.DB, res *ledger.CheckResult) error {
	rs, err := db.QueryContext(ctx, `SELECT id, currency, amount_minor FROM credits WHERE amount_minor > ? ORDER BY id`,
		ledger.CreditBoundFloor)
	if err != nil {
		return fmt.Errorf("db check credit_bound: %w", err)
	}
	defer rs.Close()
	n := 0
	for rs.Next() {
		var (
			id, amount int64
			currency   string
		)
		if err := rs.Scan(&id, &currency, &amount); err != nil {
			return fmt.Errorf("db check credit_bound: %w", err)
		}
		if f, bad := ledger.CheckCreditBound(id, currency, amount); bad {
			if n++; n <= ledger.MaxFindingsPerCheck {
				res.Findings = append(res.Findings, f)
			}
		}
	}
	if n > ledger.MaxFindingsPerCheck {
		res.Findings = append(res.Findings, ledger.Finding{Check: "credit_bound", Detail: fmt.Sprintf("and %d more", n-ledger.MaxFindingsPerCheck)})
	}
	return rs.Err()
}

// checkSchema compares the file's tables, triggers and indexes with those
// the migrations make: each must be there, with the same statement (a
// table stripped of a CHECK or a trigger emptied shows up here).
func checkSchema(ctx context.Context, db *sql.DB, ms []migration, res *ledger.CheckResult, add func(check, format string, args ...any)) error {
	want, err := expectedSchema(ctx, ms)
	if err != nil {
		return err
	}
	have := map[string]schemaObject{}
	rs, err := db.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger', 'index') AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("db check: schema: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var o schemaObject
		if err := rs.Scan(&o.kind, &o.name, &o.sql); err != nil {
			return fmt.Errorf("db check: schema: %w", err)
		}
		have[o.kind+" "+o.name] = o
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("db check: schema: %w", err)
	}
	for _, w := range want {
		if w.kind == "trigger" {
			res.Triggers++
		}
		h, ok := have[w.kind+" "+w.name]
		switch {
		case !ok:
			if w.kind == "table" {
				add(w.kind, "%s is missing", w.name)
			} else {
				add(w.kind, "%s is missing (it comes from migration %s)", w.name, w.from)
			}
		case normalizeSQL(h.sql) != normalizeSQL(w.sql):
			add(w.kind, "%s is not the one migration %s makes: %s", w.name, w.from, oneLineSQL(h.sql))
		}
		delete(have, w.kind+" "+w.name)
	}
	for _, h := range have {
		if h.kind == "trigger" {
			add("trigger", "%s is not one of makegood's: %s", h.name, oneLineSQL(h.sql))
		}
	}
	return nil
}

type schemaObject struct{ kind, name, sql, from string }

// expectedSchema applies the migrations to an empty in-memory database and
// lists the triggers and indexes they leave, each with the migration that
// last made it.
func expectedSchema(ctx context.Context, ms []migration) ([]schemaObject, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	from := map[string]string{}
	for _, m := range ms {
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("db check: migration %s: %w", m.name, err)
		}
		rs, err := db.QueryContext(ctx, `SELECT type || ' ' || name FROM sqlite_schema WHERE type IN ('table', 'trigger', 'index')`)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var k string
			if err := rs.Scan(&k); err != nil {
				rs.Close()
				return nil, err
			}
			if _, ok := from[k]; !ok {
				from[k] = m.name
			}
		}
		rs.Close()
	}
	var out []schemaObject
	rs, err := db.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger', 'index') AND sql IS NOT NULL ORDER BY type, name`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var o schemaObject
		if err := rs.Scan(&o.kind, &o.name, &o.sql); err != nil {
			return nil, err
		}
		o.from = from[o.kind+" "+o.name]
		out = append(out, o)
	}
	return out, rs.Err()
}

func normalizeSQL(s string) string { return strings.Join(strings.Fields(s), " ") }

func oneLineSQL(s string) string {
	s = normalizeSQL(s)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Check checks the ledger file without changing it (CheckFile).
func (s *Ledger) Check(ctx context.Context) (ledger.CheckResult, error) {
	return CheckFile(ctx, s.path)
}

// Backup writes a consistent copy of the ledger to dest while other
// processes go on writing: VACUUM INTO reads one snapshot (a read
// transaction, which in WAL mode neither waits for writers nor blocks
// them) into a new, compact file. The copy is written beside dest with
// mode 0600, checked with CheckFile, synced, and only then renamed to
// dest, so dest is either the old file or a sound backup. An existing dest
// is replaced only with replace.
func (s *Ledger) Backup(ctx context.Context, dest string, replace bool) (ledger.CheckResult, error) {
	var res ledger.CheckResult
	if _, err := os.Stat(dest); err == nil && !replace {
		return res, &ledger.ExistsError{Path: dest}
	}
	tmp, err := privateTemp(dest)
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp)
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if res, err = CheckFile(ctx, tmp); err != nil {
		return res, err
	}
	if !res.Sound() {
		return res, fmt.Errorf("backup: the copy is not sound (%s); nothing was written to %s", res.Findings[0], dest)
	}
	if err := syncRename(tmp, dest); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	return res, nil
}

// privateTemp makes an empty 0600 file beside path (VACUUM INTO accepts an
// empty file), so the copy is never readable by others, even briefly.
func privateTemp(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

// syncRename flushes tmp to disk and renames it to dest, then syncs the
// directory so the rename survives a crash.
func syncRename(tmp, dest string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(dest)); err == nil {
		_ = d.Sync() // not every file system syncs a directory
		d.Close()
	}
	return nil
}

// Restore replaces the ledger at dest with a copy of src. src must pass
// CheckFile. A dest holding anything is replaced only with replace.
//
// A new dest is a VACUUM INTO copy in a 0600 file beside it, renamed into
// place. An existing dest is first copied, as it is at that moment, to
// <dest>.before-restore-<time> (VACUUM INTO, online), and then restored
// in place through SQLite's backup API, under the ledger's own write
// lock: processes that have the ledger open (cron) wait their turn as
// for any write and afterwards read and write the restored ledger. The
// file, its write-ahead log and shared memory stay the same files;
// renaming a ledger in their place while others have it open would leave
// those writing to, and checkpointing into, files no longer the ledger.
// A write another process commits in the moment between the copy and
// the restore is in neither (the restore goes back to src by design).
func Restore(ctx context.Context, src, dest string, replace bool, now time.Time) (kept string, res ledger.CheckResult, err error) {
	if res, err = CheckFile(ctx, src); err != nil {
		return "", res, err
	}
	if !res.Sound() {
		return "", res, fmt.Errorf("restore %s: %w: %s", src, ledger.ErrUnsound, res.Findings[0])
	}
	if same, _ := sameFile(src, dest); same {
		return "", res, fmt.Errorf("restore: %s is the ledger itself", src)
	}
	if _, statErr := os.Stat(dest); statErr != nil {
		if err := vacuumInto(ctx, src, dest); err != nil {
			return "", res, err
		}
		res, err = CheckFile(ctx, dest)
		return "", res, err
	}
	n, err := ledgerRows(ctx, dest)
	if err != nil {
		return "", res, err
	}
	if n > 0 && !replace {
		return "", res, &ledger.NotEmptyError{Path: dest, Rows: n}
	}
	kept = dest + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	if err := vacuumInto(ctx, dest, kept); err != nil {
		return "", res, fmt.Errorf("restore: keep the old ledger: %w", err)
	}
	if err := restoreInPlace(ctx, src, dest); err != nil {
		return kept, res, err
	}
	res, err = CheckFile(ctx, dest)
	return kept, res, err
}

// vacuumInto writes a copy of the ledger at from to a new 0600 file to,
// through a temporary file beside it, so to is whole or absent.
func vacuumInto(ctx context.Context, from, to string) error {
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s exists already", to)
	}
	tmp, err := privateTemp(to)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	db, err := sql.Open("sqlite", dsn(from))
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	db.Close()
	if err != nil {
		return fmt.Errorf("restore: copy %s: %w", from, err)
	}
	return syncRename(tmp, to)
}

// restoreInPlace copies src over the ledger at dest with SQLite's backup
// API (sqlite3_backup_step into dest), which takes dest's write lock
// like any writer; a lock held by another writer is waited for, as long
// as ctx lasts.
func restoreInPlace(ctx context.Context, src, dest string) error {
	db, err := sql.Open("sqlite", dsn(dest))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", dest, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(interface {
			NewRestore(string) (*sqlitedrv.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver cannot restore in place")
		}
		for {
			b, err := r.NewRestore(src)
			if err != nil {
				return err
			}
			_, err = b.Step(-1)
			ferr := b.Finish()
			if err == nil {
				err = ferr
			}
			if !isBusy(err) {
				return err
			}
			// Another writer holds the ledger: wait for it, as a write would.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	if err != nil {
		return fmt.Errorf("restore: copy %s into %s: %w", src, dest, err)
	}
	// The copy carries src's header; the ledger stays in WAL mode.
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return fmt.Errorf("restore: %s: %w", dest, err)
	}
	return nil
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// ledgerRows counts what a ledger holds; 0 for an empty or new one.
func ledgerRows(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var tables []string
	rs, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name IN ('customers', 'credits', 'incidents', 'thank_you_notes', 'imports')`)
	if err != nil {
		return 0, fmt.Errorf("restore: read %s: %w", path, err)
	}
	for rs.Next() {
		var t string
		if err := rs.Scan(&t); err != nil {
			rs.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rs.Close()
	var total int64
	for _, t := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t)).Scan(&n); err != nil {
			return 0, fmt.Errorf("restore: read %s: %w", path, err)
		}
		total += n
	}
	return total, nil
}
