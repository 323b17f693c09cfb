package incident

import (
	"context"
	"encoding/json"
	"errors"
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

func run(t *testing.T, e *clitest.Env, cmd *cobra.Command, args string) string {
	t.Helper()
	e.Stdout.Reset()
	if err := clitest.Run(cmd, args); err != nil {
		t.Fatalf("%s: %v", args, err)
	}
	return e.Stdout.String()
}

func incidents(t *testing.T, st ledger.Store) []ledger.Incident {
	t.Helper()
	incs, err := st.Incidents(context.Background(), ledger.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

func TestOpenFlags(t *testing.T) {
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdOpen(f, func(*OpenOptions) error { return nil })
	}, map[string]string{
		"--what x":             "--title is required when not running interactively",
		"--title x":            "--what is required when not running interactively",
		"--title x --what":     "flag needs an argument",
		"--title x --what y z": "unknown command",
	})
	e := clitest.New(t, nil)
	var got *OpenOptions
	err := clitest.Run(NewCmdOpen(e.F, func(o *OpenOptions) error { got = o; return nil }),
		`--title T --what "W w" --started 2026-11-23 --reported 2026-11-24T09:00:00Z --severity high --customers a,b --customers c --json`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "T" || got.What != "W w" || got.Started != "2026-11-23" || got.Reported != "2026-11-24T09:00:00Z" ||
		got.Severity != "high" || strings.Join(got.Customers, ",") != "a,b,c" || !got.Output.JSON || got.CanPrompt {
		t.Fatalf("opts %+v", got)
	}
	if got.Changed("title") != true || got.Changed("reported") != true {
		t.Fatal("Changed does not report given flags")
	}
}

func TestOpen(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"}, ledger.Customer{ID: "b"})
	out := run(t, e, NewCmdOpen(e.F, nil), `--title "Login outage" --what "  Logins failed for nine hours.  " --started 2026-11-23T20:00:00Z --severity high --customers "b, a,b"`)
	if out != "1\n" {
		t.Fatalf("piped stdout %q, want the id alone", out)
	}
	incs := incidents(t, st)
	if len(incs) != 1 {
		t.Fatalf("incidents %+v", incs)
	}
	inc := incs[0]
	if inc.Title != "Login outage" || inc.What != "Logins failed for nine hours." || inc.Severity != "high" ||
		!inc.StartedAt.Equal(time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)) || !inc.ReportedAt.Equal(now) ||
		strings.Join(inc.Customers, ",") != "a,b" || inc.FixedAt != nil {
		t.Fatalf("recorded %+v", inc)
	}

	// Defaults: reported now, started when reported, severity normal.
	e.Terminal()
	out = run(t, e, NewCmdOpen(e.F, nil), `--title Exports --what "Exports were empty." --severity normal --customers ""`)
	if out != "Opened incident 2: Exports (no customers recorded yet).\n" {
		t.Fatalf("terminal stdout %q", out)
	}
	inc = incidents(t, st)[0]
	if !inc.StartedAt.Equal(now) || !inc.ReportedAt.Equal(now) || inc.Severity != "normal" {
		t.Fatalf("defaults %+v", inc)
	}

	out = run(t, e, NewCmdOpen(e.F, nil), `--title Billing --what "We charged you twice." --reported 2026-11-24 --customers a --severity low --json`)
	var js map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": 3.0, "title": "Billing", "what": "We charged you twice.", "severity": "low",
		"status": "open", "started_at": "2026-11-24T00:00:00Z", "reported_at": "2026-11-24T00:00:00Z", "fixed_at": nil,
		"downtime": "10h", "downtime_seconds": 36000.0, "time_to_fix": nil, "time_to_fix_seconds": nil} {
		if js[k] != want {
			t.Errorf("JSON %s = %#v, want %#v", k, js[k], want)
		}
	}
	if c, ok := js["customers"].([]any); !ok || len(c) != 1 || c[0] != "a" {
		t.Errorf("JSON customers = %#v", js["customers"])
	}
}

func TestOpenBadInputWritesNothing(t *testing.T) {
	base := `--title T --what W `
	for args, field := range map[string]string{
		base + "--severity bad":                                                 "--severity",
		base + "--started 2026-11-25":                                           "--started: 2026-11-25T00:00:00Z is in the future",
		base + "--reported 2026-11-24T10:00:01Z":                                "--reported",
		base + "--started yesterday":                                            "--started",
		base + "--started 2026-11-24T09:00:00Z --reported 2026-11-24T08:00:00Z": "--reported: 2026-11-24T08:00:00Z is before --started",
		base + "--customers a,ghost":                                            `customer "ghost" not found`,
		base + "--customers 'a\x07'":                                            "--customers",
		`--title " " --what W`:                                                  "--title",
		"--title 'a\nb' --what W":                                               "--title: must be one line",
		`--title T --what "  "`:                                                 "--what",
		`--title T --what ` + strings.Repeat("w", 2001):                         "--what",
	} {
		e := clitest.New(t, nil)
		st := clitest.Seed(t, e, ledger.Customer{ID: "a"})
		err := clitest.Run(NewCmdOpen(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), field) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: err = %v, want %q and exit 2", args, err, field)
		}
		if n := len(incidents(t, st)); n != 0 {
			t.Errorf("%q: wrote %d incidents", args, n)
		}
	}
}

func TestOpenInteractive(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"}, ledger.Customer{ID: "b"})
	p := &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Title", Value: "Login outage"},
		{Title: "What happened", Value: "Logins failed."},
		{Title: "Severity", Value: "critical"},
		{Title: "How much of the service was lost", Value: "30%"},
		{Title: "Affected customer IDs", Value: "a, b"},
	}}
	e.F.Prompter = p
	if err := clitest.Run(NewCmdOpen(e.F, nil), ""); err != nil {
		t.Fatalf("%v (asked %q)", err, p.Asked)
	}
	incs := incidents(t, st)
	if len(incs) != 1 || incs[0].Title != "Login outage" || incs[0].Severity != "critical" || strings.Join(incs[0].Customers, ",") != "a,b" ||
		incs[0].ImpactBP != 3000 {
		t.Fatalf("recorded %+v", incs)
	}
	if len(p.Answers) != 0 {
		t.Fatalf("unasked: %+v", p.Answers)
	}
}

func seedIncident(t *testing.T, st ledger.Store, title string, customers ...string) ledger.Incident {
	t.Helper()
	inc, err := st.OpenIncident(context.Background(), ledger.NewIncident{Title: title, What: title + " happened.",
		Severity: "normal", StartedAt: now.Add(-10 * time.Hour), ReportedAt: now.Add(-9 * time.Hour),
		CreatedAt: now, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestFix(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"})
	seedIncident(t, st, "Login outage", "a")
	seedIncident(t, st, "Exports")

	if out := run(t, e, NewCmdFix(e.F, nil), "1 --at 2026-11-24T07:30:00Z"); out != "" {
		t.Fatalf("stdout %q; the message belongs on stderr", out)
	}
	if got := e.Stderr.String(); got != "Fixed incident 1 at 2026-11-24T07:30:00Z: 6h 30m after it was reported, 7h 30m of downtime.\n" {
		t.Fatalf("stderr %q", got)
	}
	out := run(t, e, NewCmdFix(e.F, nil), "2 --json")
	if !strings.Contains(out, `"fixed_at": "2026-11-24T10:00:00Z"`) || !strings.Contains(out, `"time_to_fix_seconds": 32400`) ||
		!strings.Contains(out, `"status": "fixed"`) {
		t.Fatalf("JSON %s", out)
	}

	for args, want := range map[string]string{
		"1":                           "incident 1 was already fixed at 2026-11-24T07:30:00Z",
		"3":                           `incident 3 not found`,
		"x":                           `ID: "x" is not an incident id`,
		"0":                           "ID",
		"":                            "accepts 1 arg",
		"2 --at tomorrow":             "--at",
		"2 --at 2026-11-24T10:00:01Z": "--at: 2026-11-24T10:00:01Z is in the future",
	} {
		err := clitest.Run(NewCmdFix(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: err = %v, want %q and exit 2", args, err, want)
		}
	}
	fixed, err := st.Incident(context.Background(), 1)
	if err != nil || !fixed.FixedAt.Equal(time.Date(2026, 11, 24, 7, 30, 0, 0, time.UTC)) {
		t.Fatalf("the first fix must stand: %+v %v", fixed.FixedAt, err)
	}

	seedIncident(t, st, "Later")
	err = clitest.Run(NewCmdFix(e.F, nil), "3 --at 2026-11-23")
	if err == nil || !strings.Contains(err.Error(), "--at: 2026-11-23T00:00:00Z is before incident 3 started") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("fix before the start: %v", err)
	}
}

func TestList(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"}, ledger.Customer{ID: "b"})
	seedIncident(t, st, "Login outage", "a", "b")
	seedIncident(t, st, "Exports, again", "b")
	if _, err := st.FixIncident(context.Background(), 1, now.Add(-7*time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if got, want := run(t, e, NewCmdList(e.F, nil), ""),
		"2\tExports, again\tnormal\topen\t2026-11-24T00:00:00Z\t2026-11-24T01:00:00Z\t\t\tb\n"+
			"1\tLogin outage\tnormal\tfixed\t2026-11-24T00:00:00Z\t2026-11-24T01:00:00Z\t2026-11-24T03:00:00Z\t7200\ta,b\n"; got != want {
		t.Fatalf("TSV:\n%s\nwant\n%s", got, want)
	}
	if got, want := run(t, e, NewCmdList(e.F, nil), "--csv --status open"),
		"id,title,severity,status,started_at,reported_at,fixed_at,time_to_fix_seconds,customers\n"+
			"2,\"Exports, again\",normal,open,2026-11-24T00:00:00Z,2026-11-24T01:00:00Z,,,b\n"; got != want {
		t.Fatalf("CSV:\n%s\nwant\n%s", got, want)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(run(t, e, NewCmdList(e.F, nil), "--json --customer a")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0]["id"] != 1.0 || js[0]["time_to_fix"] != "2h" || js[0]["downtime"] != "3h" {
		t.Fatalf("JSON %v", js)
	}
	if got := run(t, e, NewCmdList(e.F, nil), "--limit 1"); !strings.HasPrefix(got, "2\t") || strings.Count(got, "\n") != 1 {
		t.Fatalf("--limit 1: %q", got)
	}
	e.Terminal()
	got := run(t, e, NewCmdList(e.F, nil), "")
	for _, want := range []string{"Login outage", "2h", "open for 9h", "a, b"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if run(t, e, NewCmdList(e.F, nil), "--customer a --status open") != "" || !strings.Contains(e.Stderr.String(), "No incidents match.") {
		t.Fatalf("empty list: stderr %q", e.Stderr.String())
	}
	if err := clitest.Run(NewCmdList(e.F, nil), "--customer nobody"); !errors.Is(err, ledger.ErrNotFound) || cmdutil.ExitCode(err) != 2 {
		t.Errorf("--customer nobody: %v, want not found (exit 2)", err)
	}
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdList(f, func(*ListOptions) error { return nil })
	}, map[string]string{
		"--status closed":    `--status: "closed" is not an incident status`,
		"--limit -1":         "--limit",
		"--customer 'a\x01'": "--customer",
		"--json --csv":       "none of the others can be",
	})
}

func TestShow(t *testing.T) {
	ctx := context.Background()
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, ledger.Customer{ID: "a", Currency: "USD"}, ledger.Customer{ID: "b"}, ledger.Customer{ID: "c"})
	inc := seedIncident(t, st, "Login outage", "a", "b")
	// a: apologized 30 minutes after the report (an earlier failed attempt
	// does not count), given a credit, a gesture and a voided credit.
	for _, a := range []ledger.NewApology{
		{Customer: "a", Incident: inc.ID, Body: "x", RecordedAt: inc.ReportedAt.Add(10 * time.Minute), Status: ledger.ApologyFailed},
		{Customer: "a", Incident: inc.ID, Body: "y", RecordedAt: inc.ReportedAt.Add(30 * time.Minute)},
		{Customer: "a", Incident: inc.ID, Body: "z", RecordedAt: inc.ReportedAt.Add(2 * time.Hour)},
	} {
		if _, err := st.RecordApology(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, nc := range []ledger.NewCredit{
		{Customer: "a", AmountMinor: 2500, Currency: "USD", Reason: "outage", IncidentID: inc.ID, IssuedAt: now},
		{Customer: "a", Gesture: "a handwritten card", Reason: "goodwill", IncidentID: inc.ID, IssuedAt: now},
		{Customer: "a", AmountMinor: 900, Currency: "USD", Reason: "outage", IncidentID: inc.ID, IssuedAt: now},
		{Customer: "a", AmountMinor: 100, Currency: "USD", Reason: "bug", IssuedAt: now}, // not for this incident
	} {
		if _, _, err := st.IssueCredit(ctx, nc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.VoidCredit(ctx, 3, "typo", now); err != nil {
		t.Fatal(err)
	}
	seedIncident(t, st, "Unrelated", "c")

	out := run(t, e, NewCmdShow(e.F, nil), "1")
	for _, want := range []string{
		"title:        Login outage\n", "status:       open\n", "downtime:     10h so far\n",
		"what:         Login outage happened.\n", "Affected customers:\n",
		"a\t2026-11-24 01:30\t30m\t#3 sent\t$25.00, a handwritten card, $9.00 (void)\t\n",
		"b\tnot yet\t\t\tnothing yet\t\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "$1.00") || strings.Contains(out, "c\t") {
		t.Errorf("show includes what is not this incident's:\n%s", out)
	}

	if _, err := st.FixIncident(ctx, inc.ID, now.Add(-time.Hour), now); err != nil {
		t.Fatal(err)
	}
	var js ShowJSON
	if err := json.Unmarshal([]byte(run(t, e, NewCmdShow(e.F, nil), "1 --json")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Status != "fixed" || *js.TimeToFix != "8h" || *js.TimeToFixSeconds != 8*3600 || js.Downtime != "9h" || len(js.Affected) != 2 {
		t.Fatalf("JSON %+v", js)
	}
	a, b := js.Affected[0], js.Affected[1]
	if a.Customer != "a" || *a.ApologizedAt != "2026-11-24T01:30:00Z" || *a.TimeToApology != "30m" ||
		*a.TimeToApologySeconds != 1800 || a.Apologies != 3 || len(a.Given) != 3 ||
		*a.Given[0].Amount != "25.00" || a.Given[1].Kind != "gesture" || a.Given[2].Status != "void" {
		t.Fatalf("affected a: %+v", a)
	}
	if b.Customer != "b" || b.ApologizedAt != nil || b.TimeToApology != nil || len(b.Given) != 0 || b.Given == nil {
		t.Fatalf("affected b: %+v", b)
	}
	err := clitest.Run(NewCmdShow(e.F, nil), "9")
	if err == nil || !strings.Contains(err.Error(), `incident 9 not found`) || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("unknown: %v", err)
	}
}

// A fix recorded with the wrong time is corrected by appending: the
// message says what it was and what it is now, every figure follows the
// correction, and incident show lists both.
func TestFixCorrect(t *testing.T) {
	ctx := context.Background()
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e, ledger.Customer{ID: "a"})
	seedIncident(t, st, "Login outage", "a") // started 00:00, reported 01:00
	seedIncident(t, st, "Exports")

	err := clitest.Run(NewCmdFix(e.F, nil), "1 --correct")
	if err == nil || !strings.Contains(err.Error(), "--correct needs --at") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("--correct without --at: %v", err)
	}
	err = clitest.Run(NewCmdFix(e.F, nil), "1 --at 2026-11-24T03:00:00Z --correct")
	if err == nil || !strings.Contains(err.Error(), "incident 1 has no fix to correct") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("correcting an open incident: %v", err)
	}
	run(t, e, NewCmdFix(e.F, nil), "1") // meant 03:00, recorded at now (10:00)
	err = clitest.Run(NewCmdFix(e.F, nil), "1 --at 2026-11-24T03:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "correct it: makegood incident fix 1 --at TIME --correct") {
		t.Fatalf("a second fix does not say how to correct: %v", err)
	}

	e.Stderr.Reset()
	out := run(t, e, NewCmdFix(e.F, nil), "1 --at 2026-11-24T03:00:00Z --correct --json")
	if got := e.Stderr.String(); got != "Corrected the fix of incident 1: fixed at 2026-11-24T03:00:00Z (recorded before as 2026-11-24T10:00:00Z): 2h after it was reported, 3h of downtime.\n" {
		t.Fatalf("stderr %q", got)
	}
	if !strings.Contains(out, `"fixed_at": "2026-11-24T03:00:00Z"`) || !strings.Contains(out, `"time_to_fix_seconds": 7200`) ||
		!strings.Contains(out, `"fix_corrections": 1`) {
		t.Fatalf("JSON %s", out)
	}
	for args, want := range map[string]string{
		"1 --at 2026-11-23 --correct":           "--at: 2026-11-23T00:00:00Z is before incident 1 started",
		"1 --at 2026-11-24T10:00:01Z --correct": "--at: 2026-11-24T10:00:01Z is in the future",
		"3 --at 2026-11-24T03:00:00Z --correct": "incident 3 not found",
	} {
		err := clitest.Run(NewCmdFix(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: err = %v, want %q and exit 2", args, err, want)
		}
	}
	show := run(t, e, NewCmdShow(e.F, nil), "1")
	for _, want := range []string{
		"fixed:        2026-11-24T03:00:00Z\n",
		"fix history:  first recorded as 2026-11-24T10:00:00Z (on 2026-11-24T10:00:00Z)\n",
		"fix history:  corrected to 2026-11-24T03:00:00Z (on 2026-11-24T10:00:00Z)\n",
		"time to fix:  2h\n",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	fixes, err := st.Fixes(ctx, 1)
	if err != nil || len(fixes) != 2 {
		t.Fatalf("the first record must stay beside the correction: %+v %v", fixes, err)
	}
}

func TestOpenImpact(t *testing.T) {
	e := clitest.New(t, nil)
	st := clitest.Seed(t, e)
	out := run(t, e, NewCmdOpen(e.F, nil), `--title "Slow dashboard" --what "Reports took minutes." --impact 30% --json`)
	if !strings.Contains(out, `"impact": "30%"`) || !strings.Contains(out, `"impact_bp": 3000`) {
		t.Fatalf("JSON %s", out)
	}
	run(t, e, NewCmdOpen(e.F, nil), `--title "Down" --what "Nothing loaded."`)
	incs := incidents(t, st)
	if len(incs) != 2 || incs[1].ImpactBP != 3000 || incs[0].ImpactBP != ledger.FullImpact {
		t.Fatalf("impacts %+v", incs)
	}
	if show := run(t, e, NewCmdShow(e.F, nil), "1"); !strings.Contains(show, "impact:       30% of the service lost (degraded, not down)\n") {
		t.Fatalf("show:\n%s", show)
	}
	for _, bad := range []string{"0%", "120%", "most"} {
		err := clitest.Run(NewCmdOpen(e.F, nil), `--title T --what W --impact `+bad)
		if err == nil || !strings.Contains(err.Error(), "--impact: ") || cmdutil.ExitCode(err) != 2 {
			t.Errorf("--impact %s: %v", bad, err)
		}
	}
	if n := len(incidents(t, st)); n != 2 {
		t.Fatalf("a bad --impact wrote an incident: %d", n)
	}
}
