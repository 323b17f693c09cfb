package credit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt/prompttest"
)

func openIncident(t *testing.T, st ledger.Store, customers ...string) ledger.Incident {
	t.Helper()
	inc, err := st.OpenIncident(context.Background(), ledger.NewIncident{Title: "Login outage", What: "Logins failed.",
		StartedAt: clitest.Now.Add(-3 * time.Hour), ReportedAt: clitest.Now.Add(-2 * time.Hour),
		CreatedAt: clitest.Now, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestIssueGestureAndIncidentFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--customer a --amount 5 --gesture card":     "[amount gesture] were all set",
		"--customer a --gesture card --currency USD": "[currency gesture] were all set",
		"--customer a --gesture card --expires 90d":  "[expires gesture] were all set",
		"--customer a": "--amount is required when not running interactively",
		"--customer a --gesture card --incident 1 extra": "unknown command",
	} {
		e := clitest.New(t, nil)
		err := clitest.Run(NewCmdIssue(e.F, func(*IssueOptions) error { return nil }), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want %q and exit 2", args, err, want)
		}
	}
	e := clitest.New(t, nil)
	var got *IssueOptions
	if err := clitest.Run(NewCmdIssue(e.F, func(o *IssueOptions) error { got = o; return nil }),
		`--customer a --gesture "a handwritten card" --incident 7`); err != nil {
		t.Fatal(err)
	}
	if got.Gesture != "a handwritten card" || got.Incident != "7" || got.Amount != "" {
		t.Fatalf("opts %+v", got)
	}
}

func TestIssueGesture(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Name: "Alice", Currency: "USD"})
	inc := openIncident(t, st)
	if err := issueWith(t, e, `--customer a --gesture "a handwritten card" --incident 1 --reason goodwill --note "for the outage"`); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "1\n" {
		t.Fatalf("piped stdout %q, want the id alone", got)
	}
	cs := credits(t, st)
	if len(cs) != 1 || cs[0].Gesture != "a handwritten card" || cs[0].AmountMinor != 0 || cs[0].Currency != "" ||
		cs[0].IncidentID != inc.ID || cs[0].Reason != "goodwill" || cs[0].Note != "for the outage" {
		t.Fatalf("recorded %+v", cs)
	}
	after, err := st.Incident(context.Background(), inc.ID)
	if err != nil || strings.Join(after.Customers, ",") != "a" {
		t.Fatalf("a gesture for an incident adds the customer to it: %v %v", after.Customers, err)
	}

	e.Stdout.Reset()
	e.Terminal()
	if err := issueWith(t, e, `--customer a --gesture "a free month of Pro" --incident 1`); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "Recorded gesture 2: a free month of Pro, for Alice (a) (incident 1).\n" {
		t.Fatalf("terminal stdout %q", got)
	}
	e.Stdout.Reset()
	if err := issueWith(t, e, `--customer a --amount 25 --incident 1`); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "Issued credit 3: $25.00 to Alice (a) for other (incident 1).\n" {
		t.Fatalf("terminal stdout %q", got)
	}

	e.Stdout.Reset()
	if err := issueWith(t, e, `--customer a --gesture "a call from the founder" --json`); err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": 4.0, "kind": "gesture", "gesture": "a call from the founder", "amount": nil,
		"amount_minor": 0.0, "currency": nil, "remaining": nil, "remaining_minor": 0.0, "status": "given", "incident": nil} {
		if js[k] != want {
			t.Errorf("JSON %s = %#v, want %#v", k, js[k], want)
		}
	}

	// Gestures are listed beside money but never counted in a balance.
	e.IO.SetStdoutTTY(false)
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdList(e.F, nil), "--incident 1"); err != nil {
		t.Fatal(err)
	}
	want := "3\ta\t25.00\tUSD\tother\topen\t25.00\t2026-11-24T10:00:00Z\t\tcredit\t\t1\n" +
		"2\ta\t\t\tother\tgiven\t\t2026-11-24T10:00:00Z\t\tgesture\ta free month of Pro\t1\n" +
		"1\ta\t\t\tgoodwill\tgiven\t\t2026-11-24T10:00:00Z\tfor the outage\tgesture\ta handwritten card\t1\n"
	if got := e.Stdout.String(); got != want {
		t.Fatalf("list --incident 1:\n%s\nwant\n%s", got, want)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdBalance(e.F, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); !strings.Contains(got, `"balance_minor": 2500`) || strings.Count(got, `"customer"`) != 1 {
		t.Fatalf("balance must count only the money:\n%s", got)
	}
}

func TestIssueGestureBadInputWritesNothing(t *testing.T) {
	for args, field := range map[string]string{
		`--customer a --gesture " "`:                         "--gesture",
		"--customer a --gesture 'two\nlines'":                "--gesture",
		`--customer a --gesture " padded"`:                   "--gesture",
		`--customer a --gesture ` + strings.Repeat("x", 501): "--gesture",
		`--customer a --gesture card --incident 9`:           `incident 9 not found`,
		`--customer a --gesture card --incident x`:           "--incident",
		`--customer a --amount 5 --incident 0`:               "--incident",
		`--customer a --gesture card --reason sorry`:         "--reason",
	} {
		e := clitest.New(t, nil)
		st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		err := issueWith(t, e, args)
		if err == nil || !strings.Contains(err.Error(), field) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want it to name %s with exit 2", args, err, field)
		}
		if cs := credits(t, st); len(cs) != 0 {
			t.Errorf("%s: wrote %+v", args, cs)
		}
	}
}

func TestIssueGestureInteractive(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	st := seed(t, e, ledger.Customer{ID: "a", Name: "Alice", Currency: "USD"})
	p := &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer", Value: "a"},
		{Title: "Reason", Value: "goodwill"},
		{Title: "Note", Value: ""},
		{Title: "Record this gesture?", Value: "y"},
	}}
	e.F.Prompter = p
	if err := issueWith(t, e, `--gesture "a handwritten card"`); err != nil {
		t.Fatalf("%v (asked %q)", err, p.Asked)
	}
	if cs := credits(t, st); len(cs) != 1 || cs[0].Gesture != "a handwritten card" {
		t.Fatalf("recorded %+v", cs)
	}
	if len(p.Answers) != 0 {
		t.Fatalf("unasked: %+v", p.Answers)
	}
}

func TestApplyAndVoidGesture(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	if err := issueWith(t, e, `--customer a --gesture card`); err != nil {
		t.Fatal(err)
	}
	err := clitest.Run(NewCmdApply(e.F, nil), "1 --amount 1 --invoice in_1")
	if err == nil || !strings.Contains(err.Error(), "gesture") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("apply a gesture: %v", err)
	}
	if err := clitest.Run(NewCmdVoid(e.F, nil), "1 --reason mistake --yes"); err != nil {
		t.Fatal(err)
	}
	c, err := st.Credit(context.Background(), 1)
	if err != nil || c.Status(clitest.Now) != ledger.StatusVoid {
		t.Fatalf("after void: %+v %v", c, err)
	}
}
