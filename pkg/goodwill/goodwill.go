package goodwill

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// Period is a customer's billing period.
type Period string

const (
	Month Period = "month"
	Year  Period = "year"
)

// Period lengths are fixed rather than calendar-exact so that the same
// outage is worth the same credit in February as in March.
const (
	MonthLength = 30 * 24 * time.Hour
	YearLength  = 365 * 24 * time.Hour
)

// ParsePeriod reads "month" or "year" (also "monthly", "yearly", "annual"),
// in any case.
func ParsePeriod(s string) (Period, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "month", "monthly":
		return Month, nil
	case "year", "yearly", "annual", "annually":
		return Year, nil
	}
	return "", fmt.Errorf("period %q: want month or year", s)
}

// Length returns the period's length for pro-rata sums: 30 days for a month,
// 365 days for a year, 0 for an unknown period.
func (p Period) Length() time.Duration {
	switch p {
	case Month:
		return MonthLength
	case Year:
		return YearLength
	}
	return 0
}

// Severity is how bad an incident was.
type Severity string

const (
	SeverityLow      Severity = "low"
	SeverityNormal   Severity = "normal"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// ParseSeverity reads low, normal, high or critical in any case. The empty
// string is normal, matching the zero Incident.
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return SeverityNormal, nil
	case SeverityLow, SeverityNormal, SeverityHigh, SeverityCritical:
		return v, nil
	}
	return "", fmt.Errorf("severity %q: want low, normal, high or critical", s)
}

// Customer is what the engine needs to know about who was affected.
type Customer struct {
	ID         string
	PriceMinor int64  // price of one period, in minor units; must be > 0
	Currency   string // ISO 4217, any case
	Period     Period
	Since      time.Time // customer since; zero when unknown (tenure 0)
	// PaidMinor is everything paid so far; 0 means unknown, and the engine
	// estimates it as the periods started since Since × PriceMinor
	// (subscriptions bill in advance, so a new customer has paid one).
	PaidMinor int64
	Advocate  int // operator-set network weight, 0..10
}

// Incident is what went wrong for this customer.
type Incident struct {
	Downtime time.Duration // time the customer could not use what they paid for
	Severity Severity      // "" means normal
	DataLoss bool
	// ImpactBP is how much of the service was lost during the downtime, in
	// basis points: 3000 for "degraded, not down" at 30%. Make-whole and
	// the SLA bands count Downtime × ImpactBP / 10000. 0 means 10000 (all
	// of it), so an Incident without an impact is an outage.
	ImpactBP int64
}

// FullImpact is an outage: the whole service lost.
const FullImpact = 10000

// History is what already happened with this customer and this month's
// goodwill, as the ledger knows it.
type History struct {
	// IncidentsLast12M counts other incidents that affected this customer
	// in the 12 months before this one.
	IncidentsLast12M int
	// CreditsLast12M is what was credited to them in that window, in minor
	// units of their currency.
	CreditsLast12M int64
	// GivenThisMonthMinor is goodwill given to all customers this calendar
	// month in this currency, for the monthly budget.
	GivenThisMonthMinor int64
}

// Option kinds.
const (
	KindRecommended = "recommended"
	KindMakeWhole   = "make_whole"
	KindSLACredit   = "sla_credit"
	KindNextInvoice = "next_invoice"
	KindGesture     = "gesture"
)

// Flag codes.
const (
	FlagRepeatIncident = "repeat_incident"
	FlagDowntimeCapped = "downtime_capped"
	FlagCapApplied     = "cap_applied"
	FlagBudgetApplied  = "budget_applied"
)

// Option is one thing the operator could give.
type Option struct {
	Kind    string       // one of the Kind constants
	Amount  money.Amount // zero for gestures
	Gesture string       // the gesture's text; empty for money options
	Reason  string       // one line that shows its figures
}

// Flag draws the operator's attention to something about the case.
type Flag struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Suggestion is the engine's answer. Recommended is also Options[0].
type Suggestion struct {
	Customer    string
	Currency    string // upper-case ISO code
	Recommended Option
	Options     []Option // ranked, best first
	Flags       []Flag   // never nil, so JSON shows []
	// Budget is the monthly budget the recommendation counts against, nil
	// when the policy sets none for the currency. The history the
	// suggestion read may be stale by the time it is given: whoever
	// issues the recommendation checks it again with BudgetAllows.
	Budget *Budget
}

// Budget is a monthly budget as a suggestion applied it.
type Budget struct {
	LimitMinor int64 // the month's budget in the currency
	OwedMinor  int64 // make-whole: owed whatever the budget
}

// BudgetAllows is the monthly budget's rule: with givenMinor given this
// month, a recommendation may be at most what is left of limitMinor, but
// never less than owedMinor (make-whole), which is owed whatever the
// budget says.
func BudgetAllows(limitMinor, givenMinor, owedMinor int64) int64 {
	left := max(limitMinor-max(givenMinor, 0), 0)
	return max(left, owedMinor)
}

// Bounds on inputs; with Policy's bounds they keep every sum in int64.
const (
	maxPriceMajor = 1_000_000_000
	maxAdvocate   = 10
)

// Suggest works out what to give a customer after an incident. It is a pure
// function: now is the moment tenure is measured at. It fails only on
// invalid input, naming the field.
func Suggest(c Customer, inc Incident, h History, p Policy, now time.Time) (Suggestion, error) {
	if err := p.Validate(); err != nil {
		return Suggestion{}, fmt.Errorf("goodwill: invalid policy: %w", err)
	}
	k, err := newCase(c, inc, h, p, now)
	if err != nil {
		return Suggestion{}, err
	}
	return k.suggest(), nil
}

// kase is one customer's incident, validated and with derived figures.
type kase struct {
	p        Policy
	c        Customer
	inc      Incident
	h        History
	cur      string
	scale    int64 // 10^digits
	plen     time.Duration
	down     time.Duration // downtime, capped at plen
	impact   int64         // basis points of the service lost, 1..10000
	capped   bool          // downtime exceeded the period
	months   int           // full calendar months as a customer
	paid     int64
	estimate bool // paid was estimated
}

func newCase(c Customer, inc Incident, h History, p Policy, now time.Time) (*kase, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	cur, err := money.NormalizeCurrency(c.Currency)
	digits := 0
	if err != nil {
		bad("currency: %w", err)
	} else if digits, err = money.Digits(cur); err != nil {
		bad("currency: %w", err)
	}
	scale := pow10(digits)
	// money allows up to 9 digits, where 10^12 major units no longer fit:
	// bounds saturate rather than wrap.
	maxPrice, maxPaid := mulDivDown(maxPriceMajor, scale, 1), mulDivDown(maxMajor, scale, 1)
	period, err := ParsePeriod(string(c.Period))
	if err != nil {
		bad("%w", err)
	}
	if c.PriceMinor <= 0 || c.PriceMinor > maxPrice {
		bad("price: %d minor units is out of range 1..%d", c.PriceMinor, maxPrice)
	}
	if c.PaidMinor < 0 || c.PaidMinor > maxPaid {
		bad("paid: %d minor units is out of range 0..%d", c.PaidMinor, maxPaid)
	}
	if c.Advocate < 0 || c.Advocate > maxAdvocate {
		bad("advocate: %d is out of range 0..%d", c.Advocate, maxAdvocate)
	}
	if inc.Downtime < 0 {
		bad("downtime: %s is negative", inc.Downtime)
	}
	if inc.ImpactBP < 0 || inc.ImpactBP > FullImpact {
		bad("impact: %d basis points is out of range 1..%d (0 means all of it)", inc.ImpactBP, FullImpact)
	}
	sev, err := ParseSeverity(string(inc.Severity))
	if err != nil {
		bad("%w", err)
	}
	if h.IncidentsLast12M < 0 {
		bad("incidents in the last 12 months: %d is negative", h.IncidentsLast12M)
	}
	if h.CreditsLast12M < 0 {
		bad("credits in the last 12 months: %d is negative", h.CreditsLast12M)
	}
	if h.GivenThisMonthMinor < 0 {
		bad("given this month: %d is negative", h.GivenThisMonthMinor)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("goodwill: customer %q: %w", c.ID, errors.Join(errs...))
	}

	c.Currency, c.Period = cur, period
	inc.Severity = sev
	// Downtime counts in whole seconds, the unit every explanation writes
	// it in, so the arithmetic shown is the arithmetic done.
	inc.Downtime = inc.Downtime.Truncate(time.Second)
	k := &kase{p: p, c: c, inc: inc, h: h, cur: cur, scale: scale, plen: period.Length()}
	k.down = min(inc.Downtime, k.plen)
	k.capped = inc.Downtime > k.plen
	k.impact = inc.ImpactBP
	if k.impact == 0 {
		k.impact = FullImpact
	}
	k.months = fullMonths(c.Since, now)
	k.paid = c.PaidMinor
	if k.paid == 0 {
		started := int64(k.months) + 1
		if period == Year {
			started = int64(k.months/12) + 1
		}
		k.paid = mulDivUp(started, c.PriceMinor, 1)
		k.estimate = true
	}
	return k, nil
}

// fullMonths counts whole calendar months from since to now; tenure is
// counted in the calendar because that is how customers remember it.
func fullMonths(since, now time.Time) int {
	if since.IsZero() || !now.After(since) {
		return 0
	}
	m := (now.Year()-since.Year())*12 + int(now.Month()) - int(since.Month())
	for m > 0 && since.AddDate(0, m, 0).After(now) {
		m--
	}
	return m
}

// major converts major units from the policy to minor units, saturating.
func (k *kase) major(n int64) int64 { return mulDivDown(n, k.scale, 1) }

func (k *kase) show(minor int64) string { return money.Format(minor, k.cur) }

func (k *kase) amount(minor int64) money.Amount {
	return money.Amount{Minor: minor, Currency: k.cur}
}

// priceLabel is "$49.00/month".
func (k *kase) priceLabel() string {
	return k.show(k.c.PriceMinor) + "/" + string(k.c.Period)
}

func (k *kase) periodDays() int64 { return int64(k.plen / (24 * time.Hour)) }

func (k *kase) suggest() Suggestion {
	s := Suggestion{Customer: k.c.ID, Currency: k.cur, Flags: []Flag{}}

	if k.h.IncidentsLast12M >= k.p.RepeatIncidentThreshold {
		msg := fmt.Sprintf("%d other incidents in the last 12 months", k.h.IncidentsLast12M)
		if k.h.CreditsLast12M > 0 {
			msg += fmt.Sprintf(" (%s already credited)", k.show(k.h.CreditsLast12M))
		}
		msg += ": reach out personally and fix the root cause; the gesture is not reduced"
		s.Flags = append(s.Flags, Flag{Code: FlagRepeatIncident, Message: msg})
	}
	if k.capped {
		s.Flags = append(s.Flags, Flag{Code: FlagDowntimeCapped, Message: fmt.Sprintf(
			"downtime %s is longer than the %d-day period; counted as %s",
			fmtDuration(k.inc.Downtime), k.periodDays(), fmtDuration(k.plen))})
	}

	mw, mwOpt := k.makeWhole()
	sla, slaOpt := k.slaCredit()
	next := k.nextInvoice()
	rec, recFlags := k.recommend(mw, sla)
	s.Flags = append(s.Flags, recFlags...)
	if budget, ok := lookup(k.p.MonthlyBudget, k.cur); ok {
		s.Budget = &Budget{LimitMinor: k.major(budget), OwedMinor: mw}
	}

	// Money options rank by amount, most generous first, because the
	// recommendation already covers "enough"; ties keep this order.
	credits := []Option{next}
	if slaOpt != nil {
		credits = append(credits, *slaOpt)
	}
	if mwOpt != nil {
		credits = append(credits, *mwOpt)
	}
	slices.SortStableFunc(credits, func(a, b Option) int {
		switch {
		case a.Amount.Minor > b.Amount.Minor:
			return -1
		case a.Amount.Minor < b.Amount.Minor:
			return 1
		}
		return 0
	})

	s.Recommended = rec
	s.Options = append([]Option{rec}, credits...)
	s.Options = append(s.Options, k.gestures()...)
	return s
}

// makeWhole is the pro-rata price of the service lost: the price × the
// downtime / the period × the impact, rounded up so that restoring never
// under-pays. It returns no option when nothing was lost. The reason is the
// same product, left to right, so a reader can check it.
func (k *kase) makeWhole() (int64, *Option) {
	mw, exact := ratio(k.c.PriceMinor, int64(k.down), k.impact, int64(k.plen), FullImpact)
	if mw == 0 {
		return 0, nil
	}
	reason := fmt.Sprintf("%s × %s down / %d days", k.priceLabel(), fmtDuration(k.down), k.periodDays())
	if k.impact != FullImpact {
		reason += fmt.Sprintf(" × %s impact", fmtBP(k.impact))
	}
	reason += " = " + k.show(mw)
	if !exact {
		reason += ", rounded up"
	}
	if k.capped {
		reason = fmt.Sprintf("downtime %s capped at the period: ", fmtDuration(k.inc.Downtime)) + reason
	}
	return mw, &Option{Kind: KindMakeWhole, Amount: k.amount(mw), Reason: reason}
}

// lost is the downtime weighted by the impact, as it counts for the SLA,
// rounded up to the nanosecond for display.
func (k *kase) lost() time.Duration {
	return time.Duration(mulDivUp(int64(k.down), k.impact, FullImpact))
}

// downText says how much downtime counted: "1d down", or "1d down at 30%
// impact, counted as 7h12m".
func (k *kase) downText() string {
	s := fmtDuration(k.down) + " down"
	if k.impact != FullImpact {
		s += fmt.Sprintf(" at %s impact, counted as %s", fmtBP(k.impact), fmtDuration(k.lost()))
	}
	return s
}

// slaCredit applies the uptime bands. Uptime is floored to a basis point,
// which decides "below a band" exactly as the unrounded figure would, since
// band thresholds are whole basis points. It returns no option when no band
// applies: a zero credit is nothing to offer.
func (k *kase) slaCredit() (int64, *Option) {
	uptime := uptimeBP(int64(k.plen), int64(k.down), k.impact)
	var band *SLABand
	for i, b := range k.p.SLABands {
		if uptime < b.UptimeBelowBP && (band == nil || b.CreditBP > band.CreditBP ||
			b.CreditBP == band.CreditBP && b.UptimeBelowBP < band.UptimeBelowBP) {
			band = &k.p.SLABands[i]
		}
	}
	if band == nil {
		return 0, nil
	}
	credit := mulDivUp(k.c.PriceMinor, band.CreditBP, 10000)
	reason := fmt.Sprintf("uptime %s over %d days (%s) is below %s: %s of %s = %s",
		fmtBP(uptime), k.periodDays(), k.downText(), fmtBP(band.UptimeBelowBP),
		fmtBP(band.CreditBP), k.show(k.c.PriceMinor), k.show(credit))
	if _, r, _ := mulDiv(k.c.PriceMinor, band.CreditBP, 10000); r != 0 {
		reason += ", rounded up"
	}
	return credit, &Option{Kind: KindSLACredit, Amount: k.amount(credit), Reason: reason}
}

func (k *kase) nextInvoice() Option {
	return Option{
		Kind:   KindNextInvoice,
		Amount: k.amount(k.c.PriceMinor),
		Reason: fmt.Sprintf("covers the next invoice: one %s at %s", k.c.Period, k.show(k.c.PriceMinor)),
	}
}

// recommend builds the recommendation: restore, add an extra that grows
// with severity, tenure, advocacy, data loss and amount paid, round up to a
// friendly amount, then cap. Caps limit the goodwill, never make_whole.
//
// The reason is arithmetic a reader can check: the terms in the order they
// are added ("SLA credit $12.25 + extra $9.80 (20% of $49.00/month) + $1.47
// (1% of $147.00 paid, estimated) = $23.52"), each multiplier written next
// to what it multiplies, and the terms sum to the total shown.
func (k *kase) recommend(mw, sla int64) (Option, []Flag) {
	var parts []string
	restore := mw
	if mw > 0 {
		parts = append(parts, "make-whole "+k.show(mw))
	}
	if k.p.RestoreSLACredit && sla > mw {
		restore = sla
		parts = []string{"SLA credit " + k.show(sla)}
	}

	// The extra is a share of make_whole, not of the SLA credit: SLA bands
	// are coarse steps, and scaling the extra by them would make a yearly
	// customer's extra for a one-day outage worth weeks of service.
	// A yearly customer's least extra is a share of a twelfth of the
	// price, worked out in one division so it reads "20% of $490.00/year ÷
	// 12" and is exactly that, rounded up.
	byShare := mulDivUp(mw, k.p.ExtraBP, 10000)
	months := int64(1)
	if k.c.Period == Year {
		months = 12
	}
	least, _ := ratio(k.c.PriceMinor, k.p.MinExtraBP, 1, months, 10000)
	base := max(byShare, least)
	var how string
	switch {
	case byShare >= least:
		how = fmt.Sprintf("%s of make-whole %s", fmtBP(k.p.ExtraBP), k.show(mw))
	case k.c.Period == Year:
		how = fmt.Sprintf("%s of %s ÷ 12", fmtBP(k.p.MinExtraBP), k.priceLabel())
	default:
		how = fmt.Sprintf("%s of %s", fmtBP(k.p.MinExtraBP), k.priceLabel())
	}

	type factor struct {
		permille int64
		why      string
	}
	var factors []factor
	if pm := k.p.severityPermille(k.inc.Severity); pm != 1000 {
		factors = append(factors, factor{pm, string(k.inc.Severity) + " severity"})
	}
	if years := int64(k.months / 12); years > 0 && k.p.TenurePermillePerYear > 0 {
		bonus := min(years*k.p.TenurePermillePerYear, k.p.TenureMaxPermille)
		if bonus > 0 {
			factors = append(factors, factor{1000 + bonus, plural(years, "year") + " as a customer"})
		}
	}
	if k.c.Advocate > 0 && k.p.AdvocatePermillePerPoint > 0 {
		factors = append(factors, factor{1000 + int64(k.c.Advocate)*k.p.AdvocatePermillePerPoint,
			fmt.Sprintf("advocate %d", k.c.Advocate)})
	}
	if k.inc.DataLoss {
		factors = append(factors, factor{k.p.DataLossPermille, "data loss"})
	}
	// The factors multiply the base once, rounded up once, so the product
	// a reader works out by hand is the one shown.
	pms := make([]int64, len(factors))
	for i, f := range factors {
		pms[i] = f.permille
	}
	extra, exact := product(base, pms)
	if len(factors) == 0 {
		parts = append(parts, fmt.Sprintf("extra %s (%s)", k.show(extra), how))
	} else {
		steps := make([]string, len(factors))
		for i, f := range factors {
			steps[i] = fmt.Sprintf("× %s for %s", fixed(f.permille, 3), f.why)
		}
		rounded := ""
		if !exact {
			rounded = ", rounded up"
		}
		parts = append(parts, fmt.Sprintf("extra %s (%s = %s, %s%s)", k.show(extra), how, k.show(base),
			strings.Join(steps, ", "), rounded))
	}

	raw := add(restore, extra)
	if bonus := mulDivUp(k.paid, k.p.PaidBP, 10000); bonus > 0 {
		paid := k.show(k.paid) + " paid"
		if k.estimate {
			paid += ", estimated"
		}
		parts = append(parts, fmt.Sprintf("%s (%s of %s)", k.show(bonus), fmtBP(k.p.PaidBP), paid))
		raw = add(raw, bonus)
	}

	reason := strings.Join(parts, " + ") + " = " + k.show(raw)
	capMinor := mulDivDown(k.c.PriceMinor, k.p.CapBP, 10000)
	amt := raw
	// Above the cap, rounding is moot (the cap decides) and could overflow.
	if raw <= capMinor {
		amt = k.friendly(raw)
		if amt != raw {
			reason += ", rounded up to " + k.show(amt)
		}
	}

	var flags []Flag
	if amt > capMinor {
		reason += fmt.Sprintf("; capped at %s (per-case cap, %s of %s)", k.show(capMinor), fmtBP(k.p.CapBP), k.priceLabel())
		flags = append(flags, Flag{Code: FlagCapApplied, Message: fmt.Sprintf(
			"the recommendation %s was capped at %s by the per-case cap (%s of the %s price)",
			k.show(amt), k.show(capMinor), fmtBP(k.p.CapBP), k.c.Period)})
		amt = capMinor
	}
	if budget, ok := lookup(k.p.MonthlyBudget, k.cur); ok {
		total := k.major(budget)
		left := max(total-k.h.GivenThisMonthMinor, 0)
		if limit := BudgetAllows(total, k.h.GivenThisMonthMinor, mw); amt > limit {
			what := fmt.Sprintf("the monthly goodwill budget (%s, %s given, %s left)",
				k.show(total), k.show(k.h.GivenThisMonthMinor), k.show(left))
			if limit == mw && mw > left {
				reason += fmt.Sprintf("; cut to make-whole %s by %s: make-whole is owed whatever the budget", k.show(mw), what)
			} else {
				reason += fmt.Sprintf("; cut to %s by %s", k.show(limit), what)
			}
			flags = append(flags, Flag{Code: FlagBudgetApplied, Message: fmt.Sprintf(
				"the recommendation %s was cut to %s by %s", k.show(amt), k.show(limit), what)})
			amt = limit
		}
	}
	return Option{Kind: KindRecommended, Amount: k.amount(amt), Reason: reason}, flags
}

// friendly rounds up to the currency's friendly step for the amount's size.
func (k *kase) friendly(minor int64) int64 {
	for _, s := range k.p.stepsFor(k.cur) {
		if s.Below == 0 || minor < k.major(s.Below) {
			return money.RoundUp(minor, k.major(s.Step))
		}
	}
	return minor
}

func (k *kase) gestures() []Option {
	var out []Option
	for _, g := range k.p.Gestures {
		if k.months < g.MinTenureMonths {
			continue
		}
		reason := "an extra without money: offer it with or instead of a credit and let them choose"
		if g.MinTenureMonths > 0 {
			reason = fmt.Sprintf("an extra without money for a customer of %s (offered from %s)",
				fmtTenure(k.months), fmtTenure(g.MinTenureMonths))
		}
		out = append(out, Option{Kind: KindGesture, Gesture: g.Text, Reason: reason})
	}
	return out
}

func fmtTenure(months int) string {
	y, m := months/12, months%12
	switch {
	case y == 0:
		return plural(int64(m), "month")
	case m == 0:
		return plural(int64(y), "year")
	}
	return plural(int64(y), "year") + " " + plural(int64(m), "month")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
