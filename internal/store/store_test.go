package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in, engine, dsn string
	}{
		{"ledger.db", "SQLite", "ledger.db"},
		{"/var/lib/makegood/ledger.db", "SQLite", "/var/lib/makegood/ledger.db"},
		{"sqlite:ledger.db", "SQLite", "ledger.db"},
		{"sqlite:/abs/ledger.db", "SQLite", "/abs/ledger.db"},
		{"sqlite:///abs/ledger.db", "SQLite", "/abs/ledger.db"},
		{"SQLITE:///abs/ledger.db", "SQLite", "/abs/ledger.db"},
		{`C:\Users\ana\ledger.db`, "SQLite", `C:\Users\ana\ledger.db`},
		{"backup:2026.db", "SQLite", "backup:2026.db"}, // a colon in a file name, no //
		{"./mysql://x", "SQLite", "./mysql://x"},       // a path, however odd
	} {
		loc, err := Parse("--db", tt.in)
		if err != nil || loc.Engine.Name != tt.engine || loc.DSN != tt.dsn {
			t.Errorf("Parse(%q) = %s %q, %v; want %s %q", tt.in, loc.Engine.Name, loc.DSN, err, tt.engine, tt.dsn)
		}
		if path, ok := loc.File(); !ok || path != tt.dsn {
			t.Errorf("Parse(%q).File() = %q, %v", tt.in, path, ok)
		}
	}
}

func TestParseRefusesWhatIsNotALedger(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "--db: the ledger path is empty",
		"sqlite:":                               "--db: sqlite: names no file",
		"sqlite://":                             "--db: sqlite:// names no file",
		"sqlite://host/ledger.db":               "names a host (host)",
		"postgres:ledger":                       "is not a PostgreSQL URL",
		"postgresql:/ledger":                    "is not a PostgreSQL URL",
		"mysql://root@localhost/ledger":         `--db: mysql://root@localhost/ledger is a mysql:// URL`,
		"https://example.com/ledger.db":         "is a https:// URL",
		"file:///home/ana/ledger.db":            "is a file:// URL",
		"mysql://root:hunter2@localhost/ledger": "mysql://root:xxxxx@localhost/ledger",
		"postgres:ana:hunter2@db.example/ldgr":  "postgres:ana:xxxxx",
	} {
		_, err := Parse("--db", in)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != "--db" || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v; want a --db error containing %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q): the error shows the password: %v", in, err)
		}
	}
}

// TestParsePostgres: postgres:// and postgresql:// URLs are PostgreSQL
// ledgers, opened as written (pgx reads them), never files.
func TestParsePostgres(t *testing.T) {
	for _, in := range []string{
		"postgres://ana@db.example/ledger",
		"postgresql://ana@db.example:5433/ledger?sslmode=require",
		"POSTGRES://ana:hunter2@db.example/ledger",
		"postgres://ana@db.example/ledger?search_path=makegood",
	} {
		loc, err := Parse("--db", in)
		if err != nil || loc.Engine.Name != "PostgreSQL" || loc.DSN != in || loc.Engine.Open == nil {
			t.Errorf("Parse(%q) = %s %q, %v; want PostgreSQL", in, loc.Engine.Name, loc.DSN, err)
		}
		if _, ok := loc.File(); ok {
			t.Errorf("Parse(%q) is a file", in)
		}
	}
}

func TestLocationNeverShowsAPassword(t *testing.T) {
	loc := Location{Engine: Engines()[1], DSN: "postgres://ana:hunter2@db.example/ledger"}
	if s := loc.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "db.example") {
		t.Errorf("String() = %q", s)
	}
	if _, ok := loc.File(); ok {
		t.Error("a PostgreSQL ledger is not a file")
	}
}

// TestOpenSQLite opens through the seam: the file is made, 0600, and
// Exists says so only afterwards.
func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "ledger.db")
	loc, err := Parse("--db", "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Exists(ctx, loc); ok || err != nil {
		t.Fatalf("Exists before Open = %v, %v", ok, err)
	}
	st, err := Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ledger file: %v, %v", fi, err)
	}
	if ok, err := Exists(ctx, loc); !ok || err != nil {
		t.Fatalf("Exists after Open = %v, %v", ok, err)
	}
	res, err := Check(ctx, loc)
	if err != nil || !res.Sound() || res.SchemaVersion != res.Latest {
		t.Fatalf("Check: %+v, %v", res, err)
	}
}

// TestOpenPostgres opens through the seam: Exists says no before Open
// and yes after, and Check finds the new ledger sound.
func TestOpenPostgres(t *testing.T) {
	ctx := context.Background()
	loc, err := Parse("--db", pgtest.NewDatabase(t))
	if err != nil || loc.Engine.Name != "PostgreSQL" {
		t.Fatalf("Parse: %+v, %v", loc, err)
	}
	if ok, err := Exists(ctx, loc); ok || err != nil {
		t.Fatalf("Exists before Open = %v, %v", ok, err)
	}
	st, err := Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ok, err := Exists(ctx, loc); !ok || err != nil {
		t.Fatalf("Exists after Open = %v, %v", ok, err)
	}
	res, err := Check(ctx, loc)
	if err != nil || !res.Sound() || res.SchemaVersion != res.Latest {
		t.Fatalf("Check: %+v, %v", res, err)
	}
	if _, err := st.Backup(ctx, "backup.db", false); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("Backup: %v, want it to point to pg_dump", err)
	}
}

// TestRestoreOnlyForFiles: an engine without Restore says so, naming --db.
func TestRestoreOnlyForFiles(t *testing.T) {
	loc := Location{Engine: Engine{Name: "PostgreSQL"}, DSN: "postgres://db.example/ledger"}
	_, _, err := Restore(context.Background(), "backup.db", loc, false, testTime)
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || fe.Field != "--db" || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("Restore: %v", err)
	}
}

var testTime = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
