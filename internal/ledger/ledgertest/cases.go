package ledgertest

import (
	"errors"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func caseTests() []contractTest {
	return []contractTest{
		{"RecordCaseWritesEverythingAtOnce", testRecordCaseWritesEverythingAtOnce},
		{"RecordCaseIsAtomic", testRecordCaseIsAtomic},
		{"RecordCaseOnASavedIncident", testRecordCaseOnASavedIncident},
		{"CaseKeyOpensOnce", testCaseKeyOpensOnce},
		{"CaseApologizesOnceAsSeen", testCaseApologizesOnceAsSeen},
		{"ApologyDeliveries", testApologyDeliveries},
	}
}

func newCase(fixed *time.Time, customers ...string) ledger.Case {
	c := ledger.Case{NewIncident: &ledger.NewIncident{Title: "Login outage", What: "Logins failed.",
		StartedAt: t0.Add(-5 * time.Hour), ReportedAt: t0.Add(-4 * time.Hour), CreatedAt: t0}}
	for _, id := range customers {
		c.Resolutions = append(c.Resolutions, ledger.Resolution{Customer: id, At: t0, FixedAt: fixed,
			Apology: &ledger.NewApology{Body: "Subject: Fixed\n\nSorry, " + id + ".", RecordedAt: t0, Status: ledger.ApologyQueued},
			Credits: []ledger.NewCredit{{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0}}})
	}
	return c
}

func testRecordCaseWritesEverythingAtOnce(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	fixed := t0.Add(-time.Hour)
	c := newCase(&fixed, "a", "new")
	c.NewCustomers = []ledger.Customer{{ID: "new", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}}
	c.Resolutions[1].Credits = []ledger.NewCredit{{Gesture: "a handwritten card", Reason: "outage", IssuedAt: t0}}
	res, err := e.st.RecordCase(e.ctx, c)
	e.must(err)
	inc := res.Incident
	if inc.ID == 0 || inc.FixedAt == nil || !inc.FixedAt.Equal(fixed) || strings.Join(inc.Customers, ",") != "a,new" || res.Existing {
		t.Fatalf("incident %+v", inc)
	}
	if len(res.Resolutions) != 2 || !res.Resolutions[0].FixRecorded || res.Resolutions[1].FixRecorded {
		t.Fatalf("the fix is recorded once, by the first resolution: %+v", res.Resolutions)
	}
	a := res.Resolutions[0]
	if a.Apology == nil || a.Apology.Status != ledger.ApologyQueued || a.Credits[0].IncidentID != inc.ID || a.Credits[0].AmountMinor != 2500 ||
		a.Credits[0].IdempotencyKey != ledger.CompensationKey(inc.ID, "a", 0) {
		t.Fatalf("first resolution %+v", a)
	}
	if g := res.Resolutions[1].Credits[0]; g.Gesture != "a handwritten card" || g.Customer != "new" {
		t.Fatalf("gesture %+v", g)
	}
	if n := e.counts(); n.Customers != 2 || n.Incidents != 1 || n.Fixes != 1 || n.Apologies != 2 || n.Credits != 2 {
		t.Errorf("counts %+v, want 2 customers, 1 incident and fix, 2 apologies and credits", n)
	}
}

func testRecordCaseIsAtomic(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	before := e.dump()
	fixed := t0.Add(-time.Hour)
	// The second customer is unknown: the first one's records, the new
	// customer and the incident must not stay behind.
	c := newCase(&fixed, "a", "ghost")
	c.NewCustomers = []ledger.Customer{{ID: "n", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}}
	_, err := e.st.RecordCase(e.ctx, c)
	if !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err %v", err)
	}
	if after := e.dump(); after != before {
		t.Errorf("a failed case wrote:\n%s\nwas:\n%s", after, before)
	}
	// A customer added twice in one case is refused just the same.
	c = newCase(nil, "a")
	c.NewCustomers = []ledger.Customer{{ID: "a", Period: "month", CreatedAt: t0, UpdatedAt: t0}}
	if _, err := e.st.RecordCase(e.ctx, c); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("a new customer that exists: %v", err)
	}
	if after := e.dump(); after != before {
		t.Errorf("a failed case wrote:\n%s\nwas:\n%s", after, before)
	}
}

func testRecordCaseOnASavedIncident(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	saved := newCase(nil, "a")
	saved.Resolutions[0].Credits = nil // compensation comes with the fix
	res, err := e.st.RecordCase(e.ctx, saved)
	e.must(err)
	if res.Incident.FixedAt != nil {
		t.Fatal("a case saved without a fix is fixed")
	}
	fixed := t0.Add(time.Hour)
	resume := ledger.Case{Incident: res.Incident.ID, Resolutions: []ledger.Resolution{
		{Customer: "a", At: fixed, FixedAt: &fixed, Credits: []ledger.NewCredit{{AmountMinor: 100, Currency: "USD", Reason: "outage", IssuedAt: fixed}}},
	}}
	first, err := e.st.RecordCase(e.ctx, resume)
	e.must(err)
	if n := e.counts(); first.Incident.ID != res.Incident.ID || first.Incident.FixedAt == nil || n.Apologies != 1 || n.Credits != 1 ||
		!first.Resolutions[0].Created[0] {
		t.Fatalf("resumed %+v (%+v)", first, n)
	}
	// Resumed again (a retry, or another process that read the case
	// before this one wrote), with another amount (the budget moved): the
	// customer keeps the one compensation.
	resume.Resolutions[0].Credits[0].AmountMinor = 200
	again, err := e.st.RecordCase(e.ctx, resume)
	e.must(err)
	if n := e.counts(); n.Credits != 1 || again.Resolutions[0].Created[0] || again.Resolutions[0].Credits[0].ID != first.Resolutions[0].Credits[0].ID {
		t.Fatalf("resumed twice: %d credits, %+v", n.Credits, again.Resolutions[0])
	}
	if _, err := e.st.RecordCase(e.ctx, ledger.Case{Incident: 99, Resolutions: []ledger.Resolution{{Customer: "a", At: t0}}}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a case of an unknown incident: %v", err)
	}
}

// testCaseKeyOpensOnce: a case with a case key recorded already goes on
// with its incident; its first apology is not repeated.
func testCaseKeyOpensOnce(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	c := newCase(nil, "a")
	c.NewIncident.CaseKey = ledger.CaseKey("Login outage", c.NewIncident.StartedAt, []string{"a"})
	first, err := e.st.RecordCase(e.ctx, c)
	if err != nil || first.Existing {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := e.st.RecordCase(e.ctx, c)
	if err != nil || !again.Existing || again.Incident.ID != first.Incident.ID || again.Resolutions[0].Apology != nil ||
		again.Resolutions[0].Created[0] {
		t.Fatalf("again: %+v %v", again, err)
	}
	if n := e.counts(); n.Incidents != 1 || n.Apologies != 1 || n.Credits != 1 {
		t.Errorf("counts %+v, want one incident, apology and credit", n)
	}
	incs, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{CaseKey: c.NewIncident.CaseKey})
	if err != nil || len(incs) != 1 || incs[0].ID != first.Incident.ID {
		t.Fatalf("by case key: %+v %v", incs, err)
	}
	if incs, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{CaseKey: "case:other"}); err != nil || len(incs) != 0 {
		t.Fatalf("by another case key: %+v %v", incs, err)
	}
	// Opened by the key from OpenIncident too.
	inc, err := e.st.OpenIncident(e.ctx, *c.NewIncident)
	if err != nil || inc.ID != first.Incident.ID {
		t.Fatalf("OpenIncident with the key: %+v %v", inc, err)
	}
}

// testCaseApologizesOnceAsSeen: a resolution's apology is recorded only if
// the ledger holds as many for the customer and incident as the run saw;
// the it's-fixed follow-up (seen one) is recorded once.
func testCaseApologizesOnceAsSeen(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	saved := newCase(nil, "a")
	saved.Resolutions[0].Credits = nil
	res, err := e.st.RecordCase(e.ctx, saved)
	e.must(err)
	fixed := t0.Add(time.Hour)
	followUp := ledger.Case{Incident: res.Incident.ID, Resolutions: []ledger.Resolution{{Customer: "a", At: fixed, FixedAt: &fixed,
		ApologiesSeen: 1, Apology: &ledger.NewApology{Body: "It is fixed.", RecordedAt: fixed}}}}
	for i := range 2 {
		r, err := e.st.RecordCase(e.ctx, followUp)
		e.must(err)
		if (r.Resolutions[0].Apology != nil) != (i == 0) {
			t.Fatalf("run %d: apology %+v", i, r.Resolutions[0].Apology)
		}
	}
	if n := e.counts(); n.Apologies != 2 {
		t.Fatalf("%d apologies, want the first and one follow-up", n.Apologies)
	}
	// A run that saw none, racing the first, does not apologize again.
	stale := ledger.Case{Incident: res.Incident.ID, Resolutions: []ledger.Resolution{{Customer: "a", At: fixed,
		Apology: &ledger.NewApology{Body: "Sorry.", RecordedAt: fixed}}}}
	if r, err := e.st.RecordCase(e.ctx, stale); err != nil || r.Resolutions[0].Apology != nil {
		t.Fatalf("stale run: %+v %v", r, err)
	}
}

func testApologyDeliveries(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	res, err := e.st.RecordCase(e.ctx, newCase(nil, "a"))
	e.must(err)
	id := res.Resolutions[0].Apology.ID
	status := func() string {
		t.Helper()
		a, err := e.st.Apology(e.ctx, id)
		e.must(err)
		list, err := e.st.Apologies(e.ctx, ledger.ApologyFilter{Incident: res.Incident.ID})
		e.must(err)
		if len(list) != 1 || list[0].Status != a.Status {
			t.Fatalf("list %+v disagrees with %+v", list, a)
		}
		return a.Status
	}
	if got := status(); got != ledger.ApologyQueued {
		t.Fatalf("before delivery: %q", got)
	}
	for _, d := range []ledger.Delivery{
		{Apology: id, Via: "smtp", Status: ledger.DeliveryFailed, Error: "connection refused", At: t0},
		{Apology: id, Via: "smtp", Status: ledger.DeliverySent, MessageID: "<m@x>", At: t0.Add(time.Minute)},
	} {
		e.must(e.st.RecordDelivery(e.ctx, d))
		if got := status(); got != d.Status {
			t.Fatalf("after %+v: %q", d, got)
		}
	}
	ds, err := e.st.Deliveries(e.ctx, id)
	if err != nil || len(ds) != 2 || ds[0].Error != "connection refused" || ds[1].MessageID != "<m@x>" || !ds[1].At.Equal(t0.Add(time.Minute)) ||
		ds[0].Via != "smtp" || ds[0].Status != ledger.DeliveryFailed || ds[1].Apology != id {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if err := e.st.RecordDelivery(e.ctx, ledger.Delivery{Apology: 99, Via: "smtp", Status: "sent", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown apology: %v", err)
	}
	if ds, err := e.st.Deliveries(e.ctx, 99); err != nil || len(ds) != 0 {
		t.Fatalf("deliveries of an unknown apology: %+v %v", ds, err)
	}
}
