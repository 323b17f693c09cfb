package thanks

import (
	"github.com/makegood/makegood/internal/ledger"
	"testing"
	"time"
)

func TestCameIsTheDayTheOccasionCame(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	now := day("2025-03-10").Add(15 * time.Hour)
	leap := ledger.Customer{ID: "leap", Since: day("2020-02-29")}
	fresh := ledger.Customer{ID: "fresh", Since: day("2025-03-01")}
	// No cool-down: it would defer fresh's second note, and this is about when
	// each occasion came.
	items := Due([]ledger.Customer{leap, fresh}, nil, now, DueOptions{CooldownDays: -1, Recoveries: []Recovery{{
		CustomerID: "fresh", IncidentID: "7", Fixed: day("2025-03-02").Add(time.Hour), Compensated: day("2025-03-04").Add(time.Hour)}}})
	got := map[string]string{}
	for _, it := range items {
		got[it.Customer.ID+" "+string(it.Occasion)] = it.Came().Format(time.DateOnly)
	}
	want := map[string]string{
		"leap anniversary":     "2025-02-28", // a leap-day customer's anniversary in a common year
		"fresh welcome":        "2025-03-01",
		"fresh after_recovery": "2025-03-04", // the later of the fix and the credit
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s came %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if n := DaysSince(day("2025-02-28"), now); n != 10 {
		t.Errorf("DaysSince = %d, want 10", n)
	}
	if c := (DueItem{Occasion: JustBecause}).Came(); !c.IsZero() {
		t.Errorf("just_because came %v, want zero", c)
	}
}
