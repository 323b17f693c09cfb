package apology

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/apology/shared"
	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt/prompttest"
	"github.com/makegood/makegood/pkg/apology"
)

var now = clitest.Now

const (
	blameShifting = "Hi Ana,\n\nWe apologize for any inconvenience.\nThe outage was due to an issue with our provider.\n"
	clean         = "Hi Ana,\n\nI'm sorry. A change we deployed broke logins for nine hours.\nIt is fixed.\n"
)

// env is a test environment with a config directory, for rules and
// template overrides.
func env(t *testing.T, config string) (*clitest.Env, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "makegood"), 0o700); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "makegood", "config.yaml"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return clitest.New(t, map[string]string{"XDG_CONFIG_HOME": dir}), filepath.Join(dir, "makegood")
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckExitStatus(t *testing.T) {
	e, _ := env(t, "")
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.txt", blameShifting)
	good := writeFile(t, dir, "good.txt", clean)

	err := clitest.Run(NewCmdCheck(e.F, nil), bad)
	var ec *cmdutil.ExitCodeError
	if !errors.As(err, &ec) || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("findings: err = %v, want exit status 1", err)
	}
	want := "3:1: stock-phrase: We apologize for any inconvenience — say what went wrong and what you did about it, in your own words\n" +
		"4:16: blame-shifting: due to an issue with — name the cause as yours: say what happened, e.g. \"we shipped a bug\"\n" +
		"4:37: blame-shifting: our provider — say what happened and that it is yours to fix\n"
	if got := e.Stdout.String(); got != want {
		t.Fatalf("findings:\n%s\nwant\n%s", got, want)
	}

	e.Stdout.Reset()
	if err := clitest.Run(NewCmdCheck(e.F, nil), good); err != nil {
		t.Fatalf("clean: %v", err)
	}
	if e.Stdout.String() != "" {
		t.Fatalf("clean text printed %q", e.Stdout.String())
	}

	// Standard input, by "-" or by default when it is not a terminal.
	for _, args := range []string{"-", ""} {
		e.Stdin.Reset()
		e.Stdin.WriteString("Rest assured, we value your business.")
		e.Stdout.Reset()
		err := clitest.Run(NewCmdCheck(e.F, nil), args)
		if cmdutil.ExitCode(err) != 1 || strings.Count(e.Stdout.String(), "\n") != 2 {
			t.Fatalf("stdin %q: %v\n%s", args, err, e.Stdout.String())
		}
	}

	e.Stdout.Reset()
	err = clitest.Run(NewCmdCheck(e.F, nil), "--json "+bad)
	var fs []apology.Finding
	if jerr := json.Unmarshal(e.Stdout.Bytes(), &fs); jerr != nil || cmdutil.ExitCode(err) != 1 || len(fs) != 3 ||
		fs[2] != (apology.Finding{Line: 4, Col: 37, Kind: "blame-shifting", Phrase: "our provider",
			Suggestion: "say what happened and that it is yours to fix"}) {
		t.Fatalf("--json: %v %v %+v", err, jerr, fs)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdCheck(e.F, nil), "--json "+good); err != nil || strings.TrimSpace(e.Stdout.String()) != "[]" {
		t.Fatalf("--json clean: %v %q", err, e.Stdout.String())
	}

	e.Terminal()
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdCheck(e.F, nil), good); err != nil || e.Stderr.String() != "No excuses or stock phrases found.\n" {
		t.Fatalf("clean at a terminal: %v %q", err, e.Stderr.String())
	}
}

func TestCheckUsageErrors(t *testing.T) {
	big := writeFile(t, t.TempDir(), "big.txt", strings.Repeat("a ", maxInput))
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		f.IOStreams.SetStdinTTY(true)
		return NewCmdCheck(f, nil)
	}, map[string]string{
		"":                      "FILE is required: name a file, or - to read standard input",
		"/nonexistent/file.txt": "FILE: open /nonexistent/file.txt",
		"a b":                   "accepts at most 1 arg",
		big:                     "is larger than 1048576 bytes",
	})
}

func TestCheckRulesFromConfig(t *testing.T) {
	e, _ := env(t, "apology:\n  rules:\n    stock_phrases:\n      - pattern: circle back\n        suggestion: say when you will write again\n")
	in := writeFile(t, t.TempDir(), "a.txt", "We will circle back. We apologize for any inconvenience caused by our provider.")
	err := clitest.Run(NewCmdCheck(e.F, nil), in)
	// The configured list replaces the built-in stock phrases; the
	// blame-shifting list, left out, keeps its defaults.
	want := "1:9: stock-phrase: circle back — say when you will write again\n" +
		"1:67: blame-shifting: our provider — say what happened and that it is yours to fix\n"
	if cmdutil.ExitCode(err) != 1 || e.Stdout.String() != want {
		t.Fatalf("err %v, stdout:\n%s\nwant\n%s", err, e.Stdout.String(), want)
	}

	for config, want := range map[string]string{
		"apology:\n  rules:\n    stock_phrases:\n      - pattern: \"... x\"\n": "apology.rules.stock_phrases[0].pattern",
		"apology:\n  rules:\n    blame_shifting:\n      - pattern: \"\"\n":     "apology.rules.blame_shifting[0].pattern",
		"apology:\n  rules:\n    blame_shifting: 7\n":                          "config apology.rules",
	} {
		e, _ := env(t, config)
		err := clitest.Run(NewCmdCheck(e.F, nil), in)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: err = %v, want %q and exit 2", config, err, want)
		}
	}
}

func seedIncident(t *testing.T, st ledger.Store, fixed bool, customers ...string) ledger.Incident {
	t.Helper()
	ctx := context.Background()
	inc, err := st.OpenIncident(ctx, ledger.NewIncident{Title: "Login outage",
		What:      "A change we deployed on Monday broke logins, and you could not sign in for nine hours",
		StartedAt: now.Add(-10 * time.Hour), ReportedAt: now.Add(-9 * time.Hour), CreatedAt: now, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	if fixed {
		if inc, err = st.FixIncident(ctx, inc.ID, now.Add(-time.Hour), now); err != nil {
			t.Fatal(err)
		}
	}
	return inc
}

func TestDraft(t *testing.T) {
	ctx := context.Background()
	e, cfgDir := env(t, "sender:\n  name: Zoë\n")
	st := clitest.Seed(t, e, ledger.Customer{ID: "ana", Name: "Ana Souza", Currency: "USD", Locale: "pt-BR"},
		ledger.Customer{ID: "bob"})
	seedIncident(t, st, true, "ana", "bob")
	for _, nc := range []ledger.NewCredit{
		{Customer: "ana", AmountMinor: 2500, Currency: "USD", Reason: "outage", IncidentID: 1, IssuedAt: now},
		{Customer: "ana", Gesture: "a handwritten thank-you card", Reason: "goodwill", IncidentID: 1, IssuedAt: now},
		{Customer: "bob", AmountMinor: 9900, Currency: "USD", Reason: "outage", IncidentID: 1, IssuedAt: now},
		{Customer: "ana", AmountMinor: 100, Currency: "USD", Reason: "bug", IssuedAt: now},
	} {
		if _, _, err := st.IssueCredit(ctx, nc); err != nil {
			t.Fatal(err)
		}
	}
	if err := clitest.Run(NewCmdDraft(e.F, nil), "--customer ana --incident 1"); err != nil {
		t.Fatal(err)
	}
	want := `Subject: Fixed: Login outage

Hi Ana,

I'm sorry. A change we deployed on Monday broke logins, and you could not sign in for nine hours.

It is fixed, and everything works as it should again.

To make up for it, we are giving you a credit of $25.00 toward your next invoice and a handwritten thank-you card.

Thank you for sticking with us.

Zoë
`
	if got := e.Stdout.String(); got != want {
		t.Fatalf("draft:\n%s\nwant\n%s", got, want)
	}
	if e.Stderr.String() != "" {
		t.Fatalf("a clean draft warns: %q", e.Stderr.String())
	}
	rules, err := shared.LoadRules(e.F.Viper)
	if err != nil {
		t.Fatal(err)
	}
	if fs := apology.Check(e.Stdout.String(), rules); len(fs) != 0 {
		t.Fatalf("the default draft has findings: %v", fs)
	}

	// The customer's locale picks an override from the config directory.
	writeFile(t, cfgDir, "templates/apology/default.pt.tmpl",
		"Subject: Desculpe: {{.Title}}\n\nOlá {{.FirstName}}.{{range .Given}}\n- {{.}}{{end}}\n")
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdDraft(e.F, nil), "--customer ana --incident 1 --json"); err != nil {
		t.Fatal(err)
	}
	var js DraftJSON
	if err := json.Unmarshal(e.Stdout.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.Customer != "ana" || js.Incident != 1 || *js.Locale != "pt-BR" || js.Subject != "Desculpe: Login outage" ||
		js.Body != "Olá Ana.\n- a credit of $25.00 toward your next invoice\n- a handwritten thank-you card\n" || js.Findings == nil {
		t.Fatalf("pt draft %+v", js)
	}

	// An incident described with an excuse draws a warning; the draft is
	// still printed, for the operator to fix.
	if _, err := st.OpenIncident(ctx, ledger.NewIncident{Title: "Exports", What: "Exports failed due to an issue with our provider.",
		StartedAt: now, ReportedAt: now, CreatedAt: now, Customers: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdDraft(e.F, nil), "--customer bob --incident 2"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "warning: the draft has 2 finding(s)") || !strings.Contains(e.Stderr.String(), "our provider") ||
		!strings.Contains(e.Stdout.String(), "We are fixing it right now") || strings.Contains(e.Stdout.String(), "To make up") {
		t.Fatalf("stderr %q stdout:\n%s", e.Stderr.String(), e.Stdout.String())
	}
}

func TestDraftErrors(t *testing.T) {
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdDraft(f, func(*DraftOptions) error { return nil })
	}, map[string]string{
		"--incident 1":   "--customer is required when not running interactively",
		"--customer a":   "--incident is required when not running interactively",
		"--customer a b": "unknown command",
	})
	e, cfgDir := env(t, "")
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"})
	seedIncident(t, st, false, "a")
	writeFile(t, cfgDir, "templates/apology/default.tmpl", "Subject: {{.Nope}}\n\nbody\n")
	for args, want := range map[string]string{
		"--customer a --incident 7":  `incident 7 not found`,
		"--customer z --incident 1":  `customer "z" not found`,
		"--customer a --incident no": "--incident",
		"--customer a --incident 1":  "apology template: template: " + filepath.Join(cfgDir, "templates", "apology", "default.tmpl"),
	} {
		err := clitest.Run(NewCmdDraft(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want %q and exit 2", args, err, want)
		}
	}
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	e, _ := env(t, "")
	st := clitest.Seed(t, e, ledger.Customer{ID: "ana", Name: "Ana"}, ledger.Customer{ID: "bob"})
	inc := seedIncident(t, st, true, "ana")
	sent := writeFile(t, t.TempDir(), "sent.txt", clean)

	e.Stdout.Reset()
	if err := clitest.Run(NewCmdRecord(e.F, nil), "--customer ana --incident 1 --file "+sent+" --at 2026-11-24T01:30:00Z"); err != nil {
		t.Fatal(err)
	}
	if e.Stdout.String() != "1\n" {
		t.Fatalf("piped record prints the id: %q", e.Stdout.String())
	}
	as, err := st.Apologies(ctx, ledger.ApologyFilter{})
	if err != nil || len(as) != 1 || as[0].Body != clean || as[0].Via != "email" || as[0].Status != "sent" ||
		!as[0].RecordedAt.Equal(inc.ReportedAt.Add(30*time.Minute)) {
		t.Fatalf("recorded %+v %v", as, err)
	}

	// From standard input, with an excuse: recorded (it was sent) with a
	// warning; bob joins the incident's affected customers.
	e.Stdin.WriteString(blameShifting)
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdRecord(e.F, nil), "--customer bob --incident 1 --file - --via chat --json"); err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js["id"] != 2.0 || js["customer"] != "bob" || js["incident"] != 1.0 || js["via"] != "chat" || js["status"] != "sent" ||
		js["recorded_at"] != "2026-11-24T10:00:00Z" || js["body"] != blameShifting {
		t.Fatalf("JSON %v", js)
	}
	if !strings.Contains(e.Stderr.String(), "warning: the apology has 3 finding(s)") {
		t.Fatalf("stderr %q", e.Stderr.String())
	}
	if got, _ := st.Incident(ctx, 1); strings.Join(got.Customers, ",") != "ana,bob" {
		t.Fatalf("affected %v", got.Customers)
	}

	e.Terminal()
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdRecord(e.F, nil), "--customer ana --incident 1 --file "+sent+" --status queued"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "Recorded apology 3 to Ana (ana) for incident 1, 9h after it was reported.\n" {
		t.Fatalf("terminal: %q", got)
	}
}

func TestRecordBadInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	sent := writeFile(t, dir, "sent.txt", clean)
	empty := writeFile(t, dir, "empty.txt", " \n\n")
	control := writeFile(t, dir, "bell.txt", "Sorry\x07")
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdRecord(f, func(*RecordOptions) error { return nil })
	}, map[string]string{
		"--incident 1 --file x":     "--customer is required when not running interactively",
		"--customer a --file x":     "--incident is required when not running interactively",
		"--customer a --incident 1": "--file is required when not running interactively",
	})
	for args, want := range map[string]string{
		"--incident 1 --customer a --file /nonexistent":                 "--file: open /nonexistent",
		"--incident 1 --customer a --file " + empty:                     "--file: the apology is empty",
		"--incident 1 --customer a --file " + control:                   "--file: must not contain control characters",
		"--incident 1 --customer a --file " + sent + " --status lost":   `--status: "lost" is not an apology status`,
		"--incident 1 --customer a --file " + sent + " --via ''":        "--via",
		"--incident 1 --customer a --file " + sent + " --at 2026-11-25": "--at: 2026-11-25T00:00:00Z is in the future",
		"--incident 1 --customer a --file " + sent + " --at 2026-11-23": "--at: 2026-11-23T00:00:00Z is before incident 1 started",
		"--incident 1 --customer a --file " + sent + " --at soon":       "--at",
		"--incident 2 --customer a --file " + sent:                      `incident 2 not found`,
		"--incident 1 --customer z --file " + sent:                      `customer "z" not found`,
	} {
		e, _ := env(t, "")
		st := clitest.Seed(t, e, ledger.Customer{ID: "a"})
		seedIncident(t, st, false, "a")
		err := clitest.Run(NewCmdRecord(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want %q and exit 2", args, err, want)
		}
		if as, _ := st.Apologies(context.Background(), ledger.ApologyFilter{}); len(as) != 0 {
			t.Errorf("%s: recorded %+v", args, as)
		}
	}
}

// At a terminal without --file, the draft is offered for editing and what
// the operator leaves is recorded.
func TestRecordInteractive(t *testing.T) {
	e, _ := env(t, "")
	e.Terminal()
	st := clitest.Seed(t, e, ledger.Customer{ID: "ana", Name: "Ana"})
	seedIncident(t, st, false, "ana")
	p := &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer", Value: "ana"},
		{Title: "Incident", Value: "1"},
		{Title: "The apology as sent", Value: clean},
	}}
	e.F.Prompter = p
	if err := clitest.Run(NewCmdRecord(e.F, nil), ""); err != nil {
		t.Fatalf("%v (asked %q)", err, p.Asked)
	}
	as, err := st.Apologies(context.Background(), ledger.ApologyFilter{Customer: "ana"})
	if err != nil || len(as) != 1 || as[0].Body != clean {
		t.Fatalf("recorded %+v %v", as, err)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	e, _ := env(t, "")
	st := clitest.Seed(t, e, ledger.Customer{ID: "ana"}, ledger.Customer{ID: "bob"})
	seedIncident(t, st, false, "ana", "bob")
	seedIncident(t, st, false, "bob")
	for _, a := range []ledger.NewApology{
		{Customer: "ana", Incident: 1, Body: "Line one.\nLine, two.\n", RecordedAt: now.Add(-2 * time.Hour)},
		{Customer: "bob", Incident: 1, Body: "Bob one.\n", RecordedAt: now.Add(-time.Hour), Via: "chat"},
		{Customer: "bob", Incident: 2, Body: "Bob two.\n", RecordedAt: now, Status: ledger.ApologyQueued},
	} {
		if _, err := st.RecordApology(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	list := func(args string) string {
		t.Helper()
		e.Stdout.Reset()
		if err := clitest.Run(NewCmdList(e.F, nil), args); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		return e.Stdout.String()
	}
	if got, want := list(""), "3\tbob\t2\t2026-11-24T10:00:00Z\temail\tqueued\tBob two.\n"+
		"2\tbob\t1\t2026-11-24T09:00:00Z\tchat\tsent\tBob one.\n"+
		"1\tana\t1\t2026-11-24T08:00:00Z\temail\tsent\tLine one. Line, two.\n"; got != want {
		t.Fatalf("TSV:\n%s\nwant\n%s", got, want)
	}
	if got, want := list("--csv --customer ana"), "id,customer,incident,recorded_at,via,status,body\n"+
		"1,ana,1,2026-11-24T08:00:00Z,email,sent,\"Line one.\nLine, two.\n\"\n"; got != want {
		t.Fatalf("CSV:\n%s\nwant\n%s", got, want)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(list("--json --incident 1 --customer bob")), &js); err != nil || len(js) != 1 || js[0]["id"] != 2.0 {
		t.Fatalf("JSON %v %v", js, err)
	}
	if got := list("--limit 1"); !strings.HasPrefix(got, "3\t") || strings.Count(got, "\n") != 1 {
		t.Fatalf("--limit: %q", got)
	}
	e.Terminal()
	if got := list("--customer ana --incident 2"); got != "" || !strings.Contains(e.Stderr.String(), "No apologies match.") {
		t.Fatalf("empty: %q %q", got, e.Stderr.String())
	}
	// A customer or incident the ledger does not have is an error, not an
	// empty list.
	for _, args := range []string{"--customer nobody", "--incident 9"} {
		if err := clitest.Run(NewCmdList(e.F, nil), args); !errors.Is(err, ledger.ErrNotFound) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: %v, want not found (exit 2)", args, err)
		}
	}
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdList(f, func(*ListOptions) error { return nil })
	}, map[string]string{
		"--incident x":       "--incident",
		"--limit -2":         "--limit",
		"--customer 'a\x01'": "--customer",
		"--json --csv":       "none of the others can be",
	})
}
