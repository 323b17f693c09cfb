package postgres_test

import (
	"os"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/ledger/ledgertest"
	"github.com/makegood/makegood/internal/store/postgres"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestContract runs the contract every engine keeps (ledgertest) on
// PostgreSQL: a new database for each of its tests.
func TestContract(t *testing.T) {
	pgtest.Server(t) // skips (or in CI fails) once, not in every test
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		st, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
