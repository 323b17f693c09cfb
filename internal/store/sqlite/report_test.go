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

func build(t *testing.T, st *sqlite.Ledger, q report.Query) report.Report {
	t.Helper()
	f, err := st.ReportFacts(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return report.Build(f, report.Options{Query: q, Now: reporttest.Now,
		ApologyTarget: report.DefaultApologyTarget, FixTarget: report.DefaultFixTarget})
}

// TestReportOutstandingIsTheBalance checks the liability figures against
// the ledger itself: each month's outstanding must be what an independent
// sum over the entries gives at that month's end, the first instant of the
// next month (entries before then, of credits not expired by then: a
// credit expiring at the start of 1 May is not owed at the end of April),
// and at To exactly `credit balance`.
func TestReportOutstandingIsTheBalance(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	r := build(t, st, fixtureQuery())
	for _, l := range r.Liability {
		m, _ := time.Parse("2006-01", l.Month)
		end, cmp := m.AddDate(0, 1, 0), "<"
		if end.After(reporttest.Now) {
			end, cmp = reporttest.Now, "<="
		}
		e := end.UTC().Format("2006-01-02T15:04:05.000000Z")
		var want int64
		if err := st.DB().QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM credit_entries
			WHERE currency = ? AND at `+cmp+` ? AND (expires_at IS NULL OR expires_at > ?)`, l.Currency, e, e).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if l.OutstandingMinor != want {
			t.Errorf("%s %s: outstanding %d, want %d", l.Month, l.Currency, l.OutstandingMinor, want)
		}
	}
	bs, err := st.Balances(ctx, "", reporttest.Now)
	if err != nil {
		t.Fatal(err)
	}
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

func TestReportFlows(t *testing.T) {
	r := build(t, filled(t), fixtureQuery())
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

func TestReportGoodwillAgainstMRR(t *testing.T) {
	r := build(t, filled(t), fixtureQuery())
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

func TestReportResponseTimes(t *testing.T) {
	r := build(t, filled(t), fixtureQuery())
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

func TestReportPeople(t *testing.T) {
	r := build(t, filled(t), fixtureQuery())
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

func TestReportCurrencyAndRange(t *testing.T) {
	st := filled(t)
	q := fixtureQuery()
	q.Currency = "KWD"
	q.From, q.To = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 23, 59, 59, 999999000, time.UTC)
	r := build(t, st, q)
	if strings.Join(r.Currencies, ",") != "KWD" || strings.Join(r.Months, ",") != "2026-09" {
		t.Fatalf("currencies %v months %v", r.Currencies, r.Months)
	}
	// To is the last microsecond of 30 September: the credit expiring at
	// the start of 1 October still counts (as credit balance would say).
	if len(r.Liability) != 1 || r.Liability[0].ExpiredMinor != 0 || r.Liability[0].OutstandingMinor != 1250 {
		t.Errorf("KWD September: %+v", r.Liability)
	}
	q.To = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if r := build(t, st, q); r.Liability[0].ExpiredMinor != 1250 || r.Liability[1].OutstandingMinor != 0 {
		t.Errorf("KWD at the start of October: %+v", r.Liability)
	}
	// Cut off before the KWD credit was issued, there is nothing.
	q.To = time.Date(2026, 9, 9, 8, 59, 59, 0, time.UTC)
	if r := build(t, st, q); r.Liability[0].IssuedMinor != 0 || r.Liability[0].ExpiredMinor != 0 {
		t.Errorf("before the credit: %+v", r.Liability[0])
	}
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
