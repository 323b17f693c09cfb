package goodwill

import (
	"strings"
	"testing"

	"github.com/spf13/viper"
)

func TestDefaultPolicyValid(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultPolicyIsFresh(t *testing.T) {
	a := DefaultPolicy()
	a.SLABands[0].CreditBP = 1
	a.FriendlyStepsByCurrency["JPY"][0].Step = 7
	a.Gestures[0].Text = "changed"
	b := DefaultPolicy()
	if b.SLABands[0].CreditBP == 1 || b.FriendlyStepsByCurrency["JPY"][0].Step == 7 || b.Gestures[0].Text == "changed" {
		t.Error("DefaultPolicy shares state between calls")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		key    string
		change func(*Policy)
	}{
		{"goodwill.sla_bands[1].credit_bp", func(p *Policy) { p.SLABands[1].CreditBP = 0 }},
		{"goodwill.sla_bands[0].uptime_below_bp", func(p *Policy) { p.SLABands[0].UptimeBelowBP = 10001 }},
		{"goodwill.min_extra_bp", func(p *Policy) { p.MinExtraBP = 0 }},
		{"goodwill.extra_bp", func(p *Policy) { p.ExtraBP = -1 }},
		{"goodwill.severity_permille.high", func(p *Policy) { p.SeverityPermille.High = 0 }},
		{"goodwill.data_loss_permille", func(p *Policy) { p.DataLossPermille = 900 }},
		{"goodwill.cap_bp", func(p *Policy) { p.CapBP = 9999 }},
		{"goodwill.repeat_incident_threshold", func(p *Policy) { p.RepeatIncidentThreshold = 0 }},
		{"goodwill.friendly_steps", func(p *Policy) { p.FriendlySteps = nil }},
		{"goodwill.friendly_steps[1].below", func(p *Policy) { p.FriendlySteps[1].Below = 50 }},
		{"goodwill.friendly_steps[1].below", func(p *Policy) {
			p.FriendlySteps = []Step{{Below: 20, Step: 1}, {Below: 10, Step: 2}, {Step: 5}}
		}},
		{"goodwill.friendly_steps[0].step", func(p *Policy) { p.FriendlySteps[0].Step = 0 }},
		{"goodwill.friendly_steps_by_currency.JPY[0].step", func(p *Policy) { p.FriendlyStepsByCurrency["JPY"][0].Step = -5 }},
		{"goodwill.friendly_steps_by_currency: JPY is set twice", func(p *Policy) {
			p.FriendlyStepsByCurrency["jpy"] = []Step{{Step: 1}}
		}},
		{"goodwill.monthly_budget.usd", func(p *Policy) { p.MonthlyBudget["usd"] = -1 }},
		{"goodwill.gestures[2].text", func(p *Policy) { p.Gestures[2].Text = "  " }},
		{"goodwill.gestures[0].min_tenure_months", func(p *Policy) { p.Gestures[0].MinTenureMonths = -1 }},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.change(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s: err = %v", tt.key, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	p := DefaultPolicy()
	p.MonthlyBudget["usd"] = 500
	lines := p.Describe()
	byKey := map[string]PolicyLine{}
	for _, l := range lines {
		if l.Value == "" || l.Meaning == "" || strings.Contains(l.Value+l.Meaning, "\n") {
			t.Errorf("line %+v", l)
		}
		byKey[l.Key] = l
	}
	for key, want := range map[string]string{
		"goodwill.sla_bands":                      "uptime < 99.9% → 10%; uptime < 99% → 25%; uptime < 95% → 100%",
		"goodwill.extra_bp":                       "5000 (50%)",
		"goodwill.min_extra_bp":                   "2000 (20%)",
		"goodwill.severity_permille.critical":     "2000 (×2)",
		"goodwill.tenure_permille_per_year":       "100 (+10% per full year)",
		"goodwill.cap_bp":                         "20000 (200%)",
		"goodwill.friendly_steps":                 "1 below 20, then 5",
		"goodwill.friendly_steps_by_currency.JPY": "100 below 2000, then 500",
		"goodwill.monthly_budget.USD":             "500 USD",
		"goodwill.repeat_incident_threshold":      "2",
		"goodwill.gestures[2]":                    "a handwritten thank-you card (from 12 months as a customer)",
		"goodwill.restore_sla_credit":             "true",
		"goodwill.advocate_permille_per_point":    "100 (+10% per point, 0..10)",
		"goodwill.paid_bp":                        "100 (1%)",
		"goodwill.data_loss_permille":             "2000 (×2)",
		"goodwill.tenure_max_permille":            "1000 (+100% at most)",
		"goodwill.severity_permille.low":          "750 (×0.75)",
		"goodwill.friendly_steps_by_currency.KRW": "1000 below 20000, then 5000",
	} {
		if got := byKey[key].Value; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

// The CLI loads the policy with viper; this pins the mapstructure tags and
// shows that keys absent from the file keep their defaults.
func TestViperUnmarshal(t *testing.T) {
	v := viper.New()
	v.SetConfigType("yaml")
	err := v.ReadConfig(strings.NewReader(`
goodwill:
  cap_bp: 15000
  extra_bp: 2500
  restore_sla_credit: false
  severity_permille:
    critical: 3000
  sla_bands:
    - {uptime_below_bp: 9950, credit_bp: 500}
  monthly_budget:
    USD: 300
  friendly_steps_by_currency:
    CHF:
      - {below: 10, step: 1}
      - {below: 0, step: 10}
  gestures:
    - text: a call from the founder
      min_tenure_months: 6
`))
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultPolicy()
	if err := v.UnmarshalKey("goodwill", &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.CapBP != 15000 || p.ExtraBP != 2500 || p.RestoreSLACredit || p.SeverityPermille.Critical != 3000 ||
		p.SeverityPermille.High != 1500 || p.MinExtraBP != 2000 {
		t.Errorf("scalars: %+v", p)
	}
	if len(p.SLABands) != 1 || p.SLABands[0] != (SLABand{9950, 500}) {
		t.Errorf("sla_bands = %+v", p.SLABands)
	}
	if b, ok := lookup(p.MonthlyBudget, "USD"); !ok || b != 300 {
		t.Errorf("monthly_budget = %v", p.MonthlyBudget)
	}
	if s := p.stepsFor("CHF"); len(s) != 2 || s[1].Step != 10 {
		t.Errorf("CHF steps = %v", s)
	}
	if s := p.stepsFor("JPY"); len(s) != 2 || s[0].Step != 100 {
		t.Errorf("JPY default steps lost: %v", s)
	}
	if len(p.Gestures) != 1 || p.Gestures[0] != (GestureRule{"a call from the founder", 6}) {
		t.Errorf("gestures = %+v", p.Gestures)
	}
}
