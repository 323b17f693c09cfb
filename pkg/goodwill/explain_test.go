package goodwill

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/makegood/makegood/pkg/duration"
	"github.com/makegood/makegood/pkg/money"
)

// The reasons are arithmetic a reader can check. These tests read them as
// a reader would — the printed amounts, percentages and multipliers, not
// the engine's numbers — and redo the sums.

// amountRe finds amounts as money.Format writes them in a currency whose
// symbol is sym: "$1,234.56", "KWD 1.250", "¥1,500".
func amountRe(sym string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(sym) + ` ?([0-9][0-9,]*(?:\.[0-9]+)?)`)
}

// reader parses one suggestion's figures back into exact rationals.
type reader struct {
	t     *testing.T
	cur   string
	scale int64
	re    *regexp.Regexp
}

func newReader(t *testing.T, cur string) reader {
	return reader{t: t, cur: cur, scale: pow10(mustDigits(cur)), re: amountRe(money.Symbol(cur))}
}

// amounts returns every amount in s, in minor units, in order.
func (r reader) amounts(s string) []int64 {
	var out []int64
	for _, m := range r.re.FindAllStringSubmatch(s, -1) {
		// Parsed by hand: money.Parse stops at a billion, and an amount
		// above the cap is still a term to add up.
		x := rat(r.t, strings.ReplaceAll(m[1], ",", ""))
		x.Mul(x, new(big.Rat).SetInt64(r.scale))
		if !x.IsInt() || !x.Num().IsInt64() {
			r.t.Fatalf("%q in %q is not a whole number of %s minor units", m[0], s, r.cur)
		}
		out = append(out, x.Num().Int64())
	}
	return out
}

func (r reader) first(s string) int64 {
	a := r.amounts(s)
	if len(a) == 0 {
		r.t.Fatalf("no %s amount in %q", r.cur, s)
	}
	return a[0]
}

// splitTop splits s on sep where sep is outside parentheses.
func splitTop(s, sep string) []string {
	var out []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 && strings.HasPrefix(s[i:], sep) {
			out = append(out, s[last:i])
			last = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[last:])
}

// inner is the text inside a term's outermost parentheses, or "".
func inner(term string) string {
	open := strings.IndexByte(term, '(')
	if open < 0 {
		return ""
	}
	return term[open+1 : strings.LastIndexByte(term, ')')]
}

// outside is a term without its parenthesis: "extra $9.80".
func outside(term string) string {
	if open := strings.IndexByte(term, '('); open >= 0 {
		return term[:open]
	}
	return term
}

var (
	percentRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)% of `)
	timesRe   = regexp.MustCompile(`^× ([0-9]+(?:\.[0-9]+)?) for `)
)

// rat reads a decimal such as "1.5" or "99.9" exactly.
func rat(t *testing.T, s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a number", s)
	}
	return r
}

// ceilMinor rounds a rational amount of minor units up, as every figure
// here is, and reports whether it was whole already.
func ceilMinor(x *big.Rat) (int64, bool) {
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64(), m.Sign() == 0
}

// checkShare checks "P% of X" against the amount it names: ceil(P% × X).
func (r reader) checkShare(what string, pct string, of int64, shown int64, rounded bool) {
	exact := new(big.Rat).Mul(rat(r.t, pct), big.NewRat(of, 100))
	want, whole := ceilMinor(exact)
	if want != shown {
		r.t.Fatalf("%s: %s%% of %d is %s, rounded up %d; the reason says %d", what, pct, of, exact.FloatString(4), want, shown)
	}
	if whole == rounded {
		r.t.Fatalf("%s: says rounded up = %v for %s", what, rounded, exact.FloatString(4))
	}
}

// checkRecommended redoes the recommendation's sum from its printed terms.
func (r reader) checkRecommended(reason string) {
	r.t.Helper()
	main := splitTop(reason, "; ")[0] // caps and budgets follow the sum
	sides := splitTop(main, " = ")
	if len(sides) != 2 {
		r.t.Fatalf("want TERMS = TOTAL in %q", reason)
	}
	total := r.first(sides[1])
	var sum int64
	for _, term := range splitTop(sides[0], " + ") {
		v := r.first(outside(term))
		if len(r.amounts(outside(term))) != 1 {
			r.t.Fatalf("term %q has more than one amount outside its parenthesis", term)
		}
		sum += v
		if in := inner(term); in != "" {
			r.checkTerm(term, in, v)
		}
	}
	if sum != total {
		r.t.Fatalf("the terms of %q sum to %d, not %d", reason, sum, total)
	}
	if rest := sides[1]; strings.Contains(rest, "rounded up to") {
		if to := r.amounts(rest); len(to) != 2 || to[1] < total {
			r.t.Fatalf("rounding in %q", reason)
		}
	}
}

// checkTerm checks a term's parenthesis: "20% of $49.00/month", "1% of
// $147.00 paid", or "20% of $49.00/month = $9.80, × 1.5 for …, × 1.6 for …".
func (r reader) checkTerm(term, in string, value int64) {
	m := percentRe.FindStringSubmatch(in)
	if m == nil {
		r.t.Fatalf("term %q does not start its parenthesis with P%% of", term)
	}
	rest := in[len(m[0]):]
	base := r.first(rest)
	of := new(big.Rat).Mul(rat(r.t, m[1]), big.NewRat(base, 100))
	if strings.HasPrefix(rest, r.re.FindString(rest)+"/year ÷ 12") {
		of.Quo(of, big.NewRat(12, 1))
	}
	steps := splitTop(rest, ", ")
	baseShown := value
	if eq := strings.Index(steps[0], " = "); eq >= 0 {
		baseShown = r.first(steps[0][eq:])
	}
	want, _ := ceilMinor(of)
	if want != baseShown {
		r.t.Fatalf("term %q: %s%% of %d is %s, rounded up %d, not %d", term, m[1], base, of.FloatString(4), want, baseShown)
	}
	prod := new(big.Rat).SetInt64(baseShown)
	factors := 0
	rounded := false
	for _, s := range steps[1:] {
		if s == "rounded up" {
			rounded = true
			continue
		}
		f := timesRe.FindStringSubmatch(s)
		if f == nil {
			continue // "estimated", a description of what was paid
		}
		prod.Mul(prod, rat(r.t, f[1]))
		factors++
	}
	if factors == 0 {
		if baseShown != value {
			r.t.Fatalf("term %q: no multipliers, yet %d is not %d", term, baseShown, value)
		}
		return
	}
	got, whole := ceilMinor(prod)
	if got != value {
		r.t.Fatalf("term %q: the multipliers give %s, rounded up %d, not %d", term, prod.FloatString(4), got, value)
	}
	if whole == rounded {
		r.t.Fatalf("term %q: says rounded up = %v for %s", term, rounded, prod.FloatString(4))
	}
}

var makeWholeRe = regexp.MustCompile(`^(?:downtime .+? capped at the period: )?(.+)/(month|year) × (.+?) down / ([0-9]+) days(?: × ([0-9.]+)% impact)? = (.+?)(, rounded up)?$`)

// checkMakeWhole redoes "$49.00/month × 1d down / 30 days × 30% impact = $0.49".
func (r reader) checkMakeWhole(reason string, value int64) {
	m := makeWholeRe.FindStringSubmatch(reason)
	if m == nil {
		r.t.Fatalf("make-whole reason %q is not PRICE/PERIOD × D down / N days [× P%% impact] = X", reason)
	}
	d, err := duration.Parse(m[3])
	if err != nil {
		r.t.Fatalf("make-whole reason %q: %v", reason, err)
	}
	var days int64
	fmt.Sscan(m[4], &days)
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(r.first(m[1])), big.NewInt(int64(d))),
		big.NewInt(days*int64(24*time.Hour)))
	if m[5] != "" {
		x.Mul(x, rat(r.t, m[5]))
		x.Quo(x, big.NewRat(100, 1))
	}
	want, whole := ceilMinor(x)
	if shown := r.first(m[6]); want != shown || shown != value {
		r.t.Fatalf("make-whole reason %q: works out to %s, rounded up %d; shows %d, option %d", reason, x.FloatString(4), want, shown, value)
	}
	if whole == (m[7] != "") {
		r.t.Fatalf("make-whole reason %q: rounded up is %v for %s", reason, m[7] != "", x.FloatString(4))
	}
}

var slaRe = regexp.MustCompile(`: ([0-9.]+)% of (.+) = (.+?)(, rounded up)?$`)

func (r reader) checkSLA(reason string, value int64) {
	m := slaRe.FindStringSubmatch(reason)
	if m == nil {
		r.t.Fatalf("SLA reason %q does not end P%% of PRICE = X", reason)
	}
	shown := r.first(m[3])
	if shown != value {
		r.t.Fatalf("SLA reason %q shows %d, option %d", reason, shown, value)
	}
	r.checkShare("SLA reason "+reason, m[1], r.first(m[2]), shown, m[4] != "")
}

func (r reader) checkSuggestion(s Suggestion) {
	r.checkRecommended(s.Recommended.Reason)
	for _, o := range s.Options {
		switch o.Kind {
		case KindMakeWhole:
			r.checkMakeWhole(o.Reason, o.Amount.Minor)
		case KindSLACredit:
			r.checkSLA(o.Reason, o.Amount.Minor)
		case KindNextInvoice:
			if got := r.first(o.Reason); got != o.Amount.Minor {
				r.t.Fatalf("next invoice reason %q shows %d, option %d", o.Reason, got, o.Amount.Minor)
			}
		}
	}
}

// For many random policies, customers and incidents, every printed term of
// every option is re-computed from the printed figures, and the terms sum
// to the printed total. Across the whole input range, multipliers of 100×
// stacked four deep push some amounts to the engine's saturation point
// (about 2.3×10^18 minor units), which cannot be printed exactly; those
// cases are left out, and the test fails if that leaves too few. With
// policies an operator would write (every ratio at most 10×), no case may
// be left out.
func TestExplanationsAddUp(t *testing.T) {
	everyday := func(c *randomCase) {
		c.P.ExtraBP %= 100_001
		c.P.MinExtraBP = 1 + c.P.MinExtraBP%100_000
		c.P.SeverityPermille.Critical = 1 + c.P.SeverityPermille.Critical%10_000
		c.P.DataLossPermille = 1000 + c.P.DataLossPermille%9_001
		c.P.PaidBP %= 100_001
		c.P.CapBP = 10000 + c.P.CapBP%90_001
	}
	for _, tt := range []struct {
		name     string
		adjust   func(*randomCase)
		maxSkips int // out of 5000
	}{
		{"whole input range", func(*randomCase) {}, 2500},
		{"everyday policies", everyday, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checked, skipped := 0, 0
			f := func(c randomCase) bool {
				tt.adjust(&c)
				s, err := Suggest(c.C, c.I, c.H, c.P, now())
				if err != nil {
					t.Fatalf("valid input rejected: %v\n%+v", err, c)
				}
				r := newReader(t, s.Currency)
				for _, a := range r.amounts(s.Recommended.Reason) {
					if a >= ceiling {
						skipped++
						return true
					}
				}
				defer func() {
					if t.Failed() {
						t.Logf("case %+v\nrecommended: %s", c, s.Recommended.Reason)
					}
				}()
				r.checkSuggestion(s)
				checked++
				return true
			}
			if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
				t.Fatal(err)
			}
			if skipped > tt.maxSkips {
				t.Fatalf("%d cases checked, %d left out at saturation (at most %d may be)", checked, skipped, tt.maxSkips)
			}
			t.Logf("%d cases checked, %d left out at saturation", checked, skipped)
		})
	}
}

// The worked examples, read the same way.
func TestExplanationExamples(t *testing.T) {
	long := DefaultPolicy()
	for _, k := range []struct {
		c   Customer
		inc Incident
	}{
		{Customer{ID: "a", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)}, Incident{Downtime: 24 * time.Hour}},
		{Customer{ID: "b", PriceMinor: 4900, Currency: "USD", Period: Month, Since: now().AddDate(-6, 0, 0), PaidMinor: 320000, Advocate: 8},
			Incident{Downtime: 24 * time.Hour, Severity: SeverityHigh}},
		{Customer{ID: "c", PriceMinor: 49000, Currency: "USD", Period: Year, Since: monthsAgo(26)}, Incident{Downtime: 24 * time.Hour}},
		{Customer{ID: "d", PriceMinor: 3000, Currency: "JPY", Period: Month, Since: monthsAgo(5)}, Incident{Downtime: 12 * time.Hour, ImpactBP: 2500}},
		{Customer{ID: "e", PriceMinor: 15000, Currency: "KWD", Period: Month}, Incident{Downtime: 6*time.Hour + 17*time.Second, ImpactBP: 3333, DataLoss: true}},
	} {
		s, err := Suggest(k.c, k.inc, History{}, long, now())
		if err != nil {
			t.Fatal(err)
		}
		newReader(t, s.Currency).checkSuggestion(s)
	}
}
