package goodwill

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt/prompttest"
)

var now = clitest.Now

// alice is the worked example of pkg/goodwill: $49.00/month, two months a
// customer.
var alice = ledger.Customer{ID: "alice", Name: "Alice", PriceMinor: 4900, Currency: "USD",
	Since: now.AddDate(0, -2, 0)}

// withConfig returns a test environment whose config file holds yaml.
func withConfig(t *testing.T, yaml string) *clitest.Env {
	t.Helper()
	dir := t.TempDir()
	if yaml != "" {
		if err := os.MkdirAll(filepath.Join(dir, "makegood"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "makegood", "config.yaml"), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return clitest.New(t, map[string]string{"XDG_CONFIG_HOME": dir})
}

func run(t *testing.T, e *clitest.Env, args string) string {
	t.Helper()
	e.Stdout.Reset()
	e.Stderr.Reset()
	if err := clitest.Run(NewCmdSuggest(e.F, nil), args); err != nil {
		t.Fatalf("%s: %v", args, err)
	}
	return e.Stdout.String()
}

func suggestJSON(t *testing.T, e *clitest.Env, args string) SuggestJSON {
	t.Helper()
	var s SuggestJSON
	if err := json.Unmarshal([]byte(run(t, e, args+" --json")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func openIncident(t *testing.T, st ledger.Store, started time.Time, severity string, customers ...string) ledger.Incident {
	t.Helper()
	inc, err := st.OpenIncident(context.Background(), ledger.NewIncident{Title: "Login outage", What: "Logins failed.",
		Severity: severity, StartedAt: started, ReportedAt: started, CreatedAt: now, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestSuggestFlags(t *testing.T) {
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdSuggest(f, func(*SuggestOptions) error { return nil })
	}, map[string]string{
		"--downtime 24h": "--customer is required when not running interactively",
		"--customer a":   "--downtime or --incident is required when not running interactively",
		"--customer a --downtime 24h --pick gesture":              "--pick chooses what --issue records; add --issue",
		"--customer a --downtime 24h --issue --pick x":            `--pick: "x" is not an option kind`,
		"--customer a --downtime 24h --issue --pick make_whole:2": "--pick",
		"--customer a --downtime 24h --issue --pick gesture:0":    "--pick",
		"--customer a --downtime 24h extra":                       "unknown command",
	})
	e := clitest.New(t, nil)
	var got *SuggestOptions
	err := clitest.Run(NewCmdSuggest(e.F, func(o *SuggestOptions) error { got = o; return nil }),
		"--customer a --incident 3 --downtime 2d --severity high --data-loss --issue --pick gesture:2 --reason bug --note n -y --json")
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer != "a" || got.Incident != "3" || got.Downtime != "2d" || got.Severity != "high" || !got.DataLoss ||
		!got.Issue || got.Pick != "gesture:2" || got.Reason != "bug" || got.Note != "n" || !got.Yes || !got.Output.JSON {
		t.Fatalf("opts %+v", got)
	}
	if got.Policy.CapBP != 20000 {
		t.Fatalf("default policy not loaded: %+v", got.Policy)
	}
}

// The JSON shape is exactly the issue's, and the figures are the worked
// example's.
func TestSuggestJSONWorkedExample(t *testing.T) {
	e := clitest.New(t, nil)
	clitest.Seed(t, e, alice)
	out := run(t, e, "--customer alice --downtime 24h --json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		return k
	}
	wantKeys := map[string][]string{
		"":            {"customer", "currency", "recommended", "options", "flags"},
		"recommended": {"kind", "amount", "amount_minor", "reason"},
		"options[0]":  {"kind", "amount", "amount_minor", "gesture", "reason"},
	}
	for where, want := range wantKeys {
		m := raw
		switch where {
		case "recommended":
			m = raw["recommended"].(map[string]any)
		case "options[0]":
			m = raw["options"].([]any)[0].(map[string]any)
		}
		if got := keys(m); len(got) != len(want) {
			t.Errorf("%s keys %v, want %v", where, got, want)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q", where, k)
			}
		}
	}

	var s SuggestJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Customer != "alice" || s.Currency != "USD" || s.Recommended.Kind != "recommended" ||
		s.Recommended.Amount != "25.00" || s.Recommended.AmountMinor != 2500 ||
		!strings.Contains(s.Recommended.Reason, "SLA credit $12.25 + extra $9.80") || s.Flags == nil || len(s.Flags) != 0 {
		t.Fatalf("suggestion %+v", s)
	}
	var got []string
	for _, o := range s.Options {
		a := "-"
		if o.Amount != nil {
			a = *o.Amount
		}
		if o.Gesture != nil {
			a = *o.Gesture
		}
		got = append(got, o.Kind+"="+a)
	}
	want := []string{"recommended=25.00", "next_invoice=49.00", "sla_credit=12.25", "make_whole=1.64",
		"gesture=a free month of the next plan up", "gesture=one of your other products, free"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options %v, want %v", got, want)
	}
	if g := s.Options[4]; g.Amount != nil || g.AmountMinor != 0 {
		t.Fatalf("a gesture has no amount: %+v", g)
	}
}

func TestSuggestFromIncident(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, alice)
	open := openIncident(t, st, now.Add(-24*time.Hour), "high", "alice")
	fixed := openIncident(t, st, now.Add(-72*time.Hour), "low", "alice")
	if _, err := st.FixIncident(context.Background(), fixed.ID, now.Add(-66*time.Hour), now); err != nil {
		t.Fatal(err)
	}

	s := suggestJSON(t, e, "--customer alice --incident 1")
	if !strings.Contains(s.Options[2].Reason, "(1d down)") || !strings.Contains(s.Recommended.Reason, "× 1.5 for high severity") {
		t.Fatalf("an open incident runs to now, at its severity: %+v", s)
	}
	s = suggestJSON(t, e, "--customer alice --incident 2")
	if !strings.Contains(s.Options[len(s.Options)-3].Reason, "× 6h down / 30 days") || !strings.Contains(s.Recommended.Reason, "× 0.75 for low severity") {
		t.Fatalf("a fixed incident lasts from start to fix: %+v", s.Options)
	}
	s = suggestJSON(t, e, "--customer alice --incident 1 --downtime 90m --severity normal --data-loss")
	if !strings.Contains(s.Options[len(s.Options)-3].Reason, "× 1h 30m down / 30 days") ||
		strings.Contains(s.Recommended.Reason, "severity") || !strings.Contains(s.Recommended.Reason, "× 2 for data loss") {
		t.Fatalf("flags override the incident: %+v", s)
	}
	_ = open
}

func TestSuggestHistoryFromTheLedger(t *testing.T) {
	e := withConfig(t, "goodwill:\n  monthly_budget:\n    USD: 30\n")
	st := clitest.Seed(t, e, alice, ledger.Customer{ID: "bob", PriceMinor: 4900, Currency: "USD"})
	ctx := context.Background()
	openIncident(t, st, now.AddDate(0, -11, 0), "normal", "alice")
	openIncident(t, st, now.AddDate(0, -3, 0), "normal", "alice")
	openIncident(t, st, now.AddDate(-2, 0, 0), "normal", "alice") // too long ago
	current := openIncident(t, st, now.Add(-24*time.Hour), "normal", "alice")
	for _, nc := range []ledger.NewCredit{
		{Customer: "alice", AmountMinor: 1000, Currency: "USD", Reason: "outage", IssuedAt: now.AddDate(0, -3, 0)},
		{Customer: "bob", AmountMinor: 2000, Currency: "USD", Reason: "outage", IssuedAt: now.Add(-time.Hour)},
		{Customer: "bob", AmountMinor: 9999, Currency: "EUR", Reason: "outage", IssuedAt: now.Add(-time.Hour)},
	} {
		if _, _, err := st.IssueCredit(ctx, nc); err != nil {
			t.Fatal(err)
		}
	}
	s := suggestJSON(t, e, "--customer alice --incident 4")
	codes := map[string]string{}
	for _, f := range s.Flags {
		codes[f.Code] = f.Message
	}
	if msg := codes["repeat_incident"]; !strings.Contains(msg, "2 other incidents in the last 12 months ($10.00 already credited)") {
		t.Fatalf("repeat flag: %+v", s.Flags)
	}
	// $30 budget, $20 given to bob this month in USD: $10 left, and the
	// recommendation cannot drop below make-whole.
	if msg := codes["budget_applied"]; s.Recommended.AmountMinor != 1000 || !strings.Contains(msg, "$20.00 given, $10.00 left") {
		t.Fatalf("budget: %+v %+v", s.Recommended, s.Flags)
	}
	if current.ID != 4 {
		t.Fatalf("incident id %d", current.ID)
	}
}

func TestSuggestBadInputWritesNothing(t *testing.T) {
	for args, want := range map[string]string{
		"--customer nobody --downtime 24h":                         `customer "nobody" not found`,
		"--customer alice --incident 9":                            `incident 9 not found`,
		"--customer alice --incident x":                            "--incident",
		"--customer alice --downtime 24":                           `--downtime: "24" is not a downtime`,
		"--customer alice --downtime=-5h":                          "--downtime",
		"--customer alice --downtime 24h --severity x":             "--severity",
		"--customer noprice --downtime 24h":                        "price: customer \"noprice\" has no price",
		"--customer nocurrency --downtime 24h":                     "currency: customer \"nocurrency\" has no currency",
		"--customer alice --downtime 0s --issue --pick make_whole": "--pick: make_whole is not among the options for this case (recommended, next_invoice, gesture)",
		"--customer alice --downtime 24h --issue --pick gesture:3": "--pick: there are only 2 gestures",
		"--customer alice --downtime 24h --issue --reason sorry":   "--reason",
	} {
		e := clitest.New(t, nil)
		st := clitest.Seed(t, e, alice, ledger.Customer{ID: "noprice", Currency: "USD"},
			ledger.Customer{ID: "nocurrency", PriceMinor: 100})
		err := clitest.Run(NewCmdSuggest(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want %q and exit 2", args, err, want)
		}
		if cs, _ := st.Credits(context.Background(), ledger.CreditFilter{}); len(cs) != 0 {
			t.Errorf("%s: wrote %+v", args, cs)
		}
	}
}

func TestSuggestInvalidPolicyNamesTheKey(t *testing.T) {
	for yaml, want := range map[string]string{
		"goodwill:\n  cap_bp: 5000\n":                "goodwill.cap_bp: 5000 is out of range 10000..1000000",
		"goodwill:\n  gestures:\n    - text: \"\"\n": "goodwill.gestures[0].text: is empty",
		"goodwill:\n  extra_bp: lots\n":              "extra_bp",
	} {
		e := withConfig(t, yaml)
		clitest.Seed(t, e, alice)
		for _, c := range []struct {
			cmd  *cobra.Command
			args string
		}{{NewCmdSuggest(e.F, nil), "--customer alice --downtime 1h"}, {NewCmdPolicy(e.F, nil), ""}} {
			err := clitest.Run(c.cmd, c.args)
			if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
				t.Errorf("%s with %q: err = %v, want %q and exit 2", c.cmd.Name(), yaml, err, want)
			}
		}
	}
}

func TestSuggestIssue(t *testing.T) {
	ctx := context.Background()
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, alice)
	inc := openIncident(t, st, now.Add(-24*time.Hour), "normal", "alice")

	if out := run(t, e, "--customer alice --incident 1 --issue"); out != "1\n" {
		t.Fatalf("piped --issue prints the id alone: %q", out)
	}
	c, err := st.Credit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.AmountMinor != 2500 || c.Currency != "USD" || c.IncidentID != inc.ID || c.Reason != "outage" ||
		!strings.HasPrefix(c.Note, "goodwill suggest, recommended: SLA credit $12.25") ||
		c.IdempotencyKey != ledger.CompensationKey(1, "alice", 0) {
		t.Fatalf("issued %+v", c)
	}

	// Running it again gives nothing more.
	if out := run(t, e, "--customer alice --incident 1 --issue"); out != "1\n" || !strings.Contains(e.Stderr.String(), "already recorded") {
		t.Fatalf("again: %q / %q", out, e.Stderr.String())
	}
	// Nor does another option: one compensation per customer and incident.
	for _, pick := range []string{"next_invoice", "gesture:2"} {
		err := clitest.Run(NewCmdSuggest(e.F, nil), "--customer alice --incident 1 --issue --pick "+pick)
		if err == nil || cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "compensated for incident 1 already, with credit 1 ($25.00)") {
			t.Fatalf("--pick %s after the recommendation: %v", pick, err)
		}
	}
	if n, _ := st.Credits(ctx, ledger.CreditFilter{Now: now}); len(n) != 1 {
		t.Fatalf("%d credits, want 1", len(n))
	}

	// Voided, the compensation can be given again, as something else.
	if _, err := st.VoidCredit(ctx, 1, "to give a gesture", now); err != nil {
		t.Fatal(err)
	}
	if out := run(t, e, "--customer alice --incident 1 --issue --pick gesture:2 --reason goodwill"); out != "2\n" {
		t.Fatalf("pick a gesture: %q", out)
	}
	g, err := st.Credit(ctx, 2)
	if err != nil || g.Gesture != "one of your other products, free" || g.AmountMinor != 0 || g.IncidentID != 1 || g.Reason != "goodwill" ||
		g.IdempotencyKey != ledger.CompensationKey(1, "alice", 1) {
		t.Fatalf("gesture %+v %v", g, err)
	}

	out := run(t, e, "--customer alice --downtime 3h --issue --pick next_invoice --note 'their next invoice' --json")
	var js map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	if js["id"] != 3.0 || js["amount"] != "49.00" || js["incident"] != nil || js["note"] != "their next invoice" ||
		js["idempotency_key"] != nil || js["kind"] != "credit" {
		t.Fatalf("--issue --json prints the credit: %v", js)
	}

	e.Terminal()
	out = run(t, e, "--customer alice --downtime 1h --issue --pick make_whole -y")
	if out != "Issued credit 4: $0.07 to Alice (alice) for outage.\n" {
		t.Fatalf("terminal with --yes: %q", out)
	}
}

func TestSuggestIssueInteractive(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	st := clitest.Seed(t, e, alice)
	openIncident(t, st, now.Add(-24*time.Hour), "normal", "alice")
	p := &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer", Value: "alice"},
		{Title: "Incident", Value: "1"},
		{Title: "What to give", Value: "next_invoice"},
		{Title: "Issue $49.00 to Alice (alice) for outage, for incident 1?", Value: "y"},
	}}
	e.F.Prompter = p
	out := run(t, e, "--issue")
	if len(p.Answers) != 0 {
		t.Fatalf("unasked %+v (asked %q)", p.Answers, p.Asked)
	}
	for _, want := range []string{"What to give Alice (alice) for incident 1 (Login outage), 1d down, normal severity:",
		"* recommended   $25.00\n", "Issued credit 1: $49.00 to Alice (alice) for outage (incident 1).\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Declining writes nothing.
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "What to give", Value: "gesture:1"},
		{Title: `Issue the gesture "a free month of the next plan up"`, Value: "n"},
	}}
	err := clitest.Run(NewCmdSuggest(e.F, nil), "--customer alice --incident 1 --issue")
	if err == nil || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("declined: %v", err)
	}
	if cs, _ := st.Credits(context.Background(), ledger.CreditFilter{}); len(cs) != 1 {
		t.Fatalf("credits after declining: %+v", cs)
	}
}

func TestSuggestOutputs(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, alice)
	openIncident(t, st, now.AddDate(0, -1, 0), "normal", "alice")
	openIncident(t, st, now.AddDate(0, -2, 0), "normal", "alice")
	out := run(t, e, "--customer alice --downtime 24h")
	lines := clitest.Lines(out)
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "recommended\t25.00\t2500\t\tSLA credit") ||
		lines[4] != "gesture\t\t0\ta free month of the next plan up\tan extra without money: offer it with or instead of a credit and let them choose" {
		t.Fatalf("piped rows:\n%s", out)
	}
	if !strings.HasPrefix(e.Stderr.String(), "repeat_incident: 2 other incidents") {
		t.Fatalf("flags go to stderr when piped: %q", e.Stderr.String())
	}

	e.Terminal()
	out = run(t, e, "--customer alice --downtime 24h")
	for _, want := range []string{
		"What to give Alice (alice) for 1d down, normal severity:\n",
		// Reasons wrap at the terminal's width (80 in tests), never cut.
		"* recommended   $25.00\n      SLA credit $12.25 + extra $9.80 (20% of $49.00/month) + $1.47 (1% of\n" +
			"      $147.00 paid, estimated) = $23.52, rounded up to $25.00\n",
		"  make_whole    $1.64\n      $49.00/month × 1d down / 30 days = $1.64, rounded up\n",
		"  gesture       one of your other products, free\n",
		"\n* recommended\n! repeat_incident: 2 other incidents",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, out)
		}
	}
}

func TestPolicy(t *testing.T) {
	e := withConfig(t, "goodwill:\n  cap_bp: 15000\n  monthly_budget: {usd: 500}\n")
	if err := clitest.Run(NewCmdPolicy(e.F, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]string
	if err := json.Unmarshal(e.Stdout.Bytes(), &lines); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, l := range lines {
		if l["meaning"] == "" {
			t.Errorf("%s has no meaning", l["key"])
		}
		byKey[l["key"]] = l["value"]
	}
	for k, want := range map[string]string{"goodwill.cap_bp": "15000 (150%)", "goodwill.monthly_budget.USD": "500 USD",
		"goodwill.extra_bp": "5000 (50%)", "goodwill.gestures[2]": "a handwritten thank-you card (from 12 months as a customer)"} {
		if byKey[k] != want {
			t.Errorf("%s = %q, want %q", k, byKey[k], want)
		}
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdPolicy(e.F, nil), ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stdout.String(), "goodwill.cap_bp\t15000 (150%)\tper-case cap") {
		t.Fatalf("piped policy:\n%s", e.Stdout.String())
	}
	e.Terminal()
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdPolicy(e.F, nil), ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stdout.String(), "goodwill.cap_bp = 15000 (150%)\n    per-case cap on the recommendation") {
		t.Fatalf("terminal policy:\n%s", e.Stdout.String())
	}
}

func TestParseDowntime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"24h": 24 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		"2d12h": 60 * time.Hour, "0s": 0, "45s": 45 * time.Second, "0d": 0,
	} {
		got, err := ParseDowntime("--downtime", in)
		if err != nil || got != want {
			t.Errorf("ParseDowntime(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24", "-1h", "+1h", "d", "1d-1h", "xd", "1.5d", "3661d", "1h30", "two days"} {
		if _, err := ParseDowntime("--downtime", in); err == nil || !strings.Contains(err.Error(), "--downtime") {
			t.Errorf("ParseDowntime(%q): err = %v", in, err)
		}
	}
}

// Degraded, not down: the incident's impact (or --impact) scales
// make-whole and the SLA bands.
func TestSuggestImpact(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, alice)
	if _, err := st.OpenIncident(context.Background(), ledger.NewIncident{Title: "Slow", What: "Pages were slow.",
		StartedAt: now.Add(-24 * time.Hour), ReportedAt: now.Add(-24 * time.Hour), CreatedAt: now,
		Customers: []string{"alice"}, ImpactBP: 3000}); err != nil {
		t.Fatal(err)
	}
	s := suggestJSON(t, e, "--customer alice --incident 1")
	if s.Recommended.AmountMinor != 1700 {
		t.Fatalf("recommended at 30%%: %+v", s.Recommended)
	}
	mw := s.Options[len(s.Options)-3]
	if mw.Kind != "make_whole" || !strings.Contains(mw.Reason, "× 30% impact = $0.49") {
		t.Fatalf("make-whole at 30%%: %+v", mw)
	}
	full := suggestJSON(t, e, "--customer alice --incident 1 --impact 100%")
	if full.Recommended.AmountMinor != 2500 {
		t.Fatalf("--impact 100%% overrides the incident's: %+v", full.Recommended)
	}
	if err := clitest.Run(NewCmdSuggest(e.F, nil), "--customer alice --downtime 1h --impact 0"); err == nil ||
		!strings.Contains(err.Error(), "--impact: ") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("--impact 0: %v", err)
	}
}
