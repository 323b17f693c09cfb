// Package store is the seam between makegood and its storage engines: it
// reads where --db (MAKEGOOD_DB, the config's db) says the ledger is,
// picks the engine that keeps it, and opens it. The engines live below it,
// one package each (internal/store/sqlite, internal/store/postgres),
// each with its own SQL and its own numbered migrations; commands see only
// the interfaces the engines implement (Ledger).
package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/store/postgres"
	"github.com/makegood/makegood/internal/store/sqlite"
	"github.com/makegood/makegood/internal/store/tables"
	"github.com/makegood/makegood/internal/stripe"
)

// Ledger is everything an engine does with an open ledger: the ledger
// itself, db check and backup, the Stripe sync's tables, the report's
// figures and the accountant's export. Every engine implements all of it,
// so a command never finds a capability missing at run time.
type Ledger interface {
	ledger.Store
	ledger.Maintainer
	stripe.Ledger
	report.Source
	report.BookSource
	Copier
}

// Table is one table of a ledger as db copy moves it (package tables,
// which the engines share; commands name it here, never an engine's).
type Table = tables.Table

// Tables is every table of a ledger, in the order db copy writes them.
func Tables() []Table { return tables.All() }

// IdentityTable holds the ledger's identity, which a copy keeps.
const IdentityTable = tables.Identity

// Copier is what makegood db copy reads of a ledger, whatever its engine:
// every table of tables.All as the kinds it names.
type Copier interface {
	// CopyOut reads every table in one snapshot, in tables.All's order,
	// each table's rows by its key. A table the ledger has and tables
	// does not know is an error: a copy would leave it behind.
	CopyOut(ctx context.Context, each func(t tables.Table, row []any) error) error
	// Counts is how many rows each table holds.
	Counts(ctx context.Context) (map[string]int64, error)
}

var (
	_ Ledger = (*sqlite.Ledger)(nil)
	_ Ledger = (*postgres.Ledger)(nil)
)

// Engine is one kind of database a ledger can live in. Open, Check and
// Exists are required; Restore is for engines whose ledger is a file.
type Engine struct {
	Name string // for messages: "SQLite"
	// Schemes are the URL schemes (scheme://…) that name the engine.
	Schemes []string
	// Open opens the ledger at dsn, creating it and applying the engine's
	// migrations as needed, once however many processes open it at once.
	Open func(ctx context.Context, dsn string) (Ledger, error)
	// Check checks the ledger at dsn without changing it and without
	// migrating it (db check): a schema this makegood does not know is a
	// finding, not a reason to stop.
	Check func(ctx context.Context, dsn string) (ledger.CheckResult, error)
	// Exists reports whether a ledger is at dsn, without creating one
	// (shell completion must not write anything).
	Exists func(ctx context.Context, dsn string) (bool, error)
	// Restore replaces the ledger at dsn with a copy of the backup file
	// src (db restore); nil when the engine's ledger is not a file.
	Restore func(ctx context.Context, src, dsn string, replace bool, now time.Time) (kept string, res ledger.CheckResult, err error)
	// File is set when dsn is a file path, the ledger file itself, beside
	// which makegood keeps the outbox and backups.
	File bool
	// Tools names what backs up and restores a ledger of an engine whose
	// ledger is not a file, for messages.
	Tools string
	// Load makes the ledger at dsn a copy of what src reads, with the
	// ledger identity given, in one transaction on a ledger that holds
	// nothing (db copy); it returns how many rows each table got.
	Load func(ctx context.Context, dsn, identity string, src tables.Reader) (map[string]int64, error)
}

// Engines lists the engines of this build. This is the one place an
// engine is registered. PostgreSQL's Restore stays nil: pg_dump and
// pg_restore back it up (and db copy moves a ledger between engines).
func Engines() []Engine {
	return []Engine{
		{
			Name: "SQLite", Schemes: []string{"sqlite"}, File: true,
			Open:    func(ctx context.Context, dsn string) (Ledger, error) { return sqlite.Open(ctx, dsn) },
			Check:   sqlite.CheckFile,
			Exists:  fileExists,
			Restore: sqlite.Restore,
			Load:    sqlite.Load,
		},
		{
			Name: "PostgreSQL", Schemes: []string{"postgres", "postgresql"},
			Open:   func(ctx context.Context, dsn string) (Ledger, error) { return postgres.Open(ctx, dsn) },
			Check:  postgres.CheckDSN,
			Exists: postgres.Exists,
			Tools:  "pg_dump and pg_restore",
			Load:   postgres.Load,
		},
	}
}

// Location is where a ledger is: its engine, and what the engine opens
// (SQLite's file path, PostgreSQL's URL).
type Location struct {
	Engine Engine
	DSN    string
}

// String names the ledger in messages: the path, or the URL with its
// password left out.
func (l Location) String() string {
	if l.Engine.File {
		return l.DSN
	}
	if u, err := url.Parse(l.DSN); err == nil {
		return u.Redacted()
	}
	return l.Engine.Name + " ledger"
}

// File is the ledger's file, for an engine that keeps it in one.
func (l Location) File() (string, bool) {
	if l.Engine.File {
		return l.DSN, true
	}
	return "", false
}

// Parse reads a --db value: a file path or a sqlite: URL (sqlite:PATH,
// sqlite:/ABS/PATH, sqlite:///ABS/PATH) is SQLite; postgres:// and
// postgresql:// are PostgreSQL. A URL is never taken for a file name: any
// other scheme://… is an error, naming field, as is a URL of an engine
// this build does not have (exit status 2).
func Parse(field, s string) (Location, error) {
	if s == "" {
		return Location{}, ledger.Fieldf(field, "the ledger path is empty")
	}
	engines := Engines()
	scheme, rest, isURL := splitScheme(s)
	if !isURL {
		return Location{Engine: engines[0], DSN: s}, nil
	}
	var e *Engine
	for i := range engines {
		for _, sc := range engines[i].Schemes {
			if strings.EqualFold(sc, scheme) {
				e = &engines[i]
			}
		}
	}
	switch {
	case e == nil && strings.HasPrefix(rest, "//"):
		return Location{}, ledger.Fieldf(field, "%s is a %s:// URL, and makegood keeps its ledger in a file (a path, or sqlite:PATH) "+
			"or in PostgreSQL (postgres://…)", redact(s), scheme)
	case e == nil:
		// name:rest without // is a file name that has a colon in it.
		return Location{Engine: engines[0], DSN: s}, nil
	case e.File:
		path, err := filePath(field, s, rest)
		if err != nil {
			return Location{}, err
		}
		return Location{Engine: *e, DSN: path}, nil
	case !strings.HasPrefix(rest, "//"):
		return Location{}, ledger.Fieldf(field, "%s is not a %s URL: write %s://USER@HOST/DATABASE", redact(s), e.Name, scheme)
	case e.Open == nil:
		return Location{}, ledger.Fieldf(field, "the %s engine is not in this build", e.Name)
	}
	return Location{Engine: *e, DSN: s}, nil
}

// splitScheme finds a URL scheme (RFC 3986: a letter, then letters,
// digits, +, - and .) before the first colon. One letter is a Windows
// drive (C:\ledger.db), not a scheme.
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 2 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return s[:i], s[i+1:], true
}

// filePath is the file a sqlite: URL names: sqlite:PATH as written
// (relative to the working directory, or absolute), or sqlite:///ABS with
// an empty host. The path is taken as written, not percent-decoded.
func filePath(field, s, rest string) (string, error) {
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		host, path, _ := strings.Cut(after, "/")
		if host != "" {
			return "", ledger.Fieldf(field, "%s names a host (%s); a SQLite ledger is a file: write sqlite:PATH or sqlite:///ABSOLUTE/PATH",
				s, host)
		}
		rest = "/" + path
	}
	if rest == "" || rest == "/" {
		return "", ledger.Fieldf(field, "%s names no file", s)
	}
	return rest, nil
}

// redact hides a URL's password, for messages: also in a URL missing its
// // (postgres:USER:PASSWORD@HOST), which url.Parse takes as opaque and
// does not redact.
func redact(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "the URL"
	case u.Opaque != "":
		at := strings.LastIndexByte(u.Opaque, '@')
		if at < 0 {
			return s
		}
		if user, _, ok := strings.Cut(u.Opaque[:at], ":"); ok {
			return u.Scheme + ":" + user + ":xxxxx" + u.Opaque[at:]
		}
		return s
	}
	return u.Redacted()
}

// Open opens the ledger at loc.
func Open(ctx context.Context, loc Location) (Ledger, error) {
	return loc.Engine.Open(ctx, loc.DSN)
}

// Check checks the ledger at loc without changing it (db check).
func Check(ctx context.Context, loc Location) (ledger.CheckResult, error) {
	return loc.Engine.Check(ctx, loc.DSN)
}

// Load makes the ledger at loc a copy of what src reads (db copy).
func Load(ctx context.Context, loc Location, identity string, src tables.Reader) (map[string]int64, error) {
	return loc.Engine.Load(ctx, loc.DSN, identity, src)
}

// Exists reports whether a ledger is at loc, creating nothing.
func Exists(ctx context.Context, loc Location) (bool, error) {
	return loc.Engine.Exists(ctx, loc.DSN)
}

// Restore replaces the ledger at loc with a copy of the backup file src
// (db restore), for an engine whose ledger is a file.
func Restore(ctx context.Context, src string, loc Location, replace bool, now time.Time) (kept string, res ledger.CheckResult, err error) {
	if loc.Engine.Restore == nil {
		tools := loc.Engine.Name + "'s own tools"
		if loc.Engine.Tools != "" {
			tools += " (" + loc.Engine.Tools + ")"
		}
		return "", res, ledger.Fieldf("--db", "db restore replaces a ledger file, and a %s ledger is not one: "+
			"restore it with %s, or copy a SQLite backup into it with makegood db copy --db BACKUP --to URL", loc.Engine.Name, tools)
	}
	return loc.Engine.Restore(ctx, src, loc.DSN, replace, now)
}

func fileExists(_ context.Context, path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case os.IsNotExist(err):
		return false, nil
	}
	return false, fmt.Errorf("ledger %s: %w", path, err)
}
