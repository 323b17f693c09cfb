package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt/prompttest"
)

// ledgerEnv is a terminal-less Factory on a real SQLite ledger with Alice,
// and a sender so the outbox can sign mail.
func ledgerEnv(t *testing.T) (*clitest.Env, ledger.Store) {
	t.Helper()
	e := clitest.New(t, map[string]string{"MAKEGOOD_SENDER_EMAIL": "sam@shop.example"})
	e.F.Viper.Set("sender.email", "sam@shop.example")
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := alice
	c.Tags = nil
	c.CreatedAt, c.UpdatedAt = now, now
	if err := st.AddCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return e, st
}

// The walk, driven through prompttest, carries out its plan on the ledger:
// one incident, one apology in the outbox, one credit linked to both.
func TestResolveWalkRecordsTheCase(t *testing.T) {
	e, st := ledgerEnv(t)
	e.Terminal()
	e.F.Prompter = &prompttest.Prompter{Answers: append(newIncident(alice.ID),
		A{Title: "Apology to Alice", Value: "Subject: Sorry\n\nAlice: our bug, fixed now."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: "opt:0"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	)}
	if err := clitest.Run(NewCmdResolve(e.F, nil), ""); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	ctx := context.Background()
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{})
	if err != nil || len(incs) != 1 || incs[0].FixedAt == nil || incs[0].Title != "Login outage" {
		t.Fatalf("incidents %+v %v", incs, err)
	}
	aps, err := st.Apologies(ctx, ledger.ApologyFilter{Incident: incs[0].ID})
	if err != nil || len(aps) != 1 || aps[0].Status != ledger.ApologyInOutbox || !strings.Contains(aps[0].Body, "our bug") {
		t.Fatalf("apologies %+v %v", aps, err)
	}
	cs, err := st.Credits(ctx, ledger.CreditFilter{Incident: incs[0].ID, Now: now})
	if err != nil || len(cs) != 1 || cs[0].AmountMinor != 2500 {
		t.Fatalf("credits %+v %v", cs, err)
	}
	if out := e.Stdout.String(); !strings.Contains(out, `Recorded incident #1 "Login outage".`) || !strings.Contains(out, "Time to fix: 0s.") {
		t.Fatalf("stdout:\n%s", out)
	}
}

// Cancelling the walk writes nothing, and says so.
func TestResolveWalkCancelWritesNothing(t *testing.T) {
	e, st := ledgerEnv(t)
	e.Terminal()
	e.F.Prompter = &prompttest.Prompter{Answers: append(newIncident(alice.ID), A{Title: "Apology", Abort: true})}
	err := clitest.Run(NewCmdResolve(e.F, nil), "")
	if !errors.Is(err, cmdutil.ErrCancel) || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("err %v", err)
	}
	incs, _ := st.Incidents(context.Background(), ledger.IncidentFilter{})
	cs, _ := st.Credits(context.Background(), ledger.CreditFilter{Now: now})
	if len(incs) != 0 || len(cs) != 0 {
		t.Fatalf("written: %+v %+v", incs, cs)
	}
}

// A saved case resumed through --incident starts at the fix and does not
// apologize twice.
func TestResolveResumeThroughTheCommand(t *testing.T) {
	e, st := ledgerEnv(t)
	if err := clitest.Run(NewCmdResolve(e.F, nil), `--title "Login outage" --what "Logins failed" --customer alice@example.com --not-fixed --json`); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	var saved caseView
	if err := json.Unmarshal(e.Stdout.Bytes(), &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Status != "saved" || saved.Resume == nil || *saved.Resume != "makegood resolve --incident 1" {
		t.Fatalf("saved %+v", saved)
	}
	e.Stdout.Reset()
	e.Terminal()
	p := &prompttest.Prompter{Answers: []A{
		{Title: "Is it fixed", Value: fixNow},
		{Title: "What will you give", Value: GiveNothing},
		{Title: "Really give", Value: "y"},
		{Title: "The follow-up to", Value: "It is fixed."},
		{Title: "Send the follow-up", Value: followSkip},
		{Title: "How should it go out", Value: ViaOutbox},
		{Title: "Record", Value: "y"},
	}}
	e.F.Prompter = p
	if err := clitest.Run(NewCmdResolve(e.F, nil), "--incident 1"); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	if p.Steps[0] != "Step 3 of 5 · Fix" {
		t.Fatalf("resumed at %q", p.Steps[0])
	}
	aps, _ := st.Apologies(context.Background(), ledger.ApologyFilter{Incident: 1})
	inc, _ := st.Incident(context.Background(), 1)
	if len(aps) != 1 || inc.FixedAt == nil {
		t.Fatalf("apologies %+v incident %+v", aps, inc)
	}
}
