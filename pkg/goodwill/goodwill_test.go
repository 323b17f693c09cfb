package goodwill

import (
	"strings"
	"testing"
	"time"
)

// now() is a fixed clock: Suggest measures tenure against it.
func now() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

func monthsAgo(n int) time.Time { return now().AddDate(0, -n, 0) }

func withBudget(budget map[string]int64) Policy {
	p := DefaultPolicy()
	p.MonthlyBudget = budget
	return p
}

type want struct {
	rec, makeWhole, sla, next int64 // minor units; -1 means the option is absent
	recReason                 []string
	reasons                   map[string][]string // kind → substrings of its reason
	flags                     []string
	gestures                  int
}

func TestSuggest(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name   string
		c      Customer
		inc    Incident
		h      History
		policy Policy
		want   want
	}{
		{
			// make_whole = ceil(4900 × 24/720) = ceil(163.33) = 164.
			// uptime = floor(696/720 × 10000) = 9666 bp < 9900 → 25% → 1225.
			// extra = max(ceil(164 × 50%) = 82, 4900 × 20% = 980) = 980.
			// paid ≈ 3 months started × 4900 = 14700 → 1% = 147.
			// 1225 + 980 + 147 = 2352 ≥ $20 → next $5 → 2500.
			name: "one-day outage, $49/month",
			c:    Customer{ID: "cus_1", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:  Incident{Downtime: day},
			want: want{
				rec: 2500, makeWhole: 164, sla: 1225, next: 4900, gestures: 2,
				recReason: []string{"SLA credit $12.25", "extra $9.80 (20% of $49.00/month)",
					"$1.47 (1% of $147.00 paid, estimated)", "= $23.52", "rounded up to $25.00"},
				reasons: map[string][]string{
					KindMakeWhole:   {"$49.00/month × 1d down / 30 days = $1.64, rounded up"},
					KindSLACredit:   {"uptime 96.66%", "below 99%", "25% of $49.00 = $12.25"},
					KindNextInvoice: {"one month at $49.00"},
				},
			},
		},
		{
			// make_whole = ceil(49000 × 24/8760) = ceil(134.25) = 135.
			// uptime = floor(8736/8760 × 10000) = 9972 < 9990 → 10% → 4900.
			// a month = ceil(49000/12) = 4084; extra = max(68, ceil(816.8) = 817)
			// × 1.2 (2 full years) = ceil(980.4) = 981.
			// paid ≈ 3 years started × 49000 = 147000 → 1% = 1470.
			// 4900 + 981 + 1470 = 7351 → next $5 → 7500.
			name: "yearly plan",
			c:    Customer{ID: "cus_y", PriceMinor: 49000, Currency: "usd", Period: Year, Since: now().AddDate(-2, -2, -14)},
			inc:  Incident{Downtime: day},
			want: want{
				rec: 7500, makeWhole: 135, sla: 4900, next: 49000, gestures: 3,
				recReason: []string{"SLA credit $49.00", "extra $9.81 (20% of $490.00/year ÷ 12 = $8.17, × 1.2 for 2 years as a customer, rounded up)",
					"+ extra $9.81", "$14.70 (1% of $1,470.00 paid, estimated)",
					"= $73.51, rounded up to $75.00"},
				reasons: map[string][]string{
					KindMakeWhole:   {"$490.00/year × 1d down / 365 days = $1.35, rounded up"},
					KindSLACredit:   {"uptime 99.72% over 365 days", "below 99.9%", "10% of $490.00 = $49.00"},
					KindNextInvoice: {"one year at $490.00"},
				},
			},
		},
		{
			// JPY has no minor unit: 3000 is ¥3,000.
			// make_whole = 3000 × 12/720 = 50 exactly.
			// uptime = floor(708/720 × 10000) = 9833 < 9900 → 25% → 750.
			// extra = max(25, 600) = 600; paid ≈ 2 × 3000 → 1% = 60.
			// 750 + 600 + 60 = 1410 < ¥2,000 → next ¥100 → 1500.
			name: "JPY",
			c:    Customer{ID: "cus_jp", PriceMinor: 3000, Currency: "JPY", Period: Month, Since: monthsAgo(1)},
			inc:  Incident{Downtime: 12 * time.Hour, Severity: SeverityNormal},
			want: want{
				rec: 1500, makeWhole: 50, sla: 750, next: 3000, gestures: 2,
				recReason: []string{"SLA credit ¥750", "extra ¥600", "¥60", "= ¥1,410, rounded up to ¥1,500"},
				reasons: map[string][]string{
					KindMakeWhole: {"¥3,000/month × 12h down / 30 days = ¥50"},
				},
			},
		},
		{
			// KWD has three decimals: 15000 is KWD 15.000.
			// make_whole = 15000 × 6/720 = 125 exactly.
			// uptime = floor(714/720 × 10000) = 9916 < 9990 → 10% → 1500.
			// extra = max(63, 3000) = 3000; paid ≈ 1 × 15000 → 1% = 150.
			// 1500 + 3000 + 150 = 4650 < KWD 20 → next whole KWD → 5000.
			name: "KWD",
			c:    Customer{ID: "cus_kw", PriceMinor: 15000, Currency: "KWD", Period: Month, Since: now()},
			inc:  Incident{Downtime: 6 * time.Hour},
			want: want{
				rec: 5000, makeWhole: 125, sla: 1500, next: 15000, gestures: 2,
				recReason: []string{"SLA credit KWD 1.500", "extra KWD 3.000", "KWD 0.150", "= KWD 4.650, rounded up to KWD 5.000"},
				reasons: map[string][]string{
					KindMakeWhole: {"KWD 15.000/month × 6h down / 30 days = KWD 0.125"},
				},
			},
		},
		{
			// extra 980 × 1.5 (high) = 1470 × 1.6 (6 years) = 2352
			// × 1.8 (advocate 8) = ceil(4233.6) = 4234.
			// paid is known: 320000 → 1% = 3200.
			// 1225 + 4234 + 3200 = 8659 → next $5 → 9000 (cap 9800).
			name: "long-tenure advocate",
			c: Customer{ID: "cus_fan", PriceMinor: 4900, Currency: "USD", Period: Month,
				Since: now().AddDate(-6, 0, 0), PaidMinor: 320000, Advocate: 8},
			inc: Incident{Downtime: day, Severity: SeverityHigh},
			want: want{
				rec: 9000, makeWhole: 164, sla: 1225, next: 4900, gestures: 3,
				recReason: []string{"extra $42.34 (20% of $49.00/month = $9.80, × 1.5 for high severity", "× 1.6 for 6 years as a customer", "× 1.8 for advocate 8, rounded up)",
					"$32.00 (1% of $3,200.00 paid)", "= $86.59, rounded up to $90.00"},
				reasons: map[string][]string{
					KindGesture: {"customer of 6 years (offered from 1 year)"},
				},
			},
		},
		{
			// make_whole = ceil(4900 × 2/720) = ceil(13.6) = 14.
			// uptime = floor(718/720 × 10000) = 9972 < 9990 → 10% → 490.
			// extra = 980 × 0.75 (low) = 735; paid ≈ 4900 → 49.
			// 490 + 735 + 49 = 1274 < $20 → next $1 → 1300.
			name: "brand-new customer",
			c:    Customer{ID: "cus_new", PriceMinor: 4900, Currency: "USD", Period: Month, Since: now()},
			inc:  Incident{Downtime: 2 * time.Hour, Severity: SeverityLow},
			want: want{
				rec: 1300, makeWhole: 14, sla: 490, next: 4900, gestures: 2,
				recReason: []string{"SLA credit $4.90", "extra $7.35 (20% of $49.00/month = $9.80, × 0.75 for low severity)", "$0.49 (1% of $49.00 paid, estimated)",
					"= $12.74, rounded up to $13.00"},
			},
		},
		{
			// make_whole = ceil(4900 × 4/720) = ceil(27.2) = 28.
			// uptime = floor(716/720 × 10000) = 9944 < 9990 → 10% → 490.
			// extra 980 × 2 (critical) = 1960 × 1.1 (1 year) = 2156 × 2 (data loss) = 4312.
			// paid ≈ 13 × 4900 = 63700 → 637.
			// 490 + 4312 + 637 = 5439 → next $5 → 5500.
			name: "data-loss critical incident",
			c:    Customer{ID: "cus_dl", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(12)},
			inc:  Incident{Downtime: 4 * time.Hour, Severity: SeverityCritical, DataLoss: true},
			want: want{
				rec: 5500, makeWhole: 28, sla: 490, next: 4900, gestures: 3,
				recReason: []string{"extra $43.12 (20% of $49.00/month = $9.80, × 2 for critical severity", "× 1.1 for 1 year as a customer", "× 2 for data loss) + $6.37",
					"= $54.39, rounded up to $55.00"},
			},
		},
		{
			// Same figures as the one-day outage: repeats never shrink the gesture.
			name: "repeat incidents",
			c:    Customer{ID: "cus_r", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:  Incident{Downtime: day},
			h:    History{IncidentsLast12M: 3, CreditsLast12M: 5000},
			want: want{
				rec: 2500, makeWhole: 164, sla: 1225, next: 4900, gestures: 2,
				flags: []string{FlagRepeatIncident},
			},
		},
		{
			// Downtime counts as the 720h period: make_whole = sla = 4900.
			// extra = max(2450, 980) = 2450 × 2 × 2 (10 years, at most +100%)
			// × 2 (advocate 10) × 2 (data loss) = 39200; paid ≈ 121 × 4900 → 5929.
			// 4900 + 39200 + 5929 = 50029 > cap 200% × 4900 = 9800.
			name: "per-case cap bites",
			c: Customer{ID: "cus_cap", PriceMinor: 4900, Currency: "USD", Period: Month,
				Since: now().AddDate(-10, 0, 0), Advocate: 10},
			inc: Incident{Downtime: 800 * time.Hour, Severity: SeverityCritical, DataLoss: true},
			want: want{
				rec: 9800, makeWhole: 4900, sla: 4900, next: 4900, gestures: 3,
				recReason: []string{"= $500.29; capped at $98.00 (per-case cap, 200% of $49.00/month)"},
				reasons: map[string][]string{
					KindMakeWhole: {"downtime 33d 8h capped at the period: $49.00/month × 30d down / 30 days = $49.00"},
					KindSLACredit: {"uptime 0%", "below 95%", "100% of $49.00 = $49.00"},
				},
				flags: []string{FlagDowntimeCapped, FlagCapApplied},
			},
		},
		{
			// $25.00 as in the one-day outage, but only $500 − $480 = $20 is left.
			name:   "monthly budget bites",
			c:      Customer{ID: "cus_b", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:    Incident{Downtime: day},
			h:      History{GivenThisMonthMinor: 48000},
			policy: withBudget(map[string]int64{"usd": 500}), // viper lower-cases keys
			want: want{
				rec: 2000, makeWhole: 164, sla: 1225, next: 4900, gestures: 2,
				recReason: []string{"rounded up to $25.00; cut to $20.00 by the monthly goodwill budget ($500.00, $480.00 given, $20.00 left)"},
				flags:     []string{FlagBudgetApplied},
			},
		},
		{
			// Budget spent: make_whole (164) is still owed.
			name:   "monthly budget spent",
			c:      Customer{ID: "cus_b", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:    Incident{Downtime: day},
			h:      History{GivenThisMonthMinor: 60000},
			policy: withBudget(map[string]int64{"USD": 500}),
			want: want{
				rec: 164, makeWhole: 164, sla: 1225, next: 4900, gestures: 2,
				recReason: []string{"cut to make-whole $1.64", "$0.00 left", "owed whatever the budget"},
				flags:     []string{FlagBudgetApplied},
			},
		},
		{
			// Budget in another currency does not apply.
			name:   "budget in another currency",
			c:      Customer{ID: "cus_b", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:    Incident{Downtime: day},
			h:      History{GivenThisMonthMinor: 60000},
			policy: withBudget(map[string]int64{"EUR": 500}),
			want:   want{rec: 2500, makeWhole: 164, sla: 1225, next: 4900, gestures: 2},
		},
		{
			// No downtime (data lost, service up): nothing to restore, no SLA band.
			// extra = 980 × 2 (data loss) = 1960; paid ≈ 4900 → 49. 2009 → $25.
			name: "data loss without downtime",
			c:    Customer{ID: "cus_z", PriceMinor: 4900, Currency: "USD", Period: Month, Since: now()},
			inc:  Incident{DataLoss: true},
			want: want{
				rec: 2500, makeWhole: -1, sla: -1, next: 4900, gestures: 2,
				recReason: []string{"extra $19.60 (20% of $49.00/month = $9.80, × 2 for data loss) + $0.49", "= $20.09, rounded up to $25.00"},
			},
		},
		{
			// Degraded, not down: 24h at 30% counts as 7h12m.
			// make_whole = 4900 × 24/720 × 30% = 49 exactly.
			// uptime = (720 − 7.2)/720 = 99.00% → not below 99%, below 99.9% → 10% → 490.
			// extra = max(ceil(49 × 50%) = 25, 980) = 980; paid ≈ 14700 → 147.
			// 490 + 980 + 147 = 1617 < $20 → next $1 → 1700 (the outage: 2500).
			name: "degraded at 30% for a day",
			c:    Customer{ID: "cus_1", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:  Incident{Downtime: day, ImpactBP: 3000},
			want: want{
				rec: 1700, makeWhole: 49, sla: 490, next: 4900, gestures: 2,
				recReason: []string{"SLA credit $4.90 + extra $9.80 (20% of $49.00/month) + $1.47 (1% of $147.00 paid, estimated) = $16.17, rounded up to $17.00"},
				reasons: map[string][]string{
					KindMakeWhole: {"$49.00/month × 1d down / 30 days × 30% impact = $0.49"},
					KindSLACredit: {"uptime 99% over 30 days (1d down at 30% impact, counted as 7h 12m) is below 99.9%: 10% of $49.00 = $4.90"},
				},
			},
		},
		{
			// 100% is the outage itself: the same figures as ImpactBP 0.
			name: "impact of 100%",
			c:    Customer{ID: "cus_1", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(2)},
			inc:  Incident{Downtime: day, ImpactBP: FullImpact},
			want: want{
				rec: 2500, makeWhole: 164, sla: 1225, next: 4900, gestures: 2,
				reasons: map[string][]string{KindMakeWhole: {"$49.00/month × 1d down / 30 days = $1.64, rounded up"}},
			},
		},
		{
			// A long outage: extra by share of make_whole wins over the floor.
			// 72h: make_whole = 490; uptime 9000 < 9500 → 100% → 4900.
			// Over 720h at 50% the extra floor stays 980 > 245; so use 600h:
			// make_whole = ceil(4900 × 600/720) = ceil(4083.3) = 4084, extra = 2042.
			// 4900 + 2042 + 49 = 6991 → 7000.
			name: "extra as a share of make_whole",
			c:    Customer{ID: "cus_long", PriceMinor: 4900, Currency: "USD", Period: Month, Since: now()},
			inc:  Incident{Downtime: 600 * time.Hour},
			want: want{
				rec: 7000, makeWhole: 4084, sla: 4900, next: 4900, gestures: 2,
				recReason: []string{"extra $20.42 (50% of make-whole $40.84)", "= $69.91, rounded up to $70.00"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.FriendlySteps == nil {
				p = DefaultPolicy()
			}
			s, err := Suggest(tt.c, tt.inc, tt.h, p, now())
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			cur := strings.ToUpper(tt.c.Currency)
			if s.Customer != tt.c.ID || s.Currency != cur {
				t.Errorf("customer, currency = %q, %q", s.Customer, s.Currency)
			}
			if s.Recommended.Kind != KindRecommended || s.Recommended.Amount.Minor != w.rec || s.Recommended.Amount.Currency != cur {
				t.Errorf("recommended = %+v, want %d %s", s.Recommended, w.rec, cur)
			}
			if s.Options[0] != s.Recommended {
				t.Errorf("Options[0] = %+v, want the recommendation", s.Options[0])
			}
			for _, sub := range w.recReason {
				if !strings.Contains(s.Recommended.Reason, sub) {
					t.Errorf("recommended reason %q lacks %q", s.Recommended.Reason, sub)
				}
			}
			got := map[string]int64{KindMakeWhole: -1, KindSLACredit: -1, KindNextInvoice: -1}
			gestures := 0
			reasons := map[string]string{} // kind → its reasons, one per line
			for _, o := range s.Options[1:] {
				if strings.ContainsAny(o.Reason, "\n\r") || o.Reason == "" {
					t.Errorf("%s reason is not one line: %q", o.Kind, o.Reason)
				}
				reasons[o.Kind] += o.Reason + "\n"
				if o.Kind == KindGesture {
					gestures++
					if o.Gesture == "" || !o.Amount.IsZero() {
						t.Errorf("gesture %+v", o)
					}
					continue
				}
				if o.Gesture != "" || o.Amount.Currency != cur {
					t.Errorf("money option %+v", o)
				}
				got[o.Kind] = o.Amount.Minor
			}
			for kind, subs := range w.reasons {
				for _, sub := range subs {
					if !strings.Contains(reasons[kind], sub) {
						t.Errorf("%s reasons %q lack %q", kind, reasons[kind], sub)
					}
				}
			}
			if got[KindMakeWhole] != w.makeWhole || got[KindSLACredit] != w.sla || got[KindNextInvoice] != w.next {
				t.Errorf("make_whole, sla_credit, next_invoice = %d, %d, %d; want %d, %d, %d",
					got[KindMakeWhole], got[KindSLACredit], got[KindNextInvoice], w.makeWhole, w.sla, w.next)
			}
			if gestures != w.gestures {
				t.Errorf("%d gestures, want %d", gestures, w.gestures)
			}
			var codes []string
			for _, f := range s.Flags {
				codes = append(codes, f.Code)
			}
			if strings.Join(codes, ",") != strings.Join(w.flags, ",") {
				t.Errorf("flags = %v, want %v", s.Flags, w.flags)
			}
			if t.Failed() {
				for _, o := range s.Options {
					t.Logf("%-12s %10s %s | %s", o.Kind, o.Amount, o.Gesture, o.Reason)
				}
			}
		})
	}
}

func TestRanking(t *testing.T) {
	c := Customer{ID: "c", PriceMinor: 4900, Currency: "USD", Period: Month, Since: monthsAgo(13)}
	s, err := Suggest(c, Incident{Downtime: time.Hour}, History{}, DefaultPolicy(), now())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range s.Options {
		kinds = append(kinds, o.Kind)
	}
	want := "recommended,next_invoice,sla_credit,make_whole,gesture,gesture,gesture"
	if strings.Join(kinds, ",") != want {
		t.Errorf("kinds = %v, want %s", kinds, want)
	}
	// A full-period outage ties next_invoice, sla_credit and make_whole at
	// the price: ties keep that order.
	s, err = Suggest(c, Incident{Downtime: MonthLength}, History{}, DefaultPolicy(), now())
	if err != nil {
		t.Fatal(err)
	}
	kinds = kinds[:0]
	for _, o := range s.Options[:4] {
		kinds = append(kinds, o.Kind)
	}
	if strings.Join(kinds, ",") != "recommended,next_invoice,sla_credit,make_whole" {
		t.Errorf("tied kinds = %v", kinds)
	}
}

func TestRepeatIncidentMessage(t *testing.T) {
	c := Customer{ID: "c", PriceMinor: 4900, Currency: "USD", Period: Month}
	s, err := Suggest(c, Incident{Downtime: time.Hour}, History{IncidentsLast12M: 2, CreditsLast12M: 5000}, DefaultPolicy(), now())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Flags) != 1 {
		t.Fatalf("flags = %v", s.Flags)
	}
	for _, sub := range []string{"2 other incidents", "$50.00 already credited", "reach out personally", "root cause"} {
		if !strings.Contains(s.Flags[0].Message, sub) {
			t.Errorf("message %q lacks %q", s.Flags[0].Message, sub)
		}
	}
	s, _ = Suggest(c, Incident{Downtime: time.Hour}, History{IncidentsLast12M: 1}, DefaultPolicy(), now())
	if len(s.Flags) != 0 {
		t.Errorf("one earlier incident flagged: %v", s.Flags)
	}
}

func TestSuggestInvalidInput(t *testing.T) {
	ok := Customer{ID: "c", PriceMinor: 4900, Currency: "USD", Period: Month}
	tests := []struct {
		name  string
		c     Customer
		inc   Incident
		h     History
		field string
	}{
		{"unknown currency", Customer{ID: "c", PriceMinor: 1, Currency: "XXY", Period: Month}, Incident{}, History{}, "currency"},
		{"zero price", Customer{ID: "c", Currency: "USD", Period: Month}, Incident{}, History{}, "price"},
		{"huge price", Customer{ID: "c", PriceMinor: 1e11 + 1, Currency: "USD", Period: Month}, Incident{}, History{}, "price"},
		{"bad period", Customer{ID: "c", PriceMinor: 1, Currency: "USD", Period: "week"}, Incident{}, History{}, "period"},
		{"negative paid", Customer{ID: "c", PriceMinor: 1, Currency: "USD", Period: Month, PaidMinor: -1}, Incident{}, History{}, "paid"},
		{"advocate 11", Customer{ID: "c", PriceMinor: 1, Currency: "USD", Period: Month, Advocate: 11}, Incident{}, History{}, "advocate"},
		{"negative downtime", ok, Incident{Downtime: -time.Second}, History{}, "downtime"},
		{"bad severity", ok, Incident{Severity: "dire"}, History{}, "severity"},
		{"impact over 100%", ok, Incident{ImpactBP: 10001}, History{}, "impact"},
		{"negative impact", ok, Incident{ImpactBP: -1}, History{}, "impact"},
		{"negative given", ok, Incident{}, History{GivenThisMonthMinor: -1}, "given this month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Suggest(tt.c, tt.inc, tt.h, DefaultPolicy(), now())
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("err = %v, want one naming %q", err, tt.field)
			}
		})
	}
	p := DefaultPolicy()
	p.CapBP = 5000
	if _, err := Suggest(ok, Incident{}, History{}, p, now()); err == nil || !strings.Contains(err.Error(), "goodwill.cap_bp") {
		t.Errorf("invalid policy: err = %v", err)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Severity{"": SeverityNormal, "LOW": SeverityLow, " high ": SeverityHigh, "critical": SeverityCritical} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("ParseSeverity(urgent) accepted")
	}
	for in, want := range map[string]Period{"month": Month, "Monthly": Month, "year": Year, "annual": Year} {
		if got, err := ParsePeriod(in); err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePeriod("week"); err == nil {
		t.Error("ParsePeriod(week) accepted")
	}
	if Month.Length() != 720*time.Hour || Year.Length() != 8760*time.Hour || Period("x").Length() != 0 {
		t.Error("period lengths")
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "1d", 90 * time.Minute: "1h 30m", 45 * time.Minute: "45m",
		90 * time.Second: "1m 30s", 1500 * time.Millisecond: "1s", 0: "0s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for bp, want := range map[int64]string{10000: "100%", 9990: "99.9%", 9666: "96.66%", 50: "0.5%", 0: "0%"} {
		if got := fmtBP(bp); got != want {
			t.Errorf("fmtBP(%d) = %q, want %q", bp, got, want)
		}
	}
	if got := fmtTimes(1250); got != "×1.25" {
		t.Errorf("fmtTimes = %q", got)
	}
}

func TestTenure(t *testing.T) {
	tests := []struct {
		since time.Time
		want  int
	}{
		{time.Time{}, 0},
		{now().AddDate(0, 0, 1), 0}, // in the future: no tenure rather than an error
		{now().AddDate(0, -1, 0), 1},
		{now().AddDate(0, -1, 1), 0},
		{now().AddDate(-2, -3, 0), 27},
	}
	for _, tt := range tests {
		if got := fullMonths(tt.since, now()); got != tt.want {
			t.Errorf("fullMonths(%v) = %d, want %d", tt.since, got, tt.want)
		}
	}
}
