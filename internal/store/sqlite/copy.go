package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/tables"
)

// This file is SQLite's side of makegood db copy: reading every table as
// the kinds package tables names, and making a new ledger file from such
// rows. The rows' values are converted here, to and from the text SQLite
// keeps times in and the 0 and 1 it keeps booleans as.

// checkTables refuses a ledger holding a table tables.All does not know:
// a copy would leave it behind.
func checkTables(ctx context.Context, q queryer) error {
	names, err := queryAll(ctx, q, "list tables", `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`, nil, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil {
		return err
	}
	known := tables.Kept()
	for _, t := range tables.All() {
		known = append(known, t.Name)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return fmt.Errorf("db copy: the ledger has a table %q this makegood does not know how to copy", n)
		}
	}
	return nil
}

// CopyOut reads every table of tables.All in one read transaction (one
// snapshot, while others go on writing), each table's rows by its key.
func (s *Ledger) CopyOut(ctx context.Context, each func(t tables.Table, row []any) error) error {
	return s.readTx(ctx, func(tx *sql.Tx) error {
		if err := checkTables(ctx, tx); err != nil {
			return err
		}
		for _, t := range tables.All() {
			if err := copyTableOut(ctx, tx, t, each); err != nil {
				return err
			}
		}
		return nil
	})
}

func copyTableOut(ctx context.Context, tx *sql.Tx, t tables.Table, each func(t tables.Table, row []any) error) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c.Name)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+quoteIdent(t.Name)+` ORDER BY `+strings.Join(t.Key, ", "))
	if err != nil {
		return fmt.Errorf("db copy: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	raw := make([]any, len(t.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	row := make([]any, len(raw))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("db copy: read %s: %w", t.Name, err)
		}
		for i, c := range t.Columns {
			v, err := fromSQLite(c, raw[i])
			if err != nil {
				return fmt.Errorf("db copy: read %s.%s: %w", t.Name, c.Name, err)
			}
			row[i] = v
		}
		if err := each(t, row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db copy: read %s: %w", t.Name, err)
	}
	return nil
}

// fromSQLite is a stored value as its kind's Go value.
func fromSQLite(c tables.Column, v any) (any, error) {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil, nil
	}
	switch c.Kind {
	case tables.Int:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%v is not an integer", v)
		}
		return n, nil
	case tables.Bool:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%v is not 0 or 1", v)
		}
		return n != 0, nil
	case tables.Time:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a time", v)
		}
		return parseTime(s)
	case tables.Date:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a date", v)
		}
		return time.Parse(ledger.DateLayout, s)
	default:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not text", v)
		}
		return s, nil
	}
}

// toSQLite is a kind's Go value as SQLite stores it.
func toSQLite(c tables.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Kind {
	case tables.Time, tables.Date:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("%v is not a time", v)
		}
		if c.Kind == tables.Date {
			return t.UTC().Format(ledger.DateLayout), nil
		}
		return fmtTime(t), nil
	case tables.Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%v is not a boolean", v)
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case tables.JSON:
		// As makegood writes it (encoding/json), not as another engine
		// printed it: a round trip gives back the same text.
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a JSON document", v)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(s)); err != nil {
			return nil, err
		}
		return b.String(), nil
	}
	return v, nil
}

// Counts is how many rows each table of tables.All holds.
func (s *Ledger) Counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range tables.All() {
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.Name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Name, err)
		}
		out[t.Name] = n
	}
	return out, nil
}

// Load makes the ledger file at path a copy of what src reads, in one
// write transaction on a ledger that holds nothing: a new file (made with
// mode 0600 and migrated by Open, then given the original's identity, so
// that the copy's derived Idempotency-Keys are the original's), or an
// existing ledger with no rows. Ids are kept. A new file is removed if
// the copy fails. It returns how many rows each table got.
func Load(ctx context.Context, path, identity string, src tables.Reader) (loaded map[string]int64, err error) {
	_, statErr := os.Stat(path)
	created := os.IsNotExist(statErr)
	s, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() {
		s.Close()
		if err != nil && created {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(path + suffix)
			}
		}
	}()
	loaded = map[string]int64{}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkTables(ctx, tx); err != nil {
			return err
		}
		var rows int64
		for _, t := range tables.All() {
			if t.Name == tables.Identity {
				continue
			}
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.Name)).Scan(&n); err != nil {
				return fmt.Errorf("db copy: count %s: %w", t.Name, err)
			}
			rows += n
		}
		if rows > 0 {
			return &ledger.NotEmptyError{Path: path, Rows: rows}
		}
		if err := replaceIdentity(ctx, tx, identity); err != nil {
			return err
		}
		stmts := map[string]*sql.Stmt{}
		defer func() {
			for _, st := range stmts {
				st.Close()
			}
		}()
		args := []any{}
		return src(func(t tables.Table, row []any) error {
			if t.Name == tables.Identity {
				if len(row) != 2 || row[1] != identity {
					return fmt.Errorf("db copy: the ledger identity read (%v) is not the one given (%s)", row, identity)
				}
				loaded[t.Name]++
				return nil
			}
			st := stmts[t.Name]
			if st == nil {
				cols := make([]string, len(t.Columns))
				for i, c := range t.Columns {
					cols[i] = quoteIdent(c.Name)
				}
				var err error
				st, err = tx.PrepareContext(ctx, `INSERT INTO `+quoteIdent(t.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+
					strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+`)`)
				if err != nil {
					return fmt.Errorf("db copy: write %s: %w", t.Name, err)
				}
				stmts[t.Name] = st
			}
			args = args[:0]
			for i, c := range t.Columns {
				v, err := toSQLite(c, row[i])
				if err != nil {
					return fmt.Errorf("db copy: write %s.%s: %w", t.Name, c.Name, err)
				}
				args = append(args, v)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("db copy: write %s: %w", t.Name, err)
			}
			loaded[t.Name]++
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return loaded, nil
}

// replaceIdentity gives a ledger that holds nothing the identity of the
// one it becomes a copy of. The identity is written once: its triggers
// are set aside for this transaction only, and put back as they were
// before it commits (a rollback brings them back with the rest).
func replaceIdentity(ctx context.Context, tx *sql.Tx, identity string) error {
	type trigger struct{ name, sql string }
	trs, err := queryAll(ctx, tx, "db copy: identity triggers", `SELECT name, sql FROM sqlite_schema
		WHERE type = 'trigger' AND tbl_name = 'ledger_identity' AND name IN ('ledger_identity_no_delete', 'ledger_identity_no_replace')
		ORDER BY name`, nil, func(r scanner) (trigger, error) {
		var t trigger
		return t, r.Scan(&t.name, &t.sql)
	})
	if err != nil {
		return err
	}
	for _, t := range trs {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+quoteIdent(t.name)); err != nil {
			return fmt.Errorf("db copy: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_identity`); err != nil {
		return fmt.Errorf("db copy: replace the identity: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_identity (id, uuid) VALUES (1, ?)`, identity); err != nil {
		return fmt.Errorf("db copy: replace the identity: %w", err)
	}
	for _, t := range trs {
		if _, err := tx.ExecContext(ctx, t.sql); err != nil {
			return fmt.Errorf("db copy: restore trigger %s: %w", t.name, err)
		}
	}
	return nil
}
