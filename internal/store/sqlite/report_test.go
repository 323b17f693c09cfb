package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/report/reporttest"
	"github.com/makegood/makegood/internal/store/sqlite"
)

func filled(t *testing.T) *sqlite.Ledger {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reporttest.Fill(t, st)
	return st
}

func fixtureQuery() report.Query {
	to := reporttest.Now
	return report.Query{From: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), To: to,
		RepeatSince: to.AddDate(-1, 0, 0), RecoveredSince: to.AddDate(-1, 0, 0)}
}

// TestReportQueryPlans proves the money queries walk the report indexes:
// the monthly sums read credit_entries_by_month in order, with no
// temporary B-tree for the GROUP BY.
func TestReportQueryPlans(t *testing.T) {
	plans, err := filled(t).ReportPlans(context.Background(), fixtureQuery())
	if err != nil {
		t.Fatal(err)
	}
	flows := strings.Join(plans["flows"], "\n")
	if !strings.Contains(flows, "COVERING INDEX credit_entries_by_month") || strings.Contains(flows, "TEMP B-TREE") {
		t.Errorf("flows plan:\n%s", flows)
	}
	for _, name := range []string{"expiries", "after_expiry"} {
		if p := strings.Join(plans[name], "\n"); !strings.Contains(p, "COVERING INDEX credit_entries_by_expiry") {
			t.Errorf("%s plan:\n%s", name, p)
		}
	}
}
