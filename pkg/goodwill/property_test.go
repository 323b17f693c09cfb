package goodwill

import (
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// currencies span 0 to 4 minor-unit digits.
func currencies() []string {
	return []string{"USD", "JPY", "KWD", "EUR", "KRW", "CLF", "BHD", "CHF"}
}

// randomCase is a valid input to Suggest, drawn across the whole input range.
type randomCase struct {
	C Customer
	I Incident
	H History
	P Policy
}

func (randomCase) Generate(r *rand.Rand, _ int) reflect.Value {
	cur := currencies()[r.Intn(len(currencies()))]
	d, _ := money.Digits(cur)
	scale := pow10(d)
	// Prices are drawn by order of magnitude so that small and huge ones
	// both turn up, up to the documented bound of 1e9 major units.
	price := 1 + r.Int63n(pow10(r.Intn(10+d))) // 1 .. 10^(9+d)
	price = min(price, maxPriceMajor*scale)
	period := Month
	if r.Intn(2) == 0 {
		period = Year
	}
	var paid int64
	if r.Intn(2) == 0 {
		paid = r.Int63n(maxMajor * scale)
	}
	sevs := []Severity{"", SeverityLow, SeverityNormal, SeverityHigh, SeverityCritical}
	c := randomCase{
		C: Customer{
			ID: "c", PriceMinor: price, Currency: cur, Period: period,
			Since:     now().Add(-time.Duration(r.Int63n(int64(40 * YearLength)))),
			PaidMinor: paid, Advocate: r.Intn(11),
		},
		I: Incident{
			Downtime: time.Duration(r.Int63n(int64(2 * YearLength))),
			Severity: sevs[r.Intn(len(sevs))],
			DataLoss: r.Intn(2) == 0,
			ImpactBP: r.Int63n(FullImpact + 1), // 0 is the default, all of it
		},
		H: History{
			IncidentsLast12M:    r.Intn(5),
			CreditsLast12M:      r.Int63n(1e12),
			GivenThisMonthMinor: r.Int63n(1e9 * scale),
		},
		P: DefaultPolicy(),
	}
	if r.Intn(4) == 0 {
		c.I.Downtime = time.Duration(r.Int63n(int64(time.Hour))) // short outages are common
	}
	c.P.CapBP = 10000 + r.Int63n(maxBP-10000+1)
	c.P.ExtraBP = r.Int63n(maxBP + 1)
	c.P.MinExtraBP = 1 + r.Int63n(maxBP)
	c.P.SeverityPermille.Critical = 1 + r.Int63n(maxPermille)
	c.P.DataLossPermille = 1000 + r.Int63n(maxPermille-1000+1)
	c.P.PaidBP = r.Int63n(maxBP + 1)
	c.P.RestoreSLACredit = r.Intn(2) == 0
	if r.Intn(2) == 0 {
		c.P.MonthlyBudget = map[string]int64{cur: r.Int63n(maxMajor + 1)}
	}
	return reflect.ValueOf(c)
}

// checkInvariants is what must hold for every valid input.
func checkInvariants(t *testing.T, c randomCase, s Suggestion) {
	t.Helper()
	cur, _ := money.NormalizeCurrency(c.C.Currency)
	capMinor := mulDivDown(c.C.PriceMinor, c.P.CapBP, 10000)
	var mw int64
	for _, o := range s.Options {
		switch {
		case o.Kind == KindGesture:
			if o.Gesture == "" || o.Amount != (money.Amount{}) {
				t.Fatalf("gesture %+v", o)
			}
		case o.Amount.Minor < 0 || o.Amount.Currency != cur:
			t.Fatalf("option %+v is negative or in the wrong currency", o)
		case o.Kind == KindMakeWhole:
			mw = o.Amount.Minor
		}
		// Whole minor units of this currency: the decimal form reads back
		// to the same amount.
		if o.Kind != KindGesture {
			back, err := money.Parse(o.Amount.Decimal(), cur)
			if o.Amount.Minor > 0 && o.Amount.Minor <= money.MaxMajor*pow10(mustDigits(cur)) && (err != nil || back != o.Amount) {
				t.Fatalf("%s %+v does not round-trip: %v %v", o.Kind, o.Amount, back, err)
			}
		}
	}
	rec := s.Recommended.Amount.Minor
	if rec < mw {
		t.Fatalf("recommended %d below make_whole %d\n%+v", rec, mw, s)
	}
	if rec > capMinor {
		t.Fatalf("recommended %d above cap %d\n%+v", rec, capMinor, s)
	}
	if rec <= 0 || s.Recommended.Amount.Currency != cur || s.Options[0] != s.Recommended {
		t.Fatalf("recommended %+v", s.Recommended)
	}
	if len(s.Flags) == 0 || onlyFlag(s.Flags, FlagRepeatIncident, FlagDowntimeCapped) {
		// Nothing bit: there is an extra on top of make_whole.
		if rec <= mw {
			t.Fatalf("recommended %d adds nothing to make_whole %d", rec, mw)
		}
	}
}

func mustDigits(cur string) int {
	d, _ := money.Digits(cur)
	return d
}

func onlyFlag(flags []Flag, codes ...string) bool {
	for _, f := range flags {
		ok := false
		for _, c := range codes {
			ok = ok || f.Code == c
		}
		if !ok {
			return false
		}
	}
	return true
}

func TestSuggestProperties(t *testing.T) {
	f := func(c randomCase) bool {
		s, err := Suggest(c.C, c.I, c.H, c.P, now())
		if err != nil {
			t.Fatalf("valid input rejected: %v\n%+v", err, c)
		}
		checkInvariants(t, c, s)
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 20000}); err != nil {
		t.Fatal(err)
	}
}

// Without caps biting, the recommendation is a friendly amount.
func TestSuggestFriendly(t *testing.T) {
	f := func(c randomCase) bool {
		c.P = DefaultPolicy()
		s, err := Suggest(c.C, c.I, c.H, c.P, now())
		if err != nil {
			t.Fatal(err)
		}
		if !onlyFlag(s.Flags, FlagRepeatIncident, FlagDowntimeCapped) {
			return true
		}
		cur := s.Currency
		rec := s.Recommended.Amount.Minor
		scale := pow10(mustDigits(cur))
		for _, st := range c.P.stepsFor(cur) {
			if st.Below == 0 || rec <= st.Below*scale {
				// rec is a multiple of this band's step, or of the
				// previous band's when it rounded up onto the boundary.
				if rec%(st.Step*scale) != 0 && rec%(c.P.stepsFor(cur)[0].Step*scale) != 0 {
					t.Fatalf("%s %d is not friendly", cur, rec)
				}
				break
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

// FuzzSuggest feeds arbitrary numbers, valid or not: Suggest must never
// panic, and whatever it accepts must keep the invariants.
func FuzzSuggest(f *testing.F) {
	f.Add(int64(4900), uint8(0), false, int64(24*time.Hour), uint8(1), false, int64(0), uint8(0), int64(0), int64(0), int64(20000), int64(-1))
	f.Add(int64(3000), uint8(1), true, int64(time.Hour), uint8(4), true, int64(1e6), uint8(10), int64(3), int64(5e5), int64(10000), int64(500))
	f.Add(int64(1), uint8(2), false, int64(-1), uint8(9), false, int64(-5), uint8(11), int64(-1), int64(-1), int64(1), int64(0))
	f.Add(int64(1e13), uint8(5), true, int64(1<<62), uint8(3), true, int64(1<<62), uint8(5), int64(1<<40), int64(1<<62), int64(1e6), int64(1e12))
	f.Fuzz(func(t *testing.T, price int64, curIdx uint8, yearly bool, downtime int64, sev uint8, dataLoss bool,
		paid int64, advocate uint8, incidents int64, given int64, capBP int64, budget int64) {
		sevs := []Severity{"", SeverityLow, SeverityNormal, SeverityHigh, SeverityCritical, "bogus"}
		c := randomCase{
			C: Customer{ID: "f", PriceMinor: price, Currency: currencies()[int(curIdx)%len(currencies())],
				Period: Month, Since: now().AddDate(0, -int(advocate), 0), PaidMinor: paid, Advocate: int(advocate)},
			I: Incident{Downtime: time.Duration(downtime), Severity: sevs[int(sev)%len(sevs)], DataLoss: dataLoss},
			H: History{IncidentsLast12M: int(incidents % 1000), GivenThisMonthMinor: given},
			P: DefaultPolicy(),
		}
		if yearly {
			c.C.Period = Year
		}
		c.P.CapBP = capBP
		if budget >= 0 {
			c.P.MonthlyBudget = map[string]int64{c.C.Currency: budget}
		}
		s, err := Suggest(c.C, c.I, c.H, c.P, now())
		if err != nil {
			return
		}
		checkInvariants(t, c, s)
	})
}
