package report

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/thanks"
	"github.com/makegood/makegood/pkg/money"
)

// The seeds' rule of thumb for speed (shared/seeds): a customer "got a
// response back, within a minute saying, FIXED. Really sorry…", and "I'd
// generally be able to fix them within minutes of the customer contacting
// me". Minutes, not days: an apology within a minute, a fix within a
// quarter of an hour (our reading of "within minutes"). Both can be set
// with report.apology_target and report.fix_target.
const (
	DefaultApologyTarget = time.Minute
	DefaultFixTarget     = 15 * time.Minute
)

// OverdueDays: a note due for this many days is overdue. A weekly cron job
// running `thanks send --due` would have sent it.
const OverdueDays = 7

// Options are what Build needs besides the Facts.
type Options struct {
	Query
	// Now is the clock for who is due a note; To for everything else.
	Now time.Time
	// DefaultCurrency prices customers who have no currency of their own,
	// as their credits do.
	DefaultCurrency string
	ApologyTarget   time.Duration
	FixTarget       time.Duration
	// Windows are thanks' windows (config thanks.*).
	Windows thanks.DueOptions
}

// Report is every figure of `makegood report`; its JSON is `report --json`.
// Keys are snake_case and stable. Money comes as elsewhere: a decimal
// string, the same in integer minor units (<name>_minor) and the currency.
type Report struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	GeneratedAt string   `json:"generated_at"`
	Currency    *string  `json:"currency"`   // the --currency asked for; null for all
	Currencies  []string `json:"currencies"` // with figures, most MRR first
	Months      []string `json:"months"`     // YYYY-MM, oldest first

	Goodwill      []GoodwillMonth  `json:"goodwill"`
	Gestures      []GestureMonth   `json:"gestures"`
	Liability     []LiabilityMonth `json:"liability"`
	ResponseTimes ResponseTimes    `json:"response_times"`
	Incidents     []IncidentMonth  `json:"incidents"`
	Repeats       Repeats          `json:"repeat_customers"`
	Thanks        Thanks           `json:"thanks"`
}

// GoodwillMonth is what was credited in one month and currency, against
// the monthly recurring revenue then.
type GoodwillMonth struct {
	Month       string `json:"month"`
	Currency    string `json:"currency"`
	Credits     int64  `json:"credits"`
	Issued      string `json:"issued"`
	IssuedMinor int64  `json:"issued_minor"`
	MRR         string `json:"mrr"`
	MRRMinor    int64  `json:"mrr_minor"`
	// ShareOfMRRBP is issued / MRR in basis points (1234 = 12.34%),
	// rounded half up; null when there is no MRR. ShareOfMRR is the same
	// as a percentage with two decimals.
	ShareOfMRR   *string `json:"share_of_mrr_percent"`
	ShareOfMRRBP *int64  `json:"share_of_mrr_bp"`
}

// GestureMonth counts the gestures given in one month.
type GestureMonth struct {
	Month    string `json:"month"`
	Gestures int64  `json:"gestures"`
}

// LiabilityMonth is what is owed and how it moved in one month and
// currency. Outstanding is the open balance at the end of the month (at
// To for the last); it equals the previous month's plus issued, less
// used, voided and expired.
type LiabilityMonth struct {
	Month            string `json:"month"`
	Currency         string `json:"currency"`
	Outstanding      string `json:"outstanding"`
	OutstandingMinor int64  `json:"outstanding_minor"`
	Issued           string `json:"issued"`
	IssuedMinor      int64  `json:"issued_minor"`
	Used             string `json:"used"`
	UsedMinor        int64  `json:"used_minor"`
	Voided           string `json:"voided"`
	VoidedMinor      int64  `json:"voided_minor"`
	Expired          string `json:"expired"`
	ExpiredMinor     int64  `json:"expired_minor"`
}

// ResponseTimes are time to apology and time to fix, per incident, as
// median and 90th percentile per month of the incidents' start.
type ResponseTimes struct {
	ApologyTargetSeconds int64           `json:"apology_target_seconds"`
	FixTargetSeconds     int64           `json:"fix_target_seconds"`
	Months               []ResponseMonth `json:"months"`
}

// ResponseMonth: percentiles are nearest-rank over whole seconds, null
// when no incident of the month has the time yet.
type ResponseMonth struct {
	Month                string `json:"month"`
	Incidents            int    `json:"incidents"`
	Apologized           int    `json:"apologized"`
	Fixed                int    `json:"fixed"`
	Open                 int    `json:"open"`
	ApologyMedianSeconds *int64 `json:"apology_median_seconds"`
	ApologyP90Seconds    *int64 `json:"apology_p90_seconds"`
	FixMedianSeconds     *int64 `json:"fix_median_seconds"`
	FixP90Seconds        *int64 `json:"fix_p90_seconds"`
	// Within target: how many apologies and fixes met the rule of thumb.
	ApologiesWithinTarget int `json:"apologies_within_target"`
	FixesWithinTarget     int `json:"fixes_within_target"`
}

// IncidentMonth counts incidents by severity in the month they started.
type IncidentMonth struct {
	Month    string `json:"month"`
	Low      int    `json:"low"`
	Normal   int    `json:"normal"`
	High     int    `json:"high"`
	Critical int    `json:"critical"`
	Total    int    `json:"total"`
}

// Repeats are customers hurt more than once lately.
type Repeats struct {
	Since        string           `json:"since"`
	MinIncidents int              `json:"min_incidents"`
	Customers    []RepeatCustomer `json:"customers"`
}

// RepeatCustomer is one customer with repeat incidents.
type RepeatCustomer struct {
	Customer     string  `json:"customer"`
	Name         *string `json:"name"`
	Incidents    int     `json:"incidents"`
	LastIncident string  `json:"last_incident_at"`
}

// Thanks is what went out and who is waiting.
type Thanks struct {
	Sent         []OccasionCount `json:"sent"`
	SentTotal    int             `json:"sent_total"`
	Due          []DueNote       `json:"due"`
	DueCount     int             `json:"due_count"`
	OverdueCount int             `json:"overdue_count"`
	OverdueDays  int             `json:"overdue_after_days"`
}

// OccasionCount is the notes sent for one occasion in the report's range.
type OccasionCount struct {
	Occasion string `json:"occasion"`
	Notes    int    `json:"notes"`
}

// DueNote is a note someone is due now, as `thanks due` decides it.
type DueNote struct {
	Customer string  `json:"customer"`
	Name     *string `json:"name"`
	Occasion string  `json:"occasion"`
	Key      string  `json:"key"`
	Why      string  `json:"why"`
	Since    *string `json:"since"` // the day the occasion came
	DaysDue  *int    `json:"days_due"`
	Overdue  bool    `json:"overdue"`
}

// monthKey is the "YYYY-MM" of t in UTC.
func monthKey(t time.Time) string { return t.UTC().Format("2006-01") }

func monthStart(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// Months lists the months from's month through to's, as YYYY-MM.
func Months(from, to time.Time) []string {
	var out []string
	for m := monthStart(from); !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, monthKey(m))
	}
	return out
}

// expiryMonth is the last month in which a credit expiring at x could
// still be used: a credit that stops counting at the start of 1 December
// was last open in November, and November's closing balance no longer
// holds it.
func expiryMonth(x time.Time) string { return monthKey(x.Add(-time.Microsecond)) }

type mc struct{ month, currency string }

// Build works out every figure from an engine's facts.
func Build(f Facts, o Options) Report {
	months := Months(o.From, o.To)
	r := Report{
		From: o.From.UTC().Format(time.RFC3339), To: o.To.UTC().Format(time.RFC3339),
		GeneratedAt: o.Now.UTC().Format(time.RFC3339), Months: months,
	}
	if o.Currency != "" {
		c := o.Currency
		r.Currency = &c
	}
	mrr, payers := monthlyRevenue(f.Customers, months, o)
	flows := map[mc]map[string]Flow{}
	add := func(fl Flow, sign int64) {
		k := mc{fl.Month, fl.Currency}
		if flows[k] == nil {
			flows[k] = map[string]Flow{}
		}
		cur := flows[k][fl.Kind]
		cur.SumMinor += sign * fl.SumMinor
		cur.Count += sign * fl.Count
		flows[k][fl.Kind] = cur
	}
	for _, fl := range f.Flows {
		add(fl, 1)
	}
	expiredBefore := map[mc]int64{}
	for _, e := range f.Expiries {
		expiredBefore[mc{expiryMonth(e.At), e.Currency}] += e.BeforeMinor
	}

	// Currencies: every one with money in the ledger or in MRR.
	seen := map[string]bool{}
	for k := range flows {
		if k.currency != "" {
			seen[k.currency] = true
		}
	}
	for c := range payers {
		seen[c] = true
	}
	for k := range expiredBefore {
		seen[k.currency] = true
	}
	currencies := make([]string, 0, len(seen))
	for c := range seen {
		if o.Currency == "" || c == o.Currency {
			currencies = append(currencies, c)
		}
	}
	// Amounts in different currencies don't compare: the main currency is
	// the one most customers pay in, then the one most credits are in.
	credits := map[string]int64{}
	for k, byKind := range flows {
		credits[k.currency] += byKind[ledger.EntryIssue].Count
	}
	slices.SortFunc(currencies, func(a, b string) int {
		return cmp.Or(cmp.Compare(payers[b], payers[a]), cmp.Compare(credits[b], credits[a]), cmp.Compare(a, b))
	})
	r.Currencies = currencies

	// After-expiry entries never touched the open balance.
	for _, fl := range f.AfterExpiry {
		add(fl, -1)
	}

	for _, m := range months {
		g := flows[mc{m, ""}][ledger.EntryIssue]
		r.Gestures = append(r.Gestures, GestureMonth{Month: m, Gestures: g.Count})
	}
	r.Goodwill = []GoodwillMonth{}
	r.Liability = []LiabilityMonth{}
	first := ""
	if len(months) > 0 {
		first = months[0]
	}
	for _, c := range currencies {
		for _, m := range months {
			is := flows[mc{m, c}][ledger.EntryIssue]
			rev := mrr[mc{m, c}]
			g := GoodwillMonth{Month: m, Currency: c, Credits: is.Count,
				Issued: money.DecimalString(is.SumMinor, c), IssuedMinor: is.SumMinor,
				MRR: money.DecimalString(rev, c), MRRMinor: rev}
			if bp, ok := basisPoints(is.SumMinor, rev); ok {
				s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
				g.ShareOfMRR, g.ShareOfMRRBP = &s, &bp
			}
			r.Goodwill = append(r.Goodwill, g)
		}
		// The open balance before the first month, then month by month.
		var open int64
		for k, byKind := range flows {
			if k.currency == c && k.month < first {
				for _, fl := range byKind {
					open += fl.SumMinor
				}
			}
		}
		for k, v := range expiredBefore {
			if k.currency == c && k.month < first {
				open -= v
			}
		}
		for _, m := range months {
			byKind := flows[mc{m, c}]
			issued, used, voided := byKind[ledger.EntryIssue].SumMinor, -byKind[ledger.EntryApply].SumMinor, -byKind[ledger.EntryVoid].SumMinor
			expired := expiredBefore[mc{m, c}]
			open += issued - used - voided - expired
			r.Liability = append(r.Liability, LiabilityMonth{Month: m, Currency: c,
				Outstanding: money.DecimalString(open, c), OutstandingMinor: open,
				Issued: money.DecimalString(issued, c), IssuedMinor: issued,
				Used: money.DecimalString(used, c), UsedMinor: used,
				Voided: money.DecimalString(voided, c), VoidedMinor: voided,
				Expired: money.DecimalString(expired, c), ExpiredMinor: expired})
		}
	}
	r.ResponseTimes, r.Incidents = responseTimes(f.Incidents, months, o)
	r.Repeats = repeats(f.Repeats, o)
	r.Thanks = thankYous(f, o)
	return r
}

// monthlyRevenue is MRR per month and currency from customers' prices, and
// how many customers pay in each currency. MRR counts customers who had
// started by the end of the month (customer since, or
// when they were added when that is unknown). A yearly price counts for a
// twelfth: yearly prices are summed first and the sum divided by 12 once,
// rounded half up, so a month's MRR is off by less than one minor unit
// however many yearly customers there are.
func monthlyRevenue(cs []ledger.Customer, months []string, o Options) (map[mc]int64, map[string]int) {
	monthly, yearly := map[mc]int64{}, map[mc]int64{}
	payers := map[string]int{}
	for _, c := range cs {
		cur := c.Currency
		if cur == "" {
			cur = o.DefaultCurrency
		}
		if c.PriceMinor <= 0 || cur == "" {
			continue
		}
		payers[cur]++
		start := c.Since
		if start.IsZero() {
			start = c.CreatedAt
		}
		for _, m := range months {
			if monthKey(start) > m {
				continue
			}
			if c.Period == ledger.PeriodYear {
				yearly[mc{m, cur}] += c.PriceMinor
			} else {
				monthly[mc{m, cur}] += c.PriceMinor
			}
		}
	}
	out := map[mc]int64{}
	for k, v := range monthly {
		out[k] += v
	}
	for k, v := range yearly {
		out[k] += (v + 6) / 12
	}
	return out, payers
}

// basisPoints is part/whole in hundredths of a percent, rounded half up,
// in big integers so no sum of minor units can overflow.
func basisPoints(part, whole int64) (int64, bool) {
	if whole <= 0 {
		return 0, false
	}
	n := new(big.Int).Mul(big.NewInt(part), big.NewInt(10000))
	n.Add(n, big.NewInt(whole/2))
	n.Quo(n, big.NewInt(whole))
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

// percentile is the nearest-rank percentile of sorted values: the smallest
// value with at least p% of them at or below it.
func percentile(sorted []int64, p int) *int64 {
	if len(sorted) == 0 {
		return nil
	}
	rank := (p*len(sorted) + 99) / 100
	v := sorted[max(rank, 1)-1]
	return &v
}

func responseTimes(incs []IncidentFact, months []string, o Options) (ResponseTimes, []IncidentMonth) {
	rt := ResponseTimes{ApologyTargetSeconds: int64(o.ApologyTarget / time.Second),
		FixTargetSeconds: int64(o.FixTarget / time.Second), Months: []ResponseMonth{}}
	index := map[string]int{}
	counts := make([]IncidentMonth, len(months))
	apologies := make([][]int64, len(months))
	fixes := make([][]int64, len(months))
	for i, m := range months {
		index[m] = i
		counts[i].Month = m
		rt.Months = append(rt.Months, ResponseMonth{Month: m})
	}
	for _, inc := range incs {
		i, ok := index[monthKey(inc.Started)]
		if !ok {
			continue
		}
		c := &counts[i]
		switch inc.Severity {
		case ledger.SeverityLow:
			c.Low++
		case ledger.SeverityHigh:
			c.High++
		case ledger.SeverityCritical:
			c.Critical++
		default:
			c.Normal++
		}
		c.Total++
		rm := &rt.Months[i]
		rm.Incidents++
		if inc.FirstApology != nil {
			d := max(inc.FirstApology.Sub(inc.Reported), 0)
			apologies[i] = append(apologies[i], int64(d/time.Second))
			rm.Apologized++
			if d <= o.ApologyTarget {
				rm.ApologiesWithinTarget++
			}
		}
		// The ledger's own rule for time to fix (from the report; a fix
		// recorded before the report counts as 0).
		if d, ok := (ledger.Incident{ReportedAt: inc.Reported, FixedAt: inc.Fixed}).TimeToFix(); ok {
			fixes[i] = append(fixes[i], int64(d/time.Second))
			rm.Fixed++
			if d <= o.FixTarget {
				rm.FixesWithinTarget++
			}
		} else {
			rm.Open++
		}
	}
	for i := range rt.Months {
		slices.Sort(apologies[i])
		slices.Sort(fixes[i])
		rm := &rt.Months[i]
		rm.ApologyMedianSeconds, rm.ApologyP90Seconds = percentile(apologies[i], 50), percentile(apologies[i], 90)
		rm.FixMedianSeconds, rm.FixP90Seconds = percentile(fixes[i], 50), percentile(fixes[i], 90)
	}
	return rt, counts
}

func repeats(rs []Repeat, o Options) Repeats {
	out := Repeats{Since: o.RepeatSince.UTC().Format(time.RFC3339), MinIncidents: RepeatIncidents, Customers: []RepeatCustomer{}}
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b Repeat) int {
		return cmp.Or(cmp.Compare(b.Incidents, a.Incidents), b.Last.Compare(a.Last), cmp.Compare(a.Customer, b.Customer))
	})
	for _, r := range rs {
		if r.Incidents < RepeatIncidents {
			continue
		}
		out.Customers = append(out.Customers, RepeatCustomer{Customer: r.Customer, Name: optString(r.Name),
			Incidents: r.Incidents, LastIncident: r.Last.UTC().Format(time.RFC3339)})
	}
	return out
}

func thankYous(f Facts, o Options) Thanks {
	t := Thanks{Sent: []OccasionCount{}, Due: []DueNote{}, OverdueDays: OverdueDays}
	counts := map[string]int{}
	for _, n := range f.Notes {
		counts[n.Occasion] += n.Notes
	}
	for _, occ := range thanks.Occasions() {
		n := counts[string(occ)]
		t.Sent = append(t.Sent, OccasionCount{Occasion: string(occ), Notes: n})
		t.SentTotal += n
	}
	opts := o.Windows
	opts.Recoveries = f.Recoveries
	for _, it := range thanks.Due(f.Customers, f.Sent, o.Now, opts) {
		d := DueNote{Customer: it.Customer.ID, Name: optString(it.Customer.Name), Occasion: string(it.Occasion),
			Key: it.Key, Why: it.Why}
		if came := it.Came(); !came.IsZero() {
			s, days := came.Format(time.DateOnly), thanks.DaysSince(came, o.Now)
			d.Since, d.DaysDue = &s, &days
			d.Overdue = days >= OverdueDays
		}
		if d.Overdue {
			t.OverdueCount++
		}
		t.Due = append(t.Due, d)
	}
	// Overdue first, longest waiting first: who to write to today.
	slices.SortStableFunc(t.Due, func(a, b DueNote) int {
		return cmp.Or(cmp.Compare(days(b), days(a)), cmp.Compare(a.Customer, b.Customer))
	})
	t.DueCount = len(t.Due)
	return t
}

func days(d DueNote) int {
	if d.DaysDue == nil {
		return -1
	}
	return *d.DaysDue
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
