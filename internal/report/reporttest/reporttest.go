// Package reporttest fills a real ledger with a year of history for the
// report, export and db tests: customers in USD, EUR, JPY and KWD on
// monthly and yearly plans, credits used, voided, expired (one voided
// after it expired), gestures, incidents of every severity with apologies
// and fixes (one apology that failed), thank-you notes, and someone due a
// note. Everything goes through the store's own methods, so the rows are
// what makegood itself writes.
package reporttest

import (
	"context"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// Now is the fixture's present: the report's To and the clock for due notes.
var Now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

// Fill writes the fixture into st.
func Fill(t testing.TB, st ledger.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	created := at("2024-01-01T00:00:00Z")
	for _, c := range []ledger.Customer{
		{ID: "cus_123", Name: "Bob Example", Email: "bob@example.com", PriceMinor: 4900, Currency: "USD", Period: ledger.PeriodMonth, Since: at("2024-11-20T00:00:00Z")},
		{ID: "alice@example.com", Name: "Alice Liddell", Email: "alice@example.com", PriceMinor: 49000, Currency: "EUR", Period: ledger.PeriodYear, Since: at("2026-11-15T00:00:00Z")},
		{ID: "Acme", Name: "Acme KK", Email: "ops@acme.example", PriceMinor: 5000, Currency: "JPY", Period: ledger.PeriodMonth, Since: at("2025-03-01T00:00:00Z")},
		{ID: "kw-1", Name: "Kuwait One", Email: "kw@example.com", PriceMinor: 10500, Currency: "KWD", Period: ledger.PeriodMonth, Since: at("2025-06-15T00:00:00Z")},
		{ID: "yearly", Name: "Yearly Co", Email: "y@example.com", PriceMinor: 100, Currency: "USD", Period: ledger.PeriodYear, Since: at("2026-02-01T00:00:00Z")},
	} {
		c.CreatedAt, c.UpdatedAt = created, created
		must(st.AddCustomer(ctx, c))
	}
	issue := func(customer string, amount int64, cur, reason, issued string, expires *time.Time, incident int64) int64 {
		t.Helper()
		c, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: customer, AmountMinor: amount, Currency: cur,
			Reason: reason, Note: "fixture", IssuedAt: at(issued), ExpiresAt: expires, IncidentID: incident})
		must(err)
		return c.ID
	}
	gesture := func(customer, what, issued string) {
		t.Helper()
		_, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: customer, Reason: "goodwill", Gesture: what, IssuedAt: at(issued)})
		must(err)
	}
	apply := func(id, amount int64, invoice, when string) {
		t.Helper()
		_, _, err := st.ApplyCredit(ctx, ledger.Apply{Credit: id, AmountMinor: amount, Invoice: invoice, At: at(when), Again: true})
		must(err)
	}
	void := func(id int64, when string) {
		t.Helper()
		_, err := st.VoidCredit(ctx, id, "issued twice", at(when))
		must(err)
	}
	// Before the report's range: the opening balance.
	old := issue("cus_123", 10000, "USD", "outage", "2025-06-01T09:00:00Z", nil, 0)
	apply(old, 3000, "in_2025_07", "2025-07-01T09:00:00Z")

	// Incidents, with their fixes and apologies.
	incident := func(title, severity, started, reported string, customers ...string) int64 {
		t.Helper()
		inc, err := st.OpenIncident(ctx, ledger.NewIncident{Title: title, What: "Something we shipped broke it.",
			Severity: severity, StartedAt: at(started), ReportedAt: at(reported), CreatedAt: at(reported), Customers: customers})
		must(err)
		return inc.ID
	}
	fix := func(id int64, when string) {
		t.Helper()
		_, err := st.FixIncident(ctx, id, at(when), at(when))
		must(err)
	}
	apologize := func(id int64, customer, when, status string) {
		t.Helper()
		_, err := st.RecordApology(ctx, ledger.NewApology{Customer: customer, Incident: id,
			Body: "We broke logins on Monday. It is fixed now; sorry.", RecordedAt: at(when), Status: status})
		must(err)
	}
	i1 := incident("Login outage", ledger.SeverityHigh, "2026-01-09T08:00:00Z", "2026-01-09T08:05:00Z", "cus_123")
	apologize(i1, "cus_123", "2026-01-09T08:05:40Z", "")
	fix(i1, "2026-01-09T08:12:00Z")
	i2 := incident("Data export lost rows", ledger.SeverityCritical, "2026-03-04T10:00:00Z", "2026-03-04T10:30:00Z", "cus_123", "Acme")
	apologize(i2, "Acme", "2026-03-04T12:30:00Z", "")
	apologize(i2, "cus_123", "2026-03-04T13:30:00Z", "")
	fix(i2, "2026-03-05T10:30:00Z")
	i3 := incident("Slow dashboard", ledger.SeverityNormal, "2026-06-10T09:00:00Z", "2026-06-10T09:00:00Z", "cus_123")
	apologize(i3, "cus_123", "2026-06-10T09:03:00Z", "")
	fix(i3, "2026-06-10T09:20:00Z")
	i4 := incident("Invoice emails late", ledger.SeverityLow, "2026-11-19T07:00:00Z", "2026-11-19T07:30:00Z", "Acme")
	apologize(i4, "Acme", "2026-11-19T07:31:00Z", ledger.ApologyFailed)
	i5 := incident("Checkout errors", ledger.SeverityNormal, "2026-11-20T14:00:00Z", "2026-11-20T14:01:00Z", "cus_123", "kw-1")
	apologize(i5, "cus_123", "2026-11-20T14:01:30Z", "")
	fix(i5, "2026-11-20T14:06:00Z")

	// Credits in the range.
	c1 := issue("cus_123", 2500, "USD", "outage", "2026-01-10T10:00:00Z", nil, i1)
	apply(c1, 1000, "in_2026_02", "2026-02-01T09:00:00Z")
	issue("cus_123", 1500, "USD", "bug", "2026-03-05T11:00:00Z", ptr(at("2026-06-01T00:00:00Z")), i2) // expires unused: breakage in May
	dup := issue("cus_123", 4000, "USD", "billing", "2026-06-10T10:00:00Z", nil, 0)
	void(dup, "2026-06-11T10:00:00Z")
	late := issue("cus_123", 500, "USD", "delay", "2026-04-01T10:00:00Z", ptr(at("2026-05-01T00:00:00Z")), 0)
	void(late, "2026-05-15T10:00:00Z") // voided after it expired
	issue("cus_123", 1234, "USD", "goodwill", "2026-11-20T15:00:00Z", nil, i5)
	jp := issue("Acme", 1500, "JPY", "bug", "2026-02-14T03:00:00Z", nil, 0)
	apply(jp, 500, "in_jp_3", "2026-03-01T03:00:00Z")
	issue("kw-1", 1250, "KWD", "delay", "2026-09-09T09:00:00Z", ptr(at("2026-10-01T00:00:00Z")), 0)
	issue("alice@example.com", 999, "EUR", "other", "2026-11-16T16:00:00Z", nil, 0)
	gesture("cus_123", "a handwritten card", "2026-07-04T12:00:00Z")
	gesture("Acme", "a free month of Pro", "2026-11-01T12:00:00Z")

	// Thank-you notes.
	note := func(customer, occasion, key, when string) {
		t.Helper()
		_, err := st.RecordThankYou(ctx, ledger.NewThankYouNote{Customer: customer, Occasion: occasion, Key: key,
			Via: "outbox", Status: ledger.NoteSent, Subject: "Thank you", At: at(when)})
		must(err)
	}
	note("cus_123", "anniversary", "anniversary:1", "2025-11-21T09:00:00Z")
	note("kw-1", "welcome", "welcome", "2025-06-20T09:00:00Z")
	note("Acme", "just_because", "just_because:2026-08-01", "2026-08-01T09:00:00Z")
	note("cus_123", "after_recovery", "after_recovery:3", "2026-06-20T09:00:00Z")
}
