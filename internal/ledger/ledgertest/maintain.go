package ledgertest

import (
	"github.com/makegood/makegood/internal/report/reporttest"
)

func maintainTests() []contractTest {
	return []contractTest{
		{"CheckASoundLedger", testCheckASoundLedger},
		{"CheckAnEmptyLedger", testCheckAnEmptyLedger},
	}
}

// testCheckASoundLedger: the report fixture (every kind of entry,
// expiries, a void after an expiry, gestures, incidents, notes) is sound,
// and the check counts what it checked.
func testCheckASoundLedger(e *env) {
	t := e.t
	reporttest.Fill(t, e.st)
	res, err := e.maintainer().Check(e.ctx)
	e.must(err)
	if !res.Sound() {
		t.Fatalf("findings on a sound ledger: %v", res.Findings)
	}
	n := e.counts()
	if res.SchemaVersion != res.Latest || res.Latest == 0 || res.Triggers == 0 || res.Credits != int64(n.Credits) || res.Entries != int64(n.Entries) {
		t.Errorf("checked version %d of %d, %d triggers, %d credits and %d entries; the ledger has %d and %d",
			res.SchemaVersion, res.Latest, res.Triggers, res.Credits, res.Entries, n.Credits, n.Entries)
	}
}

func testCheckAnEmptyLedger(e *env) {
	res, err := e.maintainer().Check(e.ctx)
	e.must(err)
	if !res.Sound() || res.Credits != 0 || res.Entries != 0 || res.SchemaVersion != res.Latest {
		e.t.Fatalf("a new ledger: %+v", res)
	}
}
