package ledgertest

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/report/reporttest"
)

func reportTests() []contractTest {
	return []contractTest{
		{"ReportOutstandingIsTheBalance", testReportOutstandingIsTheBalance},
		{"ReportFlows", testReportFlows},
		{"ReportGoodwillAgainstMRR", testReportGoodwillAgainstMRR},
		{"ReportResponseTimes", testReportResponseTimes},
		{"ReportPeople", testReportPeople},
		{"ReportCurrencyAndRange", testReportCurrencyAndRange},
		{"ExportBooksStreamsEveryEntry", testExportBooksStreamsEveryEntry},
	}
}

func fixtureQuery() report.Query {
	to := reporttest.Now
	return report.Query{From: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), To: to,
		RepeatSince: to.AddDate(-1, 0, 0), RecoveredSince: to.AddDate(-1, 0, 0)}
}

func (e *env) build(q report.Query) report.Report {
	e.t.Helper()
	f, err := e.reportSource().ReportFacts(e.ctx, q)
	e.must(err)
	return report.Build(f, report.Options{Query: q, Now: reporttest.Now,
		ApologyTarget: report.DefaultApologyTarget, FixTarget: report.DefaultFixTarget})
}

// filled is the report fixture (reporttest): a year of every kind of
// record.
func (e *env) filled() {
	e.t.Helper()
	reporttest.Fill(e.t, e.st)
}

// entries is every entry of every customer, with its credit.
func (e *env) entries() ([]ledger.Entry, map[int64]ledger.Credit) {
	e.t.Helper()
	cs, err := e.st.Customers(e.ctx)
	e.must(err)
	var all []ledger.Entry
	for _, c := range cs {
		h, err := e.st.History(e.ctx, c.ID)
		e.must(err)
		all = append(all, h...)
	}
	credits := map[int64]ledger.Credit{}
	list, err := e.st.Credits(e.ctx, ledger.CreditFilter{Now: t0})
	e.must(err)
	for _, c := range list {
		credits[c.ID] = c
	}
	return all, credits
}

// testReportOutstandingIsTheBalance checks the liability figures against
// the ledger itself: each month's outstanding must be what an independent
// sum over the entries gives at that month's end, the first instant of
// the next month (entries before then, of credits not expired by then: a
// credit expiring at the start of 1 May is not owed at the end of April),
// and at To exactly the balance.
func testReportOutstandingIsTheBalance(e *env) {
	t := e.t
	e.filled()
	r := e.build(fixtureQuery())
	entries, credits := e.entries()
	for _, l := range r.Liability {
		m, _ := time.Parse("2006-01", l.Month)
		end, inclusive := m.AddDate(0, 1, 0), false
		if end.After(reporttest.Now) {
			end, inclusive = reporttest.Now, true
		}
		var want int64
		for _, en := range entries {
			c := credits[en.CreditID]
			if en.Currency != l.Currency || en.At.After(end) || (en.At.Equal(end) && !inclusive) ||
				(c.ExpiresAt != nil && !c.ExpiresAt.After(end)) {
				continue
			}
			want += en.AmountMinor
		}
		if l.OutstandingMinor != want {
			t.Errorf("%s %s: outstanding %d, want %d", l.Month, l.Currency, l.OutstandingMinor, want)
		}
	}
	bs, err := e.st.Balances(e.ctx, "", reporttest.Now)
	e.must(err)
	balance := map[string]int64{}
	for _, b := range bs {
		balance[b.Currency] += b.BalanceMinor
	}
	last := map[string]int64{}
	for _, l := range r.Liability {
		last[l.Currency] = l.OutstandingMinor
	}
	for cur, want := range balance {
		if last[cur] != want {
			t.Errorf("%s: outstanding at To %d, credit balance %d", cur, last[cur], want)
		}
	}
	if len(balance) == 0 {
		t.Fatal("the fixture has no open balance")
	}
}

func liability(r report.Report, month, cur string) report.LiabilityMonth {
	for _, l := range r.Liability {
		if l.Month == month && l.Currency == cur {
			return l
		}
	}
	return report.LiabilityMonth{}
}

func testReportFlows(e *env) {
	t := e.t
	e.filled()
	r := e.build(fixtureQuery())
	for _, c := range []struct {
		month, cur                          string
		issued, used, voided, expired, open int64
	}{
		// 100.00 from June 2025, 30.00 of it used in July: 70.00 open.
		{"2025-12", "USD", 0, 0, 0, 0, 7000},
		{"2026-01", "USD", 2500, 0, 0, 0, 9500},
		{"2026-02", "USD", 0, 1000, 0, 0, 8500},
		{"2026-03", "USD", 1500, 0, 0, 0, 10000},
		// 5.00 expiring at the start of 1 May is April's breakage; its
		// void on 15 May, after the expiry, moves nothing.
		{"2026-04", "USD", 500, 0, 0, 500, 10000},
		// 15.00 expiring at the start of 1 June: May's breakage.
		{"2026-05", "USD", 0, 0, 0, 1500, 8500},
		{"2026-06", "USD", 4000, 0, 4000, 0, 8500},
		{"2026-11", "USD", 1234, 0, 0, 0, 9734},
		{"2026-03", "JPY", 0, 500, 0, 0, 1000},
		// KWD 1.250 expiring at the start of 1 October.
		{"2026-09", "KWD", 1250, 0, 0, 1250, 0},
	} {
		l := liability(r, c.month, c.cur)
		if l.IssuedMinor != c.issued || l.UsedMinor != c.used || l.VoidedMinor != c.voided || l.ExpiredMinor != c.expired || l.OutstandingMinor != c.open {
			t.Errorf("%s %s: issued %d used %d voided %d expired %d outstanding %d; want %d %d %d %d %d", c.month, c.cur,
				l.IssuedMinor, l.UsedMinor, l.VoidedMinor, l.ExpiredMinor, l.OutstandingMinor,
				c.issued, c.used, c.voided, c.expired, c.open)
		}
	}
	if l := liability(r, "2026-09", "KWD"); l.Expired != "1.250" || l.Issued != "1.250" {
		t.Errorf("KWD amounts %q %q, want three decimals", l.Issued, l.Expired)
	}
}

func testReportGoodwillAgainstMRR(e *env) {
	t := e.t
	e.filled()
	r := e.build(fixtureQuery())
	// USD is paid by two customers, EUR, JPY and KWD by one each.
	if got := strings.Join(r.Currencies, ","); got != "USD,EUR,JPY,KWD" {
		t.Errorf("currencies %s", got)
	}
	find := func(month, cur string) report.GoodwillMonth {
		for _, g := range r.Goodwill {
			if g.Month == month && g.Currency == cur {
				return g
			}
		}
		t.Fatalf("no goodwill row for %s %s", month, cur)
		return report.GoodwillMonth{}
	}
	// $49.00 a month; from February also $1.00 a year, a twelfth of which
	// is 8.33 cents, rounded half up to 8.
	if g := find("2026-01", "USD"); g.MRRMinor != 4900 || g.IssuedMinor != 2500 || g.Credits != 1 || *g.ShareOfMRRBP != 5102 || *g.ShareOfMRR != "51.02" {
		t.Errorf("January USD: %+v", g)
	}
	if g := find("2026-02", "USD"); g.MRRMinor != 4908 || g.IssuedMinor != 0 || *g.ShareOfMRRBP != 0 {
		t.Errorf("February USD: %+v", g)
	}
	// Alice's €490.00 a year counts from her first month, November: 40.83.
	if g := find("2026-10", "EUR"); g.MRRMinor != 0 || g.ShareOfMRRBP != nil {
		t.Errorf("October EUR: %+v (no MRR yet, no share)", g)
	}
	if g := find("2026-11", "EUR"); g.MRRMinor != 4083 || g.MRR != "40.83" || g.IssuedMinor != 999 {
		t.Errorf("November EUR: %+v", g)
	}
	if g := find("2026-02", "JPY"); g.Issued != "1500" || g.MRR != "5000" {
		t.Errorf("February JPY: %+v", g)
	}
	gestures := map[string]int64{}
	for _, g := range r.Gestures {
		gestures[g.Month] = g.Gestures
	}
	if gestures["2026-07"] != 1 || gestures["2026-11"] != 1 || gestures["2026-06"] != 0 {
		t.Errorf("gestures %v", gestures)
	}
}

func testReportResponseTimes(e *env) {
	t := e.t
	e.filled()
	r := e.build(fixtureQuery())
	month := func(m string) report.ResponseMonth {
		for _, rm := range r.ResponseTimes.Months {
			if rm.Month == m {
				return rm
			}
		}
		t.Fatalf("no month %s", m)
		return report.ResponseMonth{}
	}
	sec := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, c := range []struct {
		month                          string
		incidents, apologized, fixed   int
		open                           int
		apoMed, apoP90, fixMed, fixP90 int64
		apoWithin, fixWithin           int
	}{
		{"2026-01", 1, 1, 1, 0, 40, 40, 420, 420, 1, 1},
		// The first apology of the incident: two hours after the report.
		{"2026-03", 1, 1, 1, 0, 7200, 7200, 86400, 86400, 0, 0},
		{"2026-06", 1, 1, 1, 0, 180, 180, 1200, 1200, 0, 0},
		// A failed apology does not count; an open incident has no fix.
		{"2026-11", 2, 1, 1, 1, 30, 30, 300, 300, 1, 1},
		{"2026-02", 0, 0, 0, 0, -1, -1, -1, -1, 0, 0},
	} {
		m := month(c.month)
		if m.Incidents != c.incidents || m.Apologized != c.apologized || m.Fixed != c.fixed || m.Open != c.open ||
			sec(m.ApologyMedianSeconds) != c.apoMed || sec(m.ApologyP90Seconds) != c.apoP90 ||
			sec(m.FixMedianSeconds) != c.fixMed || sec(m.FixP90Seconds) != c.fixP90 ||
			m.ApologiesWithinTarget != c.apoWithin || m.FixesWithinTarget != c.fixWithin {
			t.Errorf("%s: %+v (medians %d %d, p90 %d %d), want %+v", c.month, m, sec(m.ApologyMedianSeconds),
				sec(m.FixMedianSeconds), sec(m.ApologyP90Seconds), sec(m.FixP90Seconds), c)
		}
	}
	severity := map[string]report.IncidentMonth{}
	for _, m := range r.Incidents {
		severity[m.Month] = m
	}
	if m := severity["2026-11"]; m.Low != 1 || m.Normal != 1 || m.Total != 2 {
		t.Errorf("November incidents %+v", m)
	}
	if m := severity["2026-03"]; m.Critical != 1 || m.Total != 1 {
		t.Errorf("March incidents %+v", m)
	}
}

func testReportPeople(e *env) {
	t := e.t
	e.filled()
	r := e.build(fixtureQuery())
	var repeats []string
	for _, c := range r.Repeats.Customers {
		repeats = append(repeats, c.Customer+":"+string(rune('0'+c.Incidents)))
	}
	if got := strings.Join(repeats, ","); got != "cus_123:4,Acme:2" {
		t.Errorf("repeat customers %s", got)
	}
	sent := map[string]int{}
	for _, o := range r.Thanks.Sent {
		sent[o.Occasion] = o.Notes
	}
	// The anniversary note of 2025-11-21 is before the range.
	if sent["just_because"] != 1 || sent["after_recovery"] != 1 || sent["anniversary"] != 0 || r.Thanks.SentTotal != 2 {
		t.Errorf("sent %v (total %d)", sent, r.Thanks.SentTotal)
	}
	var due []string
	for _, d := range r.Thanks.Due {
		mark := ""
		if d.Overdue {
			mark = "!"
		}
		due = append(due, d.Customer+" "+d.Key+" "+*d.Since+mark)
	}
	// Alice joined ten days ago and has no welcome yet: overdue. Bob's
	// second anniversary came five days ago; his after_recovery note for
	// incident 5 came the same day and waits out the cool-down after it,
	// as `thanks due` shows it (deferred, not due).
	want := "alice@example.com welcome 2026-11-15!|cus_123 anniversary:2 2026-11-20"
	if got := strings.Join(due, "|"); got != want {
		t.Errorf("due\n got %s\nwant %s", got, want)
	}
	if r.Thanks.DueCount != 2 || r.Thanks.OverdueCount != 1 {
		t.Errorf("due %d overdue %d", r.Thanks.DueCount, r.Thanks.OverdueCount)
	}
}

func testReportCurrencyAndRange(e *env) {
	t := e.t
	e.filled()
	q := fixtureQuery()
	q.Currency = "KWD"
	q.From, q.To = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 23, 59, 59, 999999000, time.UTC)
	r := e.build(q)
	if strings.Join(r.Currencies, ",") != "KWD" || strings.Join(r.Months, ",") != "2026-09" {
		t.Fatalf("currencies %v months %v", r.Currencies, r.Months)
	}
	// To is the last microsecond of 30 September: the credit expiring at
	// the start of 1 October still counts (as credit balance would say).
	if len(r.Liability) != 1 || r.Liability[0].ExpiredMinor != 0 || r.Liability[0].OutstandingMinor != 1250 {
		t.Errorf("KWD September: %+v", r.Liability)
	}
	q.To = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if r := e.build(q); r.Liability[0].ExpiredMinor != 1250 || r.Liability[1].OutstandingMinor != 0 {
		t.Errorf("KWD at the start of October: %+v", r.Liability)
	}
	// Cut off before the KWD credit was issued, there is nothing.
	q.To = time.Date(2026, 9, 9, 8, 59, 59, 0, time.UTC)
	if r := e.build(q); r.Liability[0].IssuedMinor != 0 || r.Liability[0].ExpiredMinor != 0 {
		t.Errorf("before the credit: %+v", r.Liability[0])
	}
}

// testExportBooksStreamsEveryEntry: the books are every entry up to To,
// once, with its credit's facts, and an expiry for every money credit
// expired by then carrying what was open at the expiry, in time order
// (at one instant the expiry first); the header lists what the books
// name.
func testExportBooksStreamsEveryEntry(e *env) {
	t := e.t
	e.filled()
	entries, credits := e.entries()
	for _, to := range []time.Time{reporttest.Now, time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var (
			head   *report.BookHeader
			events []report.BookEvent
		)
		err := e.books().ExportBooks(e.ctx, to, func(h report.BookHeader) error {
			if head != nil || len(events) > 0 {
				t.Fatal("the header came twice, or after an event")
			}
			head = &h
			return nil
		}, func(ev report.BookEvent) error {
			events = append(events, ev)
			return nil
		})
		e.must(err)
		if head == nil {
			t.Fatalf("to %s: no header", to)
		}
		// Every entry up to to, once, as it is in the ledger.
		want := map[int64]ledger.Entry{}
		customers, currencies, reasons := map[string]bool{}, map[string]bool{}, map[string]bool{}
		var first time.Time
		for _, en := range entries {
			if first.IsZero() || en.At.Before(first) {
				first = en.At
			}
			if en.At.After(to) {
				continue
			}
			want[en.ID] = en
			customers[en.Customer] = true
			if en.Currency != "" {
				currencies[en.Currency] = true
			}
		}
		for _, c := range credits {
			if !c.IssuedAt.After(to) {
				reasons[c.Reason] = true
			}
		}
		expiries := map[int64]int64{} // credit -> open at its expiry
		for _, c := range credits {
			if c.ExpiresAt == nil || c.ExpiresAt.After(to) || c.IsGesture() || c.IssuedAt.After(to) {
				continue
			}
			var open int64
			for _, en := range entries {
				if en.CreditID == c.ID && en.At.Before(*c.ExpiresAt) {
					open += en.AmountMinor
				}
			}
			expiries[c.ID] = open
		}
		for i, ev := range events {
			if i > 0 {
				p := events[i-1]
				if ev.At.Before(p.At) || ev.At.Equal(p.At) && p.Kind != report.EventExpire && ev.Kind == report.EventExpire {
					t.Errorf("to %s: event %d (%s %s) after %s %s", to, i, ev.Kind, ev.At, p.Kind, p.At)
				}
			}
			c := credits[ev.Credit]
			if ev.Customer != c.Customer || ev.Currency != c.Currency || ev.Reason != c.Reason || ev.Gesture != c.Gesture ||
				ev.Incident != c.IncidentID || !sameTimePtr(ev.ExpiresAt, c.ExpiresAt) {
				t.Errorf("to %s: event %+v does not carry its credit %+v", to, ev, c)
			}
			if ev.Kind == report.EventExpire {
				open, ok := expiries[ev.Credit]
				if !ok || ev.AmountMinor != open || !ev.At.Equal(*c.ExpiresAt) {
					t.Errorf("to %s: expiry %+v, want %d open at %v", to, ev, open, c.ExpiresAt)
				}
				delete(expiries, ev.Credit)
				continue
			}
			en, ok := want[ev.Entry]
			if !ok || ev.Kind != en.Kind || ev.AmountMinor != en.AmountMinor || !ev.At.Equal(en.At) || ev.Invoice != en.Invoice ||
				ev.Note != en.Note || ev.Credit != en.CreditID {
				t.Errorf("to %s: event %+v is no entry it should be (%+v)", to, ev, en)
			}
			delete(want, ev.Entry)
		}
		if len(want) > 0 || len(expiries) > 0 {
			t.Errorf("to %s: left out entries %v and expiries %v", to, want, expiries)
		}
		sorted := func(m map[string]bool) []string {
			out := []string{}
			for k := range m {
				out = append(out, k)
			}
			slices.SortFunc(out, cmp.Compare)
			return out
		}
		if h := *head; !h.To.Equal(to) || !slices.Equal(orEmpty(h.Customers), sorted(customers)) ||
			!slices.Equal(orEmpty(h.Currencies), sorted(currencies)) || !slices.Equal(orEmpty(h.Reasons), sorted(reasons)) || !h.First.Equal(first) {
			t.Errorf("to %s: header %+v, want customers %v currencies %v reasons %v first %s", to, h,
				sorted(customers), sorted(currencies), sorted(reasons), first)
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
