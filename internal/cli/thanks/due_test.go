package thanks

import (
	"context"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/ledger"
)

func TestDueFlags(t *testing.T) {
	for _, tt := range []struct{ args, wantErr string }{
		{"--occasion birthday", `--occasion: unknown occasion "birthday"`},
		{"--occasion anniversary:3", "--occasion: occasion anniversary takes no argument"},
		{"--json --csv", "none of the others can be"},
		{"extra", `unknown command "extra"`},
	} {
		e := newEnv(t)
		err := clitest.Run(NewCmdDue(e.F, func(*DueOptions) error { return nil }), tt.args)
		wantExit(t, err, 2, tt.wantErr)
	}
	e := newEnv(t)
	var got *DueOptions
	if err := clitest.Run(NewCmdDue(e.F, func(o *DueOptions) error { got = o; return nil }), "--occasion milestone:Launch --json"); err != nil {
		t.Fatal(err)
	}
	if got.occasion.milestone != "Launch" || !got.Output.JSON {
		t.Fatalf("opts %+v", got)
	}
}

func due(e *clitest.Env, args string) error {
	e.Stdout.Reset()
	e.Stderr.Reset()
	return clitest.Run(NewCmdDue(e.F, nil), args)
}

func TestDueSaysWhoAndWhy(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo, cy)
	if err := due(e, ""); err != nil {
		t.Fatal(err)
	}
	want := "ana\tAna Souza\tanniversary\tanniversary:3\t3 years since 2023-11-20; never thanked\tdue\t\n" +
		"bo@example.com\tBo\twelcome\twelcome\tjoined 2026-11-20, 4 days ago; never thanked\tdue\t\n"
	if e.Stdout.String() != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", e.Stdout, want)
	}

	// Thanked: no longer due. A failed note leaves the customer due.
	for _, n := range []ledger.NewThankYouNote{
		{Customer: "ana", Occasion: "anniversary", Key: "anniversary:3", Via: "smtp", Status: "failed", Error: "550", At: clitest.Now},
		{Customer: "bo@example.com", Occasion: "welcome", Key: "welcome", Via: "outbox", Status: "sent", At: clitest.Now},
		{Customer: "cy", Occasion: "just_because", Key: "just_because:2026-11-10", Via: "outbox", Status: "sent", At: clitest.Now.AddDate(0, 0, -14)},
	} {
		if _, err := st.RecordThankYou(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	if err := due(e, "--csv"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "customer,name,occasion,key,why,status,due_on\nana,Ana Souza,anniversary,anniversary:3,3 years since 2023-11-20; never thanked,due,\n" {
		t.Fatalf("csv:\n%s", got)
	}

	// just_because is listed only when asked for, and respects its own
	// cool-down (the one across occasions is off here: TestDueDeferred).
	e.F.Viper.Set("thanks.cooldown", 0)
	if err := due(e, "--occasion just_because --json"); err != nil {
		t.Fatal(err)
	}
	var got []DueJSON
	decodeJSON(t, e.Stdout.String(), &got)
	var lines []string
	for _, d := range got {
		lines = append(lines, d.Customer+" "+d.Key+" "+d.Why)
	}
	wantLines := "ana just_because:2026-11-24 an unexpected thank-you; never thanked\n" +
		"bo@example.com just_because:2026-11-24 an unexpected thank-you; last thanked 2026-11-24"
	if strings.Join(lines, "\n") != wantLines {
		t.Fatalf("just_because:\n%s", strings.Join(lines, "\n"))
	}
	if got[0].Name == nil || *got[0].Name != "Ana Souza" || got[0].Occasion != "just_because" {
		t.Fatalf("json %+v", got[0])
	}
	// A shorter cool-down brings cy back.
	e.F.Viper.Set("thanks.just_because_days", 7)
	if err := due(e, "--occasion just_because"); err != nil {
		t.Fatal(err)
	}
	if n := len(clitest.Lines(e.Stdout.String())); n != 3 {
		t.Fatalf("%d due with a 7-day cool-down:\n%s", n, e.Stdout)
	}
}

func TestDueAtTerminal(t *testing.T) {
	e := newEnv(t)
	seed(t, e, cy)
	e.Terminal()
	if err := due(e, ""); err != nil {
		t.Fatal(err)
	}
	if e.Stdout.Len() != 0 || e.Stderr.String() != "No one is due a thank-you note today.\n" {
		t.Fatalf("stdout %q stderr %q", e.Stdout, e.Stderr)
	}
	if err := due(e, "--occasion milestone:launch"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CUSTOMER", "Cy Young", "milestone:launch", `milestone "launch"; never thanked`} {
		if !strings.Contains(e.Stdout.String(), want) {
			t.Fatalf("table lacks %q:\n%s", want, e.Stdout)
		}
	}
	if e.Stderr.String() != "1 note due. Send with: makegood thanks send --due --occasion milestone:launch\n" {
		t.Fatalf("stderr %q", e.Stderr)
	}
}

// The cool-down across occasions: an apology yesterday defers ana's
// anniversary note; thanks due says until when, and thanks send skips it
// and says so.
func TestDueDeferred(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, cy)
	ctx := context.Background()
	inc, err := st.OpenIncident(ctx, ledger.NewIncident{Title: "Login outage", What: "Logins failed.", StartedAt: clitest.Now.AddDate(0, 0, -2),
		ReportedAt: clitest.Now.AddDate(0, 0, -2), CreatedAt: clitest.Now.AddDate(0, 0, -2), Customers: []string{"ana"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordApology(ctx, ledger.NewApology{Customer: "ana", Incident: inc.ID, Body: "Sorry, Ana.",
		RecordedAt: clitest.Now.AddDate(0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	if err := due(e, "--json"); err != nil {
		t.Fatal(err)
	}
	var got []DueJSON
	decodeJSON(t, e.Stdout.String(), &got)
	if len(got) != 1 || got[0].Customer != "ana" || got[0].Status != "deferred" || got[0].DueOn == nil || *got[0].DueOn != "2026-11-30" ||
		!strings.Contains(got[0].Why, "deferred until 2026-11-30: an apology on 2026-11-23 (cool-down 7 days)") {
		t.Fatalf("due %+v", got)
	}
	if err := send(e, "--due --yes"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "Deferred 1 note by the cool-down") || !strings.Contains(e.Stderr.String(), "2026-11-30") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 0 {
		t.Fatalf("%d notes sent during the cool-down", n)
	}
	// A shorter cool-down lets it through.
	e.F.Viper.Set("thanks.cooldown", "1d")
	if err := send(e, "--due --yes --json"); err != nil {
		t.Fatal(err)
	}
	var res SendJSON
	decodeJSON(t, e.Stdout.String(), &res)
	if res.Sent != 1 || res.Deferred != 0 {
		t.Fatalf("result %+v", res)
	}
	e.F.Viper.Set("thanks.cooldown", "a week")
	wantExit(t, due(e, ""), 2, `thanks.cooldown "a week"`)
}
