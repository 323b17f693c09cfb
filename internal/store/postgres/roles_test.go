package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/ledger/ledgertest"
	"github.com/makegood/makegood/internal/store/postgres"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

// roles are an owner and an application role made as README's "Teams:
// PostgreSQL" says, with the grants it documents, run as written.
type roles struct {
	server, owner, app string
	grants             string
}

// readmeGrants is the SQL README gives for the application role's
// privileges, between its markers.
func readmeGrants(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- grants:[^>]*-->\\s*```sql\\n(.*?)```\\s*<!-- end of grants -->").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no grants block between <!-- grants: … --> and <!-- end of grants -->")
	}
	return string(m[1])
}

// newRoles makes the two roles (with names of their own: roles belong to
// the whole cluster), dropped when t ends.
func newRoles(t *testing.T) *roles {
	t.Helper()
	ctx := context.Background()
	server := pgtest.Server(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	suffix := hex.EncodeToString(b)
	r := &roles{server: server, owner: "mg_owner_" + suffix, app: "mg_app_" + suffix}
	r.grants = strings.NewReplacer("makegood_owner", r.owner, "makegood_app", r.app).Replace(readmeGrants(t))
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"CREATE ROLE " + r.owner + " LOGIN PASSWORD 'owner-pw'",
		"CREATE ROLE " + r.app + " LOGIN PASSWORD 'app-pw'",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		for _, q := range []string{"DROP ROLE IF EXISTS " + r.app, "DROP ROLE IF EXISTS " + r.owner} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	return r
}

// ledger makes a database owned by the owner, creates the ledger in it as
// the owner, runs README's grants, and returns the URLs of the ledger as
// the owner and as the application role. The database is dropped when t
// ends.
func (r *roles) ledger(t *testing.T) (ownerURL, appURL string) {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "mg_roles_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, r.server)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" OWNER "+r.owner); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	db, err := pgtest.WithDatabase(r.server, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pgtest.DropDatabase(ctx, r.server, db); err != nil {
			t.Error(err)
		}
	})
	as := func(user, password string) string {
		u, err := url.Parse(db)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, password)
		return u.String()
	}
	ownerURL, appURL = as(r.owner, "owner-pw"), as(r.app, "app-pw")
	st, err := postgres.Open(ctx, ownerURL)
	if err != nil {
		t.Fatalf("create the ledger as its owner: %v", err)
	}
	st.Close()
	oc, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close(ctx)
	if _, err := oc.Exec(ctx, r.grants); err != nil {
		t.Fatalf("README's grants, run as the owner: %v", err)
	}
	return ownerURL, appURL
}

// TestApplicationRole: the application role with only README's grants
// does everything makegood does (the whole contract suite, run as it),
// and is refused by privilege, before any trigger, whatever would change
// or delete what the ledger holds.
func TestApplicationRole(t *testing.T) {
	r := newRoles(t)
	t.Run("Contract", func(t *testing.T) {
		ledgertest.Run(t, func(t *testing.T) ledger.Store {
			_, app := r.ledger(t)
			st, err := postgres.Open(t.Context(), app)
			if err != nil {
				t.Fatalf("open as the application role: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("RefusedByPrivilege", func(t *testing.T) {
		ctx := context.Background()
		_, app := r.ledger(t)
		st, err := postgres.Open(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.AddCustomer(ctx, ledger.Customer{ID: "a", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "a", AmountMinor: 500, Currency: "USD", Reason: "bug", IssuedAt: t0}); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var tables []string
		rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('customers', 'schema_migrations') ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, n)
		}
		rows.Close()
		if len(tables) < 15 {
			t.Fatalf("ledger tables: %v", tables)
		}
		for _, table := range tables {
			for _, q := range []string{
				"UPDATE " + table + " SET " + firstColumn(t, conn, table) + " = " + firstColumn(t, conn, table),
				"DELETE FROM " + table,
				"TRUNCATE " + table + " CASCADE",
				"INSERT INTO " + table + " SELECT * FROM " + table + " ON CONFLICT DO NOTHING",
			} {
				_, err := conn.Exec(ctx, q)
				pe := pgErr(err)
				// The insert of what is there changes nothing and is allowed;
				// everything else is refused for lack of the privilege.
				if strings.HasPrefix(q, "INSERT") {
					if err != nil {
						t.Errorf("%s: %v", q, err)
					}
					continue
				}
				if pe == nil || pe.Code != "42501" || !strings.Contains(pe.Message, "permission denied") {
					t.Errorf("%s: %v, want permission denied", q, err)
				}
			}
		}
		// Nor may it touch the schema: the triggers stay as they are.
		for _, q := range []string{
			"DROP TRIGGER credits_no_update ON credits",
			"ALTER TABLE credits DISABLE TRIGGER credits_no_update",
			"CREATE OR REPLACE FUNCTION makegood_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
			"CREATE TABLE sneaky (x int)",
		} {
			if _, err := conn.Exec(ctx, q); err == nil || pgErr(err) == nil || pgErr(err).Code != "42501" {
				t.Errorf("%s: %v, want refused by privilege", q, err)
			}
		}
		// And db check, which needs to make nothing, finds it sound.
		res, err := st.Check(ctx)
		if err != nil || !res.Sound() {
			t.Fatalf("db check as the application role: %+v, %v", res, err)
		}
	})
	t.Run("MigratesOnlyAsOwner", func(t *testing.T) {
		ctx := context.Background()
		owner, app := r.ledger(t)
		oc, err := pgx.Connect(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		defer oc.Close(ctx)
		// A newer makegood's migration, as the application role would meet it.
		if _, err := oc.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		if _, err := postgres.Open(ctx, app); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Fatalf("open an older ledger as the application role: %v, want its migration refused", err)
		}
	})
}

func firstColumn(t *testing.T, conn *pgx.Conn, table string) string {
	t.Helper()
	var col string
	if err := conn.QueryRow(context.Background(), `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum = 1`, table).Scan(&col); err != nil {
		t.Fatal(err)
	}
	return col
}
