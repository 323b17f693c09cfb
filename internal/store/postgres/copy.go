package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/tables"
)

// ownTables are tables of the schema that are the engine's, not the
// ledger's: db copy neither reads nor writes them.
var ownTables = []string{schemaTable}

// checkTables refuses a schema holding a table tables.All does not know:
// a copy would leave it behind.
func checkTables(ctx context.Context, q querier) error {
	names, err := queryAll(ctx, q, "list tables", `SELECT c.relname::text FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`, nil,
		func(r scanner) (string, error) {
			var n string
			return n, r.Scan(&n)
		})
	if err != nil {
		return err
	}
	known := append(slices.Clone(ownTables), tables.Kept()...)
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

// selectList is the columns of t as the copy reads them: integers as
// bigint, JSON as its text.
func selectList(t tables.Table) string {
	var cols []string
	for _, c := range t.Columns {
		id := pgx.Identifier{c.Name}.Sanitize()
		switch c.Kind {
		case tables.Int:
			id += "::bigint"
		case tables.JSON:
			id += "::text"
		}
		cols = append(cols, id)
	}
	return strings.Join(cols, ", ")
}

// CopyOut reads every table of tables.All in one snapshot, each table's
// rows by its key, as the kinds tables describes.
func (s *Ledger) CopyOut(ctx context.Context, each func(t tables.Table, row []any) error) error {
	return s.readTx(ctx, func(tx pgx.Tx) error {
		if err := checkTables(ctx, tx); err != nil {
			return err
		}
		for _, t := range tables.All() {
			rows, err := tx.Query(ctx, `SELECT `+selectList(t)+` FROM `+pgx.Identifier{t.Name}.Sanitize()+
				` ORDER BY `+strings.Join(t.Key, ", "))
			if err != nil {
				return fmt.Errorf("db copy: read %s: %w", t.Name, err)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					rows.Close()
					return fmt.Errorf("db copy: read %s: %w", t.Name, err)
				}
				if err := each(t, vals); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("db copy: read %s: %w", t.Name, err)
			}
		}
		return nil
	})
}

// Counts is how many rows each table of tables.All holds.
func (s *Ledger) Counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.readTx(ctx, func(tx pgx.Tx) error { return counts(ctx, tx, out) })
	return out, err
}

func counts(ctx context.Context, q querier, out map[string]int64) error {
	for _, t := range tables.All() {
		var n int64
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{t.Name}.Sanitize()).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t.Name, err)
		}
		out[t.Name] = n
	}
	return nil
}

// Load makes the ledger at dsn a copy of what src reads, in one
// transaction: the schema (when the database or schema is empty) made
// with the ledger identity given, so that the copy's derived
// Idempotency-Keys are the original's; every row with its id; and each
// table's id sequence set past the ids copied. A target that holds a
// ledger is refused unless it holds nothing (only a migrated, empty
// ledger, whose identity is then replaced, which takes its owner). It
// returns how many rows each table got.
func Load(ctx context.Context, dsn, identity string, src tables.Reader) (map[string]int64, error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("db copy: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("db copy: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The transaction-level form of the migrations' lock: a copy makes a
	// new ledger, and nothing else should be opening it meanwhile.
	if err := lock(ctx, tx, lockMigrations, "ledger"); err != nil {
		return nil, err
	}
	v, ok, err := schemaVersion(ctx, tx)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		if err := migrateTx(ctx, tx, ms, identity); err != nil {
			return nil, fmt.Errorf("db copy: make the ledger: %w", err)
		}
	case v != len(ms):
		return nil, fmt.Errorf("db copy: %s holds a ledger of schema version %d (this makegood's is %d): copy into an empty database",
			s.name, v, len(ms))
	default:
		if err := emptyLedger(ctx, tx, s.name, identity); err != nil {
			return nil, err
		}
	}
	if err := checkTables(ctx, tx); err != nil {
		return nil, err
	}
	loaded, err := copyIn(ctx, tx, identity, src)
	if err != nil {
		return nil, err
	}
	for _, t := range tables.All() {
		if t.Serial == "" || loaded[t.Name] == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), (SELECT MAX(%s) FROM %s))`,
			pgx.Identifier{t.Serial}.Sanitize(), pgx.Identifier{t.Name}.Sanitize()), t.Name, t.Serial); err != nil {
			return nil, fmt.Errorf("db copy: set the ids of %s past the copied ones: %w", t.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("db copy: commit: %w", err)
	}
	return loaded, nil
}

// emptyLedger accepts a target ledger that holds nothing yet (someone
// opened it once), and gives it the copied ledger's identity.
func emptyLedger(ctx context.Context, tx pgx.Tx, name, identity string) error {
	n := map[string]int64{}
	if err := counts(ctx, tx, n); err != nil {
		return err
	}
	var rows int64
	for t, c := range n {
		if t != tables.Identity {
			rows += c
		}
	}
	if rows > 0 {
		return &ledger.NotEmptyError{Path: name, Rows: rows}
	}
	var have string
	if err := tx.QueryRow(ctx, `SELECT uuid FROM ledger_identity WHERE id = 1`).Scan(&have); err != nil {
		return fmt.Errorf("db copy: read the target's identity: %w", err)
	}
	if have == identity {
		return nil
	}
	// The identity is written once; an empty ledger's has keyed nothing
	// yet, so its owner may replace it, with the trigger off for this
	// transaction only.
	for _, q := range []string{
		`ALTER TABLE ledger_identity DISABLE TRIGGER ledger_identity_no_delete`,
		`DELETE FROM ledger_identity`,
		`ALTER TABLE ledger_identity ENABLE TRIGGER ledger_identity_no_delete`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			if pe := pgError(err); pe != nil && pe.Code == "42501" {
				return fmt.Errorf("db copy: %s holds an empty ledger of its own identity, which only its owner may replace: "+
					"run db copy as the owner, or copy into an empty database (%s)", name, pe.Message)
			}
			return fmt.Errorf("db copy: replace the target's identity: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ledger_identity (id, uuid) VALUES (1, $1)`, identity); err != nil {
		return fmt.Errorf("db copy: replace the target's identity: %w", err)
	}
	return nil
}

// copyIn streams src's rows into the tables with COPY, table by table:
// src runs in a goroutine of its own and hands rows over one at a time,
// so memory stays flat however big the ledger. The identity's row is the
// one the schema was made with, checked rather than written.
func copyIn(ctx context.Context, tx pgx.Tx, identity string, src tables.Reader) (map[string]int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type msg struct {
		t   tables.Table
		row []any
	}
	ch := make(chan msg, 256)
	srcErr := make(chan error, 1)
	go func() {
		defer close(ch)
		srcErr <- src(func(t tables.Table, row []any) error {
			select {
			case ch <- msg{t, slices.Clone(row)}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	loaded := map[string]int64{}
	var ahead *msg
	next := func() (msg, bool) {
		if ahead != nil {
			m := *ahead
			ahead = nil
			return m, true
		}
		m, ok := <-ch
		return m, ok
	}
	fail := func(err error) (map[string]int64, error) {
		cancel()
		for range ch {
		}
		return nil, err
	}
	for {
		m, ok := next()
		if !ok {
			break
		}
		if m.t.Name == tables.Identity {
			if len(m.row) != 2 || m.row[1] != identity {
				return fail(fmt.Errorf("db copy: the ledger identity read (%v) is not the one given (%s)", m.row, identity))
			}
			loaded[m.t.Name]++
			continue
		}
		rows := &tableRows{table: m.t.Name, first: &m.row, next: func() ([]any, bool) {
			n, ok := next()
			if !ok {
				return nil, false
			}
			if n.t.Name != m.t.Name {
				ahead = &n
				return nil, false
			}
			return n.row, true
		}}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{m.t.Name}, m.t.ColumnNames(), rows)
		if err != nil {
			return fail(fmt.Errorf("db copy: write %s: %w", m.t.Name, err))
		}
		loaded[m.t.Name] += n
	}
	if err := <-srcErr; err != nil {
		return nil, err
	}
	return loaded, nil
}

// tableRows is the run of one table's rows as a pgx.CopyFromSource.
type tableRows struct {
	table string
	first *[]any
	next  func() ([]any, bool)
	row   []any
}

func (r *tableRows) Next() bool {
	if r.first != nil {
		r.row, r.first = *r.first, nil
		return true
	}
	row, ok := r.next()
	r.row = row
	return ok
}

func (r *tableRows) Values() ([]any, error) { return r.row, nil }
func (r *tableRows) Err() error             { return nil }
