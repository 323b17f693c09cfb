package report

import (
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func TestComponentsAreValidAndNeverShared(t *testing.T) {
	ids := []string{"Acme", "acme", "ACME", "cus_123", "X-cus-5F123", "X-cus_123", "alice@example.com", "Émile", "a:b c",
		"a-b", "a_b", "a-5Fb", "Z9", "9lives", "日本", "-", "X-", "x"}
	seen := map[string]string{}
	for _, id := range ids {
		c := CustomerComponent(id)
		// Beancount: a component starts with a capital letter and holds
		// letters, digits and dashes.
		if !validComponent(c) {
			t.Errorf("%q → %q is not a valid account component", id, c)
		}
		if other, ok := seen[c]; ok {
			t.Errorf("%q and %q share the account component %q", id, other, c)
		}
		seen[c] = id
	}
	for id, want := range map[string]string{"Acme": "Acme", "cus_123": "X-cus-5F123", "alice@example.com": "X-alice-40example-2Ecom",
		"acme": "X-acme", "a-b": "X-a-2Db"} {
		if got := CustomerComponent(id); got != want {
			t.Errorf("CustomerComponent(%q) = %q, want %q", id, got, want)
		}
	}
	reasons := map[string]bool{}
	for _, r := range append(ledger.Reasons(), "Outage", "data_loss") {
		c := ReasonComponent(r)
		if !validComponent(c) || reasons[c] {
			t.Errorf("reason %q → %q (invalid or shared)", r, c)
		}
		reasons[c] = true
	}
	if ReasonComponent("outage") != "Outage" {
		t.Errorf("outage → %q", ReasonComponent("outage"))
	}
}

func validComponent(c string) bool {
	if c == "" || c[0] < 'A' || c[0] > 'Z' {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isAlnum(c[i]) && c[i] != '-' {
			return false
		}
	}
	return true
}

func TestPostingsBalanceAndMoveTheLiability(t *testing.T) {
	x := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	before, after := x.Add(-time.Hour), x.Add(time.Hour)
	liab := AccountLiabilities + ":X-cus-5F1"
	for _, c := range []struct {
		e    BookEvent
		want map[string]int64
	}{
		{BookEvent{Kind: ledger.EntryIssue, Customer: "cus_1", Currency: "USD", AmountMinor: 2500, Reason: "outage", At: before},
			map[string]int64{"Expenses:Goodwill:Outage": 2500, liab: -2500}},
		{BookEvent{Kind: ledger.EntryApply, Customer: "cus_1", Currency: "USD", AmountMinor: -1000, At: before, ExpiresAt: &x},
			map[string]int64{liab: 1000, AccountReceivable + ":X-cus-5F1": -1000}},
		{BookEvent{Kind: ledger.EntryVoid, Customer: "cus_1", Currency: "USD", AmountMinor: -1500, Reason: "outage", At: before},
			map[string]int64{liab: 1500, "Expenses:Goodwill:Outage": -1500}},
		{BookEvent{Kind: EventExpire, Customer: "cus_1", Currency: "USD", AmountMinor: 1500, At: x, ExpiresAt: &x},
			map[string]int64{liab: 1500, AccountBreakage: -1500}},
		// A void after the expiry takes the breakage back; the liability
		// was already gone.
		{BookEvent{Kind: ledger.EntryVoid, Customer: "cus_1", Currency: "USD", AmountMinor: -1500, Reason: "bug", At: after, ExpiresAt: &x},
			map[string]int64{AccountBreakage: 1500, "Expenses:Goodwill:Bug": -1500}},
	} {
		got := map[string]int64{}
		var net int64
		for _, p := range Postings(c.e) {
			got[p.Account] += p.AmountMinor
			net += p.AmountMinor
		}
		if net != 0 || len(got) != len(c.want) {
			t.Errorf("%s: postings %v do not balance or are not %v", c.e.Kind, got, c.want)
		}
		for a, v := range c.want {
			if got[a] != v {
				t.Errorf("%s: %s = %d, want %d", c.e.Kind, a, got[a], v)
			}
		}
	}
	if ps := Postings(BookEvent{Kind: ledger.EntryIssue, Gesture: "a card", Customer: "c"}); ps != nil {
		t.Errorf("a gesture has postings: %v", ps)
	}
}

func TestArithmetic(t *testing.T) {
	for _, c := range []struct {
		part, whole, bp int64
		ok              bool
	}{{2500, 4900, 5102, true}, {1, 3, 3333, true}, {1, 20000, 1, true}, {1, 20001, 0, true}, {5, 0, 0, false},
		{9_000_000_000_000_000, 1, 0, false}} {
		if bp, ok := basisPoints(c.part, c.whole); bp != c.bp || ok != c.ok {
			t.Errorf("basisPoints(%d, %d) = %d %v, want %d %v", c.part, c.whole, bp, ok, c.bp, c.ok)
		}
	}
	s := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if *percentile(s, 50) != 5 || *percentile(s, 90) != 9 || *percentile(s[:1], 90) != 1 || percentile(nil, 50) != nil {
		t.Error("nearest-rank percentiles")
	}
	for minor, want := range map[int64]string{0: "0", 5: "0.1", 500: "5.0", 4900: "49", 123456: "1.2k", 9_999_999: "100k",
		1_234_567_89: "1.2M", -2500: "-25"} {
		if got := compact(minor, "USD"); got != want {
			t.Errorf("compact(%d USD) = %q, want %q", minor, got, want)
		}
	}
	if got := compact(1500, "JPY"); got != "1.5k" {
		t.Errorf("compact(1500 JPY) = %q", got)
	}
	for sec, want := range map[int64]string{40: "40s", 90: "2m", 3600: "1h", 86400: "1d", 1799: "30m"} {
		if got := Short(sec); got != want {
			t.Errorf("Short(%d) = %q, want %q", sec, got, want)
		}
	}
}

func TestMonthlyRevenueRoundsYearlyOnce(t *testing.T) {
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var cs []ledger.Customer
	// Seven yearly customers at $1.00: 700 / 12 = 58.33 cents, rounded to
	// 58 once, not 7 × round(8.33) = 56.
	for range 7 {
		cs = append(cs, ledger.Customer{PriceMinor: 100, Currency: "USD", Period: ledger.PeriodYear, Since: since})
	}
	cs = append(cs, ledger.Customer{PriceMinor: 4900, Period: ledger.PeriodMonth, Since: since}) // the default currency
	cs = append(cs, ledger.Customer{PriceMinor: 4900, Currency: "USD", Period: ledger.PeriodMonth,
		Since: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}) // from March
	mrr, payers := monthlyRevenue(cs, []string{"2026-02", "2026-03"}, Options{DefaultCurrency: "USD"})
	if mrr[mc{"2026-02", "USD"}] != 4958 || mrr[mc{"2026-03", "USD"}] != 9858 || payers["USD"] != 9 {
		t.Errorf("mrr %v payers %v", mrr, payers)
	}
}

func TestBooksEscapeText(t *testing.T) {
	var b strings.Builder
	w, _ := NewBookWriter(FormatBeancount, &b)
	w.Header(BookHeader{To: time.Now(), Customers: []string{`say "hi"\`}, Currencies: []string{"USD"}})
	w.Event(BookEvent{Kind: ledger.EntryIssue, Customer: `say "hi"\`, Currency: "USD", AmountMinor: 1, Reason: "bug",
		Note: "two\nlines \"quoted\"", At: time.Now()})
	w.Close()
	if !strings.Contains(b.String(), `customer: "say \"hi\"\\"`) || !strings.Contains(b.String(), `note: "two lines \"quoted\""`) {
		t.Errorf("beancount strings not escaped:\n%s", b.String())
	}
	b.Reset()
	w, _ = NewBookWriter(FormatHledger, &b)
	w.Event(BookEvent{Kind: ledger.EntryIssue, Customer: "a,b", Currency: "USD", AmountMinor: 1, Reason: "bug",
		Note: "x\ny", At: time.Now()})
	w.Close()
	if !strings.Contains(b.String(), "customer:a;b") || !strings.Contains(b.String(), "; note: x y\n") {
		t.Errorf("hledger tags not kept on one line:\n%s", b.String())
	}
}
