// Package goodwill works out what to give a customer after something went
// wrong: the money to restore what they paid for and did not get, an extra on
// top, and gestures that are not money. It is a pure function of its inputs
// (no I/O, no clock: the caller passes now), so the CLI, a script or another
// Go program get the same answer for the same case.
//
// # Using it
//
//	p := goodwill.DefaultPolicy()
//	_ = v.UnmarshalKey("goodwill", &p) // viper; keys missing from config keep defaults
//	if err := p.Validate(); err != nil { ... } // errors name the key: "goodwill.cap_bp: ..."
//	s, err := goodwill.Suggest(customer, incident, history, p, time.Now())
//
// Suggest fails only on invalid input; the error names the field ("price",
// "currency", "downtime", ...). For `goodwill policy`, Policy.Describe lists
// every setting in force with its key, value and meaning.
//
// The Suggestion carries Recommended (kind "recommended") and Options, ranked
// best first, with the recommendation repeated as Options[0] so that a table
// of Options shows it marked in place and `--pick KIND` can choose any row.
// Every amount is a money.Amount in the customer's currency, in integer minor
// units; gestures have a zero Amount and their text in Gesture. Every Reason
// is one line that shows its figures. Flags is never nil.
//
// # The options
//
// Periods have fixed lengths: a month is 30 days and a year 365 days, so the
// same outage is worth the same in February as in March. Downtime longer than
// the period counts as the whole period (flag "downtime_capped").
//
// "Degraded, not down": Incident.ImpactBP is the share of the service lost
// during the downtime (3000 = 30%; 0 means all of it). Make-whole and the
// SLA bands count downtime × impact, so a day at 30% counts as 7h12m.
//
// Every Reason is arithmetic a reader can check: terms in the order they
// are added, each multiplier next to what it multiplies, and the sum
// matching the total shown ("rounded up" where a division left a fraction
// of a minor unit).
//
//   - make_whole: price × downtime / period length × impact, rounded UP to
//     the minor unit so that restoring never under-pays: "$49.00/month × 24h
//     down / 30 days = $1.64, rounded up", or with an impact "$49.00/month ×
//     1d down / 30 days × 30% impact = $0.49". Left out when there was no
//     downtime.
//   - sla_credit: uptime over the period, floored to a basis point, picks
//     the band with the largest credit among those whose threshold it is
//     below; the credit is that share of one period's price, rounded up.
//     Left out when no band applies (a zero credit is nothing to offer).
//   - next_invoice: one period's price, "enough to cover their next invoice".
//   - gesture: each Policy.Gestures entry whose MinTenureMonths the customer
//     has reached, e.g. a handwritten card only after a year.
//
// Ranking: the recommendation first; then the money options by amount,
// largest first (ties: next_invoice, sla_credit, make_whole); then the
// gestures in policy order.
//
// # The recommendation
//
//  1. Restore: make_whole, or the SLA credit when it is larger and
//     restore_sla_credit is on (the default), so the recommendation never
//     offers less than a credit the customer could claim under the SLA.
//  2. Extra: the larger of extra_bp of make_whole and min_extra_bp of a
//     month's price (of a yearly price ÷ 12, rounded up). min_extra_bp must
//     be positive, so there is always an extra: restoring what should have
//     been is only step one.
//  3. The extra is multiplied by the severity's per-mille, by 1 +
//     tenure_permille_per_year per full year as a customer (at most +
//     tenure_max_permille), by 1 + advocate_permille_per_point × the
//     advocate weight, and by data_loss_permille when data was lost, all at
//     once and rounded up once, so the product is the one a reader works
//     out: "extra $23.52 (20% of $49.00/month = $9.80, × 1.5 for high
//     severity, × 1.6 for 6 years as a customer)".
//  4. Plus paid_bp of everything paid so far (lifetime value). When
//     PaidMinor is 0 it is estimated as the periods started since Since ×
//     the price, because subscriptions bill in advance.
//  5. Rounded up to a friendly amount: friendly_steps, in major units scaled
//     by the currency's digits, unless friendly_steps_by_currency has an
//     entry for the currency (defaults: $1 steps under $20 then $5, and the
//     same for KWD and EUR; ¥100 under ¥2,000 then ¥500; ₩1,000 under
//     ₩20,000 then ₩5,000).
//  6. Capped by the per-case cap, cap_bp of one period's price (floored).
//     Validate keeps cap_bp >= 10000, and make_whole is at most one period's
//     price, so the cap can never cut below make_whole.
//  7. Capped by what is left of the monthly budget for the currency, but
//     never below make_whole: the budget limits goodwill, while make_whole is
//     what the customer paid for and is owed whatever the budget says.
//
// So the recommendation is always >= make_whole and <= the per-case cap; it
// is above make_whole, and friendly, unless a cap or the budget bit, in which
// case the reason says so and flag "cap_applied" or "budget_applied" is set.
// Caps and budget apply to the recommendation only: the other options are
// shown as computed, for the operator to choose with open eyes.
//
// Repeat incidents (IncidentsLast12M >= repeat_incident_threshold) add flag
// "repeat_incident", advising to reach out personally and fix the root cause.
// They never shrink the gesture: diminishing returns are the business's
// problem to fix, not the customer's to pay for.
//
// # Default policy
//
//	sla_bands                    uptime < 99.9% → 10%, < 99% → 25%, < 95% → 100%
//	restore_sla_credit           true
//	extra_bp                     5000   (50% of make_whole)
//	min_extra_bp                 2000   (20% of a month's price)
//	severity_permille            low 750, normal 1000, high 1500, critical 2000
//	data_loss_permille           2000   (×2)
//	tenure_permille_per_year     100    (+10% per full year)
//	tenure_max_permille          1000   (+100% at most, i.e. from 10 years)
//	advocate_permille_per_point  100    (+10% per point, so ×2 at 10)
//	paid_bp                      100    (1% of everything paid)
//	friendly_steps               1 below 20, then 5 (major units)
//	friendly_steps_by_currency   JPY: 100 below 2000, then 500; KRW: 1000 below 20000, then 5000
//	cap_bp                       20000  (200% of one period's price)
//	monthly_budget               none   (e.g. monthly_budget: {USD: 500})
//	repeat_incident_threshold    2
//	gestures                     "a free month of the next plan up";
//	                             "one of your other products, free";
//	                             "a handwritten thank-you card" (from 12 months)
//
// Ratios are integers ("_bp" basis points, 10000 = 100%; "_permille", 1000 =
// ×1) because no float touches money here. Map keys are currency codes in any
// case, since viper lower-cases them.
//
// # Worked example
//
// A $49.00/month customer of two months (paid unknown) loses a day (24h,
// severity normal):
//
//	recommended   $25.00  SLA credit $12.25 + extra $9.80 (20% of $49.00/month) + $1.47 (1% of $147.00 paid, estimated) = $23.52, rounded up to $25.00
//	next_invoice  $49.00  covers the next invoice: one month at $49.00
//	sla_credit    $12.25  uptime 96.66% over 30 days (1d down) is below 99%: 25% of $49.00 = $12.25
//	make_whole     $1.64  $49.00/month × 1d down / 30 days = $1.64, rounded up
//	gesture               a free month of the next plan up
//	gesture               one of your other products, free
package goodwill
