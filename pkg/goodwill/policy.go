package goodwill

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Policy holds every number the engine uses. The mapstructure tags let viper
// unmarshal the `goodwill.*` configuration keys straight into it; start from
// DefaultPolicy so that keys missing from the configuration keep their
// defaults.
//
// Ratios are integers so that no float ever touches money: "_bp" fields are
// basis points (10000 = 100%), "_permille" fields are per-mille multipliers
// (1000 = ×1). Amounts in the policy are in major units of a currency (500
// USD means $500.00) and are scaled with the currency's minor-unit digits.
type Policy struct {
	// SLABands map uptime over the billing period to a credit of that
	// period's bill. When several bands apply, the largest credit wins.
	SLABands []SLABand `mapstructure:"sla_bands"`

	// RestoreSLACredit makes the recommendation restore the larger of
	// make_whole and the SLA credit before adding the extra, so it never
	// offers less than a credit the customer could claim under the SLA.
	RestoreSLACredit bool `mapstructure:"restore_sla_credit"`

	// ExtraBP is the extra as a share of make_whole, so that long outages
	// earn a larger extra.
	ExtraBP int64 `mapstructure:"extra_bp"`
	// MinExtraBP is the least extra, as a share of a month's price (a
	// twelfth of the price for yearly plans), so that a short outage still
	// gets a gesture worth noticing. It must be positive: restoring alone is
	// not making good.
	MinExtraBP int64 `mapstructure:"min_extra_bp"`

	// SeverityPermille multiplies the extra by the incident's severity.
	SeverityPermille SeverityPermille `mapstructure:"severity_permille"`
	// DataLossPermille multiplies the extra when data was lost.
	DataLossPermille int64 `mapstructure:"data_loss_permille"`
	// TenurePermillePerYear adds to the extra's multiplier for each full
	// year as a customer, up to TenureMaxPermille.
	TenurePermillePerYear int64 `mapstructure:"tenure_permille_per_year"`
	TenureMaxPermille     int64 `mapstructure:"tenure_max_permille"`
	// AdvocatePermillePerPoint adds to the extra's multiplier for each point
	// of the operator-set advocate weight (0..10): lifetime network value.
	AdvocatePermillePerPoint int64 `mapstructure:"advocate_permille_per_point"`
	// PaidBP adds a share of everything the customer has paid so far:
	// lifetime value.
	PaidBP int64 `mapstructure:"paid_bp"`

	// FriendlySteps round the recommendation up to an amount a person would
	// write. They apply to every currency not in FriendlyStepsByCurrency.
	FriendlySteps []Step `mapstructure:"friendly_steps"`
	// FriendlyStepsByCurrency overrides FriendlySteps for currencies whose
	// unit is worth much less (or more) than a dollar. Keys are ISO codes in
	// any case, because viper lower-cases map keys.
	FriendlyStepsByCurrency map[string][]Step `mapstructure:"friendly_steps_by_currency"`

	// CapBP is the per-case cap, as a share of the period's price. It must
	// be at least 10000 (one period's price) so that it can never cut below
	// make_whole, which is at most one period's price.
	CapBP int64 `mapstructure:"cap_bp"`
	// MonthlyBudget is the goodwill budget per calendar month, in major
	// units, by currency (any case). A currency without an entry has no
	// budget. The budget limits the goodwill, never make_whole.
	MonthlyBudget map[string]int64 `mapstructure:"monthly_budget"`

	// RepeatIncidentThreshold is how many other incidents in the last 12
	// months flag the customer for a personal follow-up.
	RepeatIncidentThreshold int `mapstructure:"repeat_incident_threshold"`

	// Gestures are the non-monetary extras offered beside the credits.
	Gestures []GestureRule `mapstructure:"gestures"`
}

// SLABand is one row of the SLA table: uptime strictly below UptimeBelowBP
// earns CreditBP of the period's bill.
type SLABand struct {
	UptimeBelowBP int64 `mapstructure:"uptime_below_bp"`
	CreditBP      int64 `mapstructure:"credit_bp"`
}

// SeverityPermille is the extra's multiplier for each severity.
type SeverityPermille struct {
	Low      int64 `mapstructure:"low"`
	Normal   int64 `mapstructure:"normal"`
	High     int64 `mapstructure:"high"`
	Critical int64 `mapstructure:"critical"`
}

// Step is one band of friendly rounding, in major units: amounts below
// Below round up to a multiple of Step. Below 0 means "no upper bound" and
// must be the last band.
type Step struct {
	Below int64 `mapstructure:"below"`
	Step  int64 `mapstructure:"step"`
}

// GestureRule is a non-monetary extra. MinTenureMonths keeps gestures that
// only make sense for long-standing customers (a handwritten card) from
// being offered to someone who signed up yesterday.
type GestureRule struct {
	Text            string `mapstructure:"text"`
	MinTenureMonths int    `mapstructure:"min_tenure_months"`
}

// PolicyLine is one setting of the policy in force, for `goodwill policy`.
type PolicyLine struct {
	Key     string `json:"key"`     // configuration key, e.g. "goodwill.cap_bp"
	Value   string `json:"value"`   // the value, readable: "20000 (200%)"
	Meaning string `json:"meaning"` // what it does, one line
}

// Bounds on policy numbers keep every product in Suggest far from int64
// overflow and reject settings that can only be typos.
const (
	maxBP       = 1_000_000 // 100×
	maxPermille = 100_000   // ×100
	maxMajor    = 1_000_000_000_000
)

// DefaultPolicy returns the policy used when the configuration sets nothing.
// Each call returns fresh slices and maps, so callers may modify the result.
func DefaultPolicy() Policy {
	return Policy{
		SLABands: []SLABand{
			{UptimeBelowBP: 9990, CreditBP: 1000},
			{UptimeBelowBP: 9900, CreditBP: 2500},
			{UptimeBelowBP: 9500, CreditBP: 10000},
		},
		RestoreSLACredit: true,
		ExtraBP:          5000,
		MinExtraBP:       2000,
		SeverityPermille: SeverityPermille{
			Low:      750,
			Normal:   1000,
			High:     1500,
			Critical: 2000,
		},
		DataLossPermille:         2000,
		TenurePermillePerYear:    100,
		TenureMaxPermille:        1000,
		AdvocatePermillePerPoint: 100,
		PaidBP:                   100,
		FriendlySteps: []Step{
			{Below: 20, Step: 1},
			{Below: 0, Step: 5},
		},
		FriendlyStepsByCurrency: map[string][]Step{
			"JPY": {{Below: 2000, Step: 100}, {Below: 0, Step: 500}},
			"KRW": {{Below: 20000, Step: 1000}, {Below: 0, Step: 5000}},
		},
		CapBP:                   20000,
		MonthlyBudget:           map[string]int64{},
		RepeatIncidentThreshold: 2,
		Gestures: []GestureRule{
			{Text: "a free month of the next plan up"},
			{Text: "one of your other products, free"},
			{Text: "a handwritten thank-you card", MinTenureMonths: 12},
		},
	}
}

// Validate reports every setting that is out of range, one per line, each
// naming its configuration key ("goodwill.cap_bp: ...").
func (p Policy) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("goodwill.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	inRange := func(key string, v, lo, hi int64) {
		if v < lo || v > hi {
			bad(key, "%d is out of range %d..%d", v, lo, hi)
		}
	}

	for i, b := range p.SLABands {
		inRange(fmt.Sprintf("sla_bands[%d].uptime_below_bp", i), b.UptimeBelowBP, 1, 10000)
		inRange(fmt.Sprintf("sla_bands[%d].credit_bp", i), b.CreditBP, 1, 10000)
	}
	inRange("extra_bp", p.ExtraBP, 0, maxBP)
	inRange("min_extra_bp", p.MinExtraBP, 1, maxBP)
	inRange("severity_permille.low", p.SeverityPermille.Low, 1, maxPermille)
	inRange("severity_permille.normal", p.SeverityPermille.Normal, 1, maxPermille)
	inRange("severity_permille.high", p.SeverityPermille.High, 1, maxPermille)
	inRange("severity_permille.critical", p.SeverityPermille.Critical, 1, maxPermille)
	// Below ×1 data loss would shrink the gesture for the worst incidents.
	inRange("data_loss_permille", p.DataLossPermille, 1000, maxPermille)
	inRange("tenure_permille_per_year", p.TenurePermillePerYear, 0, maxPermille)
	inRange("tenure_max_permille", p.TenureMaxPermille, 0, maxPermille)
	inRange("advocate_permille_per_point", p.AdvocatePermillePerPoint, 0, maxPermille/10)
	inRange("paid_bp", p.PaidBP, 0, maxBP)
	inRange("cap_bp", p.CapBP, 10000, maxBP)
	if p.RepeatIncidentThreshold < 1 || p.RepeatIncidentThreshold > 1000 {
		bad("repeat_incident_threshold", "%d is out of range 1..1000", p.RepeatIncidentThreshold)
	}

	if err := validateSteps("friendly_steps", p.FriendlySteps); err != nil {
		errs = append(errs, err)
	}
	for _, code := range sortedKeys(p.FriendlyStepsByCurrency) {
		if err := validateSteps("friendly_steps_by_currency."+code, p.FriendlyStepsByCurrency[code]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := duplicateKeys("friendly_steps_by_currency", sortedKeys(p.FriendlyStepsByCurrency)); err != nil {
		errs = append(errs, err)
	}
	for _, code := range sortedKeys(p.MonthlyBudget) {
		inRange("monthly_budget."+code, p.MonthlyBudget[code], 0, maxMajor)
	}
	if err := duplicateKeys("monthly_budget", sortedKeys(p.MonthlyBudget)); err != nil {
		errs = append(errs, err)
	}

	for i, g := range p.Gestures {
		if strings.TrimSpace(g.Text) == "" {
			bad(fmt.Sprintf("gestures[%d].text", i), "is empty")
		}
		if g.MinTenureMonths < 0 || g.MinTenureMonths > 1200 {
			bad(fmt.Sprintf("gestures[%d].min_tenure_months", i), "%d is out of range 0..1200", g.MinTenureMonths)
		}
	}
	return errors.Join(errs...)
}

func validateSteps(key string, steps []Step) error {
	if len(steps) == 0 {
		return fmt.Errorf("goodwill.%s: needs at least one band", key)
	}
	prev := int64(0)
	for i, s := range steps {
		last := i == len(steps)-1
		switch {
		case s.Step < 1 || s.Step > maxMajor:
			return fmt.Errorf("goodwill.%s[%d].step: %d is out of range 1..%d", key, i, s.Step, int64(maxMajor))
		case last && s.Below != 0:
			return fmt.Errorf("goodwill.%s[%d].below: the last band must have below 0 (no upper bound)", key, i)
		case !last && (s.Below <= prev || s.Below > maxMajor):
			return fmt.Errorf("goodwill.%s[%d].below: %d must be above the previous band's and at most %d", key, i, s.Below, int64(maxMajor))
		}
		prev = s.Below
	}
	return nil
}

// duplicateKeys catches "usd" and "USD" both set: after case folding they
// are one currency and which one wins would be arbitrary.
func duplicateKeys(key string, keys []string) error {
	seen := map[string]bool{}
	for _, k := range keys {
		u := strings.ToUpper(strings.TrimSpace(k))
		if seen[u] {
			return fmt.Errorf("goodwill.%s: %s is set twice", key, u)
		}
		seen[u] = true
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookup finds a currency's entry whatever the case of the key.
func lookup[V any](m map[string]V, currency string) (V, bool) {
	for _, k := range sortedKeys(m) {
		if strings.EqualFold(strings.TrimSpace(k), currency) {
			return m[k], true
		}
	}
	var zero V
	return zero, false
}

// stepsFor returns the friendly rounding bands for a currency.
func (p Policy) stepsFor(currency string) []Step {
	if s, ok := lookup(p.FriendlyStepsByCurrency, currency); ok {
		return s
	}
	return p.FriendlySteps
}

// severityPermille returns the extra's multiplier for s, which must be valid.
func (p Policy) severityPermille(s Severity) int64 {
	switch s {
	case SeverityLow:
		return p.SeverityPermille.Low
	case SeverityHigh:
		return p.SeverityPermille.High
	case SeverityCritical:
		return p.SeverityPermille.Critical
	default:
		return p.SeverityPermille.Normal
	}
}

// Describe lists the policy in force, one line per setting, in the order a
// reader needs them: what is restored, what is added, how it is rounded and
// capped, and what else is offered.
func (p Policy) Describe() []PolicyLine {
	var lines []PolicyLine
	add := func(key, value, meaning string) {
		lines = append(lines, PolicyLine{Key: "goodwill." + key, Value: value, Meaning: meaning})
	}

	add("periods", "month = 30 days, year = 365 days",
		"period lengths used for make_whole and uptime (fixed)")
	bands := slices.Clone(p.SLABands)
	slices.SortFunc(bands, func(a, b SLABand) int { return int(b.UptimeBelowBP - a.UptimeBelowBP) })
	var bs []string
	for _, b := range bands {
		bs = append(bs, fmt.Sprintf("uptime < %s → %s", fmtBP(b.UptimeBelowBP), fmtBP(b.CreditBP)))
	}
	if len(bs) == 0 {
		bs = []string{"none"}
	}
	add("sla_bands", strings.Join(bs, "; "),
		"sla_credit: share of the period's bill by uptime over the period; the largest matching band wins")
	add("restore_sla_credit", fmt.Sprint(p.RestoreSLACredit),
		"the recommendation restores the larger of make_whole and sla_credit before adding the extra")
	add("extra_bp", bpValue(p.ExtraBP), "extra on top of what is restored, as a share of make_whole")
	add("min_extra_bp", bpValue(p.MinExtraBP), "least extra, as a share of a month's price (a twelfth of a yearly price)")
	add("severity_permille.low", permilleValue(p.SeverityPermille.Low), "extra multiplier for low severity")
	add("severity_permille.normal", permilleValue(p.SeverityPermille.Normal), "extra multiplier for normal severity")
	add("severity_permille.high", permilleValue(p.SeverityPermille.High), "extra multiplier for high severity")
	add("severity_permille.critical", permilleValue(p.SeverityPermille.Critical), "extra multiplier for critical severity")
	add("data_loss_permille", permilleValue(p.DataLossPermille), "extra multiplier when data was lost")
	add("tenure_permille_per_year", fmt.Sprintf("%d (+%s per full year)", p.TenurePermillePerYear, fmtPermille(p.TenurePermillePerYear)),
		"extra grows with each full year as a customer")
	add("tenure_max_permille", fmt.Sprintf("%d (+%s at most)", p.TenureMaxPermille, fmtPermille(p.TenureMaxPermille)),
		"most the tenure can add to the extra's multiplier")
	add("advocate_permille_per_point", fmt.Sprintf("%d (+%s per point, 0..10)", p.AdvocatePermillePerPoint, fmtPermille(p.AdvocatePermillePerPoint)),
		"extra grows with the operator-set advocate weight (lifetime network value)")
	add("paid_bp", bpValue(p.PaidBP),
		"added share of everything paid so far (estimated as periods started × price when unknown)")
	add("friendly_steps", stepsValue(p.FriendlySteps),
		"the recommendation is rounded up to these steps, in major units")
	for _, code := range sortedKeys(p.FriendlyStepsByCurrency) {
		add("friendly_steps_by_currency."+strings.ToUpper(code), stepsValue(p.FriendlyStepsByCurrency[code]),
			"friendly steps for "+strings.ToUpper(code))
	}
	add("cap_bp", bpValue(p.CapBP),
		"per-case cap on the recommendation, as a share of the period's price; never below make_whole")
	if len(p.MonthlyBudget) == 0 {
		add("monthly_budget", "none", "goodwill budget per calendar month and currency, in major units")
	}
	for _, code := range sortedKeys(p.MonthlyBudget) {
		add("monthly_budget."+strings.ToUpper(code), fmt.Sprintf("%d %s", p.MonthlyBudget[code], strings.ToUpper(code)),
			"goodwill budget per calendar month; limits the goodwill, never make_whole")
	}
	add("repeat_incident_threshold", fmt.Sprint(p.RepeatIncidentThreshold),
		"other incidents in the last 12 months that flag repeat_incident (the gesture is not reduced)")
	for i, g := range p.Gestures {
		v := g.Text
		if g.MinTenureMonths > 0 {
			v = fmt.Sprintf("%s (from %d months as a customer)", g.Text, g.MinTenureMonths)
		}
		add(fmt.Sprintf("gestures[%d]", i), v, "a non-monetary extra offered as an option")
	}
	return lines
}

func bpValue(bp int64) string { return fmt.Sprintf("%d (%s)", bp, fmtBP(bp)) }

func permilleValue(pm int64) string { return fmt.Sprintf("%d (%s)", pm, fmtTimes(pm)) }

func stepsValue(steps []Step) string {
	var parts []string
	for _, s := range steps {
		if s.Below == 0 {
			parts = append(parts, fmt.Sprintf("then %d", s.Step))
		} else {
			parts = append(parts, fmt.Sprintf("%d below %d", s.Step, s.Below))
		}
	}
	return strings.Join(parts, ", ")
}
