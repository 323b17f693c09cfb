package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

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

func TestRecordCaseWritesEverythingAtOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	fixed := t0.Add(-time.Hour)
	c := newCase(&fixed, "a", "new")
	c.NewCustomers = []ledger.Customer{{ID: "new", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}}
	c.Resolutions[1].Credits = []ledger.NewCredit{{Gesture: "a handwritten card", Reason: "outage", IssuedAt: t0}}
	res, err := s.RecordCase(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	if inc.ID != 1 || inc.FixedAt == nil || !inc.FixedAt.Equal(fixed) || strings.Join(inc.Customers, ",") != "a,new" {
		t.Fatalf("incident %+v", inc)
	}
	if len(res.Resolutions) != 2 || !res.Resolutions[0].FixRecorded || res.Resolutions[1].FixRecorded {
		t.Fatalf("the fix is recorded once, by the first resolution: %+v", res.Resolutions)
	}
	a := res.Resolutions[0]
	if a.Apology == nil || a.Apology.Status != ledger.ApologyQueued || a.Credits[0].IncidentID != 1 || a.Credits[0].AmountMinor != 2500 {
		t.Fatalf("first resolution %+v", a)
	}
	if g := res.Resolutions[1].Credits[0]; g.Gesture != "a handwritten card" || g.Customer != "new" {
		t.Fatalf("gesture %+v", g)
	}
	for table, want := range map[string]int{"customers": 2, "incidents": 1, "incident_fixes": 1, "apologies": 2, "credits": 2} {
		if n := count(t, s, table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
}

func TestRecordCaseIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	fixed := t0.Add(-time.Hour)
	// The second customer is unknown: the first one's records, the new
	// customer and the incident must not stay behind.
	c := newCase(&fixed, "a", "ghost")
	c.NewCustomers = []ledger.Customer{{ID: "n", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}}
	_, err := s.RecordCase(ctx, c)
	if !errors.Is(err, ledger.ErrNotFound) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("err %v", err)
	}
	for _, table := range []string{"incidents", "incident_customers", "incident_fixes", "apologies", "credits", "credit_entries"} {
		if n := count(t, s, table); n != 0 {
			t.Errorf("%s has %d rows after a failed case", table, n)
		}
	}
	if n := count(t, s, "customers"); n != 1 {
		t.Errorf("customers: %d, want only the one added before", n)
	}
}

func TestRecordCaseOnASavedIncident(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	saved := newCase(nil, "a")
	saved.Resolutions[0].Credits = nil // compensation comes with the fix
	res, err := s.RecordCase(ctx, saved)
	if err != nil {
		t.Fatal(err)
	}
	if res.Incident.FixedAt != nil {
		t.Fatal("a case saved without a fix is fixed")
	}
	fixed := t0.Add(time.Hour)
	resume := ledger.Case{Incident: res.Incident.ID, Resolutions: []ledger.Resolution{
		{Customer: "a", At: fixed, FixedAt: &fixed, Credits: []ledger.NewCredit{{AmountMinor: 100, Currency: "USD", Reason: "outage", IssuedAt: fixed}}},
	}}
	first, err := s.RecordCase(ctx, resume)
	if err != nil {
		t.Fatal(err)
	}
	if first.Incident.ID != res.Incident.ID || first.Incident.FixedAt == nil || count(t, s, "apologies") != 1 || count(t, s, "credits") != 1 ||
		!first.Resolutions[0].Created[0] {
		t.Fatalf("resumed %+v", first)
	}
	// Resumed again (a retry, or another process that read the case
	// before this one wrote), with another amount (the budget moved): the
	// customer keeps the one compensation.
	resume.Resolutions[0].Credits[0].AmountMinor = 200
	again, err := s.RecordCase(ctx, resume)
	if err != nil {
		t.Fatal(err)
	}
	if count(t, s, "credits") != 1 || again.Resolutions[0].Created[0] || again.Resolutions[0].Credits[0].ID != first.Resolutions[0].Credits[0].ID {
		t.Fatalf("resumed twice: %d credits, %+v", count(t, s, "credits"), again.Resolutions[0])
	}
}

func TestApologyDeliveries(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	res, err := s.RecordCase(ctx, newCase(nil, "a"))
	if err != nil {
		t.Fatal(err)
	}
	id := res.Resolutions[0].Apology.ID
	status := func() string {
		t.Helper()
		a, err := s.Apology(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.Apologies(ctx, ledger.ApologyFilter{Incident: res.Incident.ID})
		if err != nil {
			t.Fatal(err)
		}
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
		if err := s.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != d.Status {
			t.Fatalf("after %+v: %q", d, got)
		}
	}
	ds, err := s.Deliveries(ctx, id)
	if err != nil || len(ds) != 2 || ds[0].Error != "connection refused" || ds[1].MessageID != "<m@x>" || !ds[1].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if err := s.RecordDelivery(ctx, ledger.Delivery{Apology: 99, Via: "smtp", Status: "sent", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown apology: %v", err)
	}
	if _, err := s.Apology(ctx, 99); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("unknown apology: %v", err)
	}
	for _, q := range []string{`UPDATE apology_deliveries SET status = 'sent'`, `DELETE FROM apology_deliveries`} {
		if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
