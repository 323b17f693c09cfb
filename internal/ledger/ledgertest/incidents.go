package ledgertest

import (
	"errors"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func incidentTests() []contractTest {
	return []contractTest{
		{"IncidentLifecycle", testIncidentLifecycle},
		{"OpenIncidentUnknownCustomerLeavesNothing", testOpenIncidentUnknownCustomerLeavesNothing},
		{"IncidentImpact", testIncidentImpact},
		{"FixCorrections", testFixCorrections},
		{"Apologies", testApologies},
		{"RecordResolutionIsAtomic", testRecordResolutionIsAtomic},
		{"GoodwillTotals", testGoodwillTotals},
	}
}

func testIncidentLifecycle(e *env) {
	t := e.t
	e.addCustomer("b", "USD")
	e.addCustomer("a", "USD")
	inc := e.openIncident(ledger.NewIncident{Title: "Login outage", What: "Logins failed.", Severity: "high",
		StartedAt: t0.Add(-5 * time.Hour), ReportedAt: t0.Add(-4 * time.Hour), Customers: []string{"b", "a"}})
	if inc.ID == 0 || inc.Severity != "high" || inc.Status() != ledger.IncidentOpen || inc.What != "Logins failed." ||
		strings.Join(inc.Customers, ",") != "a,b" || !inc.StartedAt.Equal(t0.Add(-5*time.Hour)) ||
		!inc.ReportedAt.Equal(t0.Add(-4*time.Hour)) || !inc.CreatedAt.Equal(t0) {
		t.Fatalf("opened %+v", inc)
	}
	if d := inc.Downtime(t0); d != 5*time.Hour {
		t.Fatalf("downtime while open = %s, want 5h to now", d)
	}
	if _, ok := inc.TimeToFix(); ok {
		t.Fatal("an open incident has a time to fix")
	}
	second := e.openIncident(ledger.NewIncident{Title: "Slow exports"})
	if second.Severity != ledger.SeverityNormal || len(second.Customers) != 0 || second.ID == inc.ID {
		t.Fatalf("defaults: %+v", second)
	}

	var fe *ledger.FieldError
	if _, err := e.st.FixIncident(e.ctx, inc.ID, t0.Add(-6*time.Hour), t0); !errors.As(err, &fe) || fe.Field != "fixed_at" {
		t.Fatalf("fix before the start: %v", err)
	}
	fixed, err := e.st.FixIncident(e.ctx, inc.ID, t0.Add(-2*time.Hour), t0)
	e.must(err)
	if fixed.Status() != ledger.IncidentFixed || !fixed.FixedAt.Equal(t0.Add(-2*time.Hour)) {
		t.Fatalf("fixed %+v", fixed)
	}
	if ttf, ok := fixed.TimeToFix(); !ok || ttf != 2*time.Hour {
		t.Fatalf("time to fix %s %v, want 2h from the report", ttf, ok)
	}
	if d := fixed.Downtime(t0.Add(100 * time.Hour)); d != 3*time.Hour {
		t.Fatalf("downtime after the fix = %s, want 3h whatever the clock", d)
	}
	if _, err := e.st.FixIncident(e.ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "already fixed") {
		t.Fatalf("second fix: %v", err)
	}
	if _, err := e.st.FixIncident(e.ctx, 99, t0, t0); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("fix unknown: %v", err)
	}

	titles := func(f ledger.IncidentFilter) string {
		t.Helper()
		got, err := e.st.Incidents(e.ctx, f)
		e.must(err)
		var out []string
		for _, i := range got {
			out = append(out, i.Title)
		}
		return strings.Join(out, ",")
	}
	for f, want := range map[ledger.IncidentFilter]string{
		{}:                               "Slow exports,Login outage",
		{Status: ledger.IncidentOpen}:    "Slow exports",
		{Status: ledger.IncidentFixed}:   "Login outage",
		{Customer: "a"}:                  "Login outage",
		{Customer: "nobody"}:             "",
		{Limit: 1}:                       "Slow exports",
		{Customer: "b", Status: "fixed"}: "Login outage",
	} {
		if got := titles(f); got != want {
			t.Errorf("Incidents(%+v) = %q, want %q", f, got, want)
		}
	}
	if _, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{Status: "closed"}); !errors.As(err, &fe) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := e.st.Incident(e.ctx, 42); !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), `incident 42 not found`) {
		t.Fatalf("unknown incident: %v", err)
	}
}

func testOpenIncidentUnknownCustomerLeavesNothing(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	before := e.dump()
	_, err := e.st.OpenIncident(e.ctx, ledger.NewIncident{Title: "x", What: "y", StartedAt: t0,
		ReportedAt: t0, CreatedAt: t0, Customers: []string{"a", "ghost"}})
	if !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err = %v", err)
	}
	var fe *ledger.FieldError
	if _, err := e.st.OpenIncident(e.ctx, ledger.NewIncident{Title: "x", What: "y", StartedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		ReportedAt: t0, CreatedAt: t0}); !errors.As(err, &fe) {
		t.Fatalf("a start in the year 10000: %v", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("a refused open wrote:\n%s", after)
	}
}

// testIncidentImpact: an incident records how much of the service it took
// away; an outage (the default) is all of it.
func testIncidentImpact(e *env) {
	t := e.t
	full := e.openIncident(ledger.NewIncident{})
	degraded := e.openIncident(ledger.NewIncident{ImpactBP: 3000})
	if full.ImpactBP != ledger.FullImpact || degraded.ImpactBP != 3000 {
		t.Fatalf("impacts %d %d", full.ImpactBP, degraded.ImpactBP)
	}
	if got, err := e.st.Incident(e.ctx, degraded.ID); err != nil || got.ImpactBP != 3000 {
		t.Fatalf("read back %+v %v", got, err)
	}
}

// testFixCorrections: a wrongly recorded fix is corrected by appending,
// never by an edit: the latest correction is the fix time in every
// figure, and the first record stays.
func testFixCorrections(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	inc := e.openIncident(ledger.NewIncident{StartedAt: t0.Add(-10 * time.Hour), ReportedAt: t0.Add(-8 * time.Hour),
		Customers: []string{"a"}})
	if _, err := e.st.CorrectFix(e.ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), "no fix to correct") {
		t.Fatalf("correcting an open incident: %v", err)
	}
	if fixes, err := e.st.Fixes(e.ctx, inc.ID); err != nil || len(fixes) != 0 {
		t.Fatalf("fixes of an open incident: %+v %v", fixes, err)
	}
	if _, err := e.st.FixIncident(e.ctx, inc.ID, t0, t0); err != nil { // recorded at the time it was typed, wrongly
		t.Fatal(err)
	}
	var fe *ledger.FieldError
	if _, err := e.st.CorrectFix(e.ctx, inc.ID, t0.Add(-11*time.Hour), t0); !errors.As(err, &fe) || fe.Field != "fixed_at" {
		t.Fatalf("a correction before the start: %v", err)
	}
	if _, err := e.st.CorrectFix(e.ctx, 99, t0, t0); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("correcting an unknown incident: %v", err)
	}
	got, err := e.st.CorrectFix(e.ctx, inc.ID, t0.Add(-7*time.Hour), t0.Add(time.Minute))
	e.must(err)
	if !got.FixedAt.Equal(t0.Add(-7*time.Hour)) || got.Corrections != 1 {
		t.Fatalf("after one correction: %+v", got)
	}
	if ttf, _ := got.TimeToFix(); ttf != time.Hour {
		t.Fatalf("time to fix %s, want 1h from the report to the corrected fix", ttf)
	}
	if d := got.Downtime(t0); d != 3*time.Hour {
		t.Fatalf("downtime %s, want 3h", d)
	}
	// A second correction wins over the first, in the list too.
	if _, err := e.st.CorrectFix(e.ctx, inc.ID, t0.Add(-6*time.Hour), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	list, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{Status: ledger.IncidentFixed})
	if err != nil || len(list) != 1 || !list[0].FixedAt.Equal(t0.Add(-6*time.Hour)) || list[0].Corrections != 2 {
		t.Fatalf("listed: %+v %v", list, err)
	}
	fixes, err := e.st.Fixes(e.ctx, inc.ID)
	e.must(err)
	if len(fixes) != 3 || fixes[0].Correction || !fixes[0].FixedAt.Equal(t0) ||
		!fixes[1].Correction || !fixes[1].FixedAt.Equal(t0.Add(-7*time.Hour)) ||
		!fixes[2].Correction || !fixes[2].FixedAt.Equal(t0.Add(-6*time.Hour)) || !fixes[2].RecordedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("fixes %+v", fixes)
	}
	// A second fix is still refused: corrections are the only way.
	if _, err := e.st.FixIncident(e.ctx, inc.ID, t0, t0); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second fix: %v", err)
	}
	// Goodwill reads the corrected fix: 4h of downtime.
	if got, err := e.st.Incident(e.ctx, inc.ID); err != nil || got.Downtime(t0) != 4*time.Hour {
		t.Fatalf("downtime after two corrections: %+v %v", got, err)
	}
}

func testApologies(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	one := e.openIncident(ledger.NewIncident{Customers: []string{"a"}})
	two := e.openIncident(ledger.NewIncident{Title: "Exports"})
	rec := func(customer string, inc int64, body string) ledger.Apology {
		t.Helper()
		a, err := e.st.RecordApology(e.ctx, ledger.NewApology{Customer: customer, Incident: inc, Body: body, RecordedAt: t0})
		e.must(err)
		return a
	}
	first := rec("a", one.ID, "Logins failed for four hours. It is fixed.")
	if first.Via != "email" || first.Status != ledger.ApologySent || first.ID == 0 || first.Customer != "a" ||
		first.Incident != one.ID || !first.RecordedAt.Equal(t0) {
		t.Fatalf("defaults: %+v", first)
	}
	if got, err := e.st.Apology(e.ctx, first.ID); err != nil || got.Body != first.Body || got.Status != ledger.ApologySent {
		t.Fatalf("read back %+v %v", got, err)
	}
	rec("b", one.ID, "b one")
	rec("b", two.ID, "b two")
	if inc, _ := e.st.Incident(e.ctx, two.ID); strings.Join(inc.Customers, ",") != "b" {
		t.Fatalf("an apology adds its customer to the incident: %v", inc.Customers)
	}
	bodies := func(f ledger.ApologyFilter) string {
		t.Helper()
		as, err := e.st.Apologies(e.ctx, f)
		e.must(err)
		var out []string
		for _, a := range as {
			out = append(out, a.Body)
		}
		return strings.Join(out, "|")
	}
	for f, want := range map[ledger.ApologyFilter]string{
		{}:                                "b two|b one|Logins failed for four hours. It is fixed.",
		{Customer: "b"}:                   "b two|b one",
		{Incident: one.ID}:                "b one|Logins failed for four hours. It is fixed.",
		{Customer: "b", Incident: two.ID}: "b two",
		{Limit: 1}:                        "b two",
		{Customer: "a", Incident: two.ID}: "",
		{Customer: "nobody", Limit: 5}:    "",
	} {
		if got := bodies(f); got != want {
			t.Errorf("Apologies(%+v) = %q, want %q", f, got, want)
		}
	}
	for _, bad := range []ledger.NewApology{
		{Customer: "ghost", Incident: one.ID, Body: "x", RecordedAt: t0},
		{Customer: "a", Incident: 99, Body: "x", RecordedAt: t0},
	} {
		if _, err := e.st.RecordApology(e.ctx, bad); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("%+v: err = %v, want not found", bad, err)
		}
	}
	if _, err := e.st.Apology(e.ctx, 99); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("unknown apology: %v", err)
	}
	if n := e.counts(); n.Apologies != 3 {
		t.Fatalf("apologies = %d", n.Apologies)
	}
}

func testRecordResolutionIsAtomic(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	inc := e.openIncident(ledger.NewIncident{Customers: []string{"a"}})
	fixAt := t0.Add(-time.Hour)

	res, err := e.st.RecordResolution(e.ctx, ledger.Resolution{
		Incident: inc.ID, Customer: "a", At: t0, FixedAt: &fixAt,
		Apology: &ledger.NewApology{Body: "Logins failed. It is fixed. $25 is on your account.", RecordedAt: t0},
		Credits: []ledger.NewCredit{
			{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0},
		},
	})
	e.must(err)
	if !res.FixRecorded || res.Incident.FixedAt == nil || !res.Incident.FixedAt.Equal(fixAt) {
		t.Fatalf("fix: %+v", res)
	}
	if res.Apology == nil || res.Apology.Customer != "a" || res.Apology.Incident != inc.ID {
		t.Fatalf("apology: %+v", res.Apology)
	}
	if len(res.Credits) != 1 || res.Credits[0].IncidentID != inc.ID || res.Credits[0].Customer != "a" || !res.Created[0] {
		t.Fatalf("credits: %+v %v", res.Credits, res.Created)
	}
	// One compensation per resolution.
	if _, err := e.st.RecordResolution(e.ctx, ledger.Resolution{Incident: inc.ID, Customer: "a", At: t0, Credits: []ledger.NewCredit{
		{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0},
		{Gesture: "a handwritten card", Reason: "goodwill", IssuedAt: t0},
	}}); err == nil {
		t.Fatal("a resolution with two credits was recorded")
	}

	// A second customer of the same incident keeps the first fix time.
	later := t0
	res, err = e.st.RecordResolution(e.ctx, ledger.Resolution{Incident: inc.ID, Customer: "b", At: t0, FixedAt: &later,
		Apology: &ledger.NewApology{Body: "b", RecordedAt: t0}})
	e.must(err)
	if res.FixRecorded || !res.Incident.FixedAt.Equal(fixAt) || strings.Join(res.Incident.Customers, ",") != "a,b" {
		t.Fatalf("second resolution: %+v", res)
	}

	// Anything refused leaves nothing behind: here the credit has no
	// amount, found out after the apology and the fix.
	other := e.openIncident(ledger.NewIncident{Title: "Exports"})
	before := e.dump()
	var fe *ledger.FieldError
	_, err = e.st.RecordResolution(e.ctx, ledger.Resolution{Incident: other.ID, Customer: "b", At: t0, FixedAt: &later,
		Apology: &ledger.NewApology{Body: "Exports failed.", RecordedAt: t0},
		Credits: []ledger.NewCredit{
			{AmountMinor: 0, Currency: "USD", Reason: "bug", IssuedAt: t0},
		}})
	if !errors.As(err, &fe) || fe.Field != "amount" {
		t.Fatalf("err = %v, want an amount error", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("a refused resolution wrote:\n%s\nwas:\n%s", after, before)
	}
	if _, err := e.st.RecordResolution(e.ctx, ledger.Resolution{Incident: other.ID, Customer: "b", At: t0,
		Apology: &ledger.NewApology{Body: "  "}}); !errors.As(err, &fe) || fe.Field != "apology" {
		t.Fatalf("empty apology: %v", err)
	}
	if _, err := e.st.RecordResolution(e.ctx, ledger.Resolution{Incident: 99, Customer: "b", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("refused resolutions wrote:\n%s\nwas:\n%s", after, before)
	}
}

func testGoodwillTotals(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	day := 24 * time.Hour
	at := func(d time.Duration) ledger.NewIncident {
		return ledger.NewIncident{StartedAt: t0.Add(d), ReportedAt: t0.Add(d), Customers: []string{"a"}}
	}
	e.openIncident(at(-400 * day)) // outside the window
	e.openIncident(at(-200 * day))
	e.openIncident(at(-10 * day))
	current := e.openIncident(at(-time.Hour))
	e.openIncident(ledger.NewIncident{StartedAt: t0.Add(-5 * day), ReportedAt: t0.Add(-5 * day), Customers: []string{"b"}})

	credit := func(customer string, minor int64, currency string, when time.Time) ledger.Credit {
		return e.issue(ledger.NewCredit{Customer: customer, AmountMinor: minor, Currency: currency, IssuedAt: when})
	}
	credit("a", 1000, "USD", t0.Add(-300*day))                                          // in the 12 months, not this month
	credit("a", 7777, "USD", t0.Add(-500*day))                                          // too old
	credit("a", 5000, "EUR", t0.Add(-day))                                              // another currency
	used := credit("a", 2500, "USD", t0.Add(-2*day))                                    // this month; 1000 used, the rest voided
	credit("b", 4000, "USD", t0.Add(-3*day))                                            // another customer, this month
	credit("b", 300, "USD", t0.AddDate(0, -1, 0))                                       // last month
	e.issue(ledger.NewCredit{Customer: "b", Gesture: "a card", IssuedAt: t0.Add(-day)}) // no money
	if _, _, err := e.st.ApplyCredit(e.ctx, ledger.Apply{Credit: used.ID, AmountMinor: 1000, Invoice: "in_1", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.VoidCredit(e.ctx, used.ID, "too much", t0); err != nil {
		t.Fatal(err)
	}

	got, err := e.st.GoodwillTotals(e.ctx, ledger.GoodwillQuery{
		Customer: "a", Currency: "USD", ExcludeIncident: current.ID,
		Since: t0.AddDate(-1, 0, 0), Until: t0.Add(time.Second),
		MonthStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), MonthEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	e.must(err)
	want := ledger.GoodwillTotals{Incidents: 2, CreditedMinor: 1000 + 1000, GivenThisMonthMinor: 1000 + 4000}
	if got != want {
		t.Fatalf("totals %+v, want %+v", got, want)
	}
}
