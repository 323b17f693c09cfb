package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/makegood/makegood/internal/store/sqlite"
)

// TestCheckFileOnASoundLedger: the fixture (every kind of entry, expiries,
// a void after an expiry, gestures, incidents, notes) is sound, and every
// trigger the ledger has is one the check expects, counted from the
// ledger itself rather than written down here.
func TestCheckFileOnASoundLedger(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	res, err := sqlite.CheckFile(ctx, st.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Sound() {
		t.Fatalf("findings on a sound ledger: %v", res.Findings)
	}
	var triggers int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Triggers != triggers || triggers == 0 || res.SchemaVersion != v || res.Latest != v || res.Credits == 0 {
		t.Errorf("checked %d triggers (ledger has %d), version %d/%d (ledger %d), %d credits",
			res.Triggers, triggers, res.SchemaVersion, res.Latest, v, res.Credits)
	}
}

// TestBackupIsTheLedger: a backup answers every query as the ledger does.
func TestBackupIsTheLedger(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	dest := filepath.Join(t.TempDir(), "sub", "backup.db")
	res, err := st.Backup(ctx, dest, false)
	if err != nil || !res.Sound() {
		t.Fatalf("backup: %v %v", err, res.Findings)
	}
	if _, err := st.Backup(ctx, dest, false); err == nil {
		t.Error("a second backup to the same file without replace succeeded")
	}
	b, err := sqlite.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want, _ := st.ReportFacts(ctx, fixtureQuery())
	got, err := b.ReportFacts(ctx, fixtureQuery())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Flows) != len(want.Flows) || len(got.Incidents) != len(want.Incidents) || len(got.Sent) != len(want.Sent) {
		t.Errorf("backup facts differ: %d/%d flows, %d/%d incidents", len(got.Flows), len(want.Flows), len(got.Incidents), len(want.Incidents))
	}
	for i := range want.Flows {
		if got.Flows[i] != want.Flows[i] {
			t.Errorf("flow %d: %+v, want %+v", i, got.Flows[i], want.Flows[i])
		}
	}
}
