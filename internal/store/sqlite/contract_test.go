package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/ledger/ledgertest"
	"github.com/makegood/makegood/internal/store/sqlite"
)

// TestContract runs the contract every engine keeps (ledgertest) on
// SQLite: a new ledger file for each of its tests.
func TestContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledger.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ledger.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
