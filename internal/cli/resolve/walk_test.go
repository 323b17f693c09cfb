package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/prompt/prompttest"
	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
)

var now = clitest.Now

// memSource serves the walk from memory, with the real goodwill policy and
// apology rules. The draft names the customer and, for customers tagged
// "stock", carries a stock phrase for the check to catch.
type memSource struct {
	incidents []ledger.Incident
	customers []ledger.Customer
	drafts    int
}

func (s *memSource) OpenIncidents(context.Context) ([]ledger.Incident, error) {
	return s.incidents, nil
}
func (s *memSource) Customers(context.Context) ([]ledger.Customer, error) {
	return s.customers, nil
}
func (s *memSource) Rules() apology.Rules { return apology.DefaultRules() }

func (s *memSource) Draft(_ context.Context, inc ledger.Incident, fixed bool, c ledger.Customer, give *Give) (string, error) {
	s.drafts++
	d := fmt.Sprintf("Hi %s,\n\n%s. That is on us, and we are fixing it right now.", c.Name, inc.What)
	if fixed {
		d = fmt.Sprintf("Hi %s,\n\n%s. That was on us, and it is fixed.", c.Name, inc.What)
	}
	if give != nil {
		d += "\nWe are giving you " + give.Describe() + "."
	}
	if len(c.Tags) > 0 && c.Tags[0] == "stock" {
		d += "\nWe apologize for any inconvenience."
	}
	return d, nil
}

func (s *memSource) Suggest(_ context.Context, _ ledger.Incident, downtime time.Duration, c ledger.Customer) (goodwill.Suggestion, error) {
	return goodwill.Suggest(goodwill.Customer{ID: c.ID, PriceMinor: c.PriceMinor, Currency: c.Currency,
		Period: goodwill.Period(c.Period), Since: c.Since, Advocate: c.Advocate},
		goodwill.Incident{Downtime: downtime}, goodwill.History{}, goodwill.DefaultPolicy(), now)
}

// alice pays $49.00 a month since two months: a 24-hour outage suggests
// $25.00 (goodwill's worked example).
var alice = ledger.Customer{ID: "alice@example.com", Name: "Alice", Email: "alice@example.com", PriceMinor: 4900,
	Currency: "USD", Period: "month", Since: now.AddDate(0, -2, 0)}

var bob = ledger.Customer{ID: "bob@example.com", Name: "Bob", Email: "bob@example.com", PriceMinor: 1000,
	Currency: "EUR", Period: "month", Since: now.AddDate(-3, 0, 0), Tags: []string{"stock"}}

// started is a day before now, so "fixed just now" is a 24-hour outage.
var started = now.Add(-24 * time.Hour).Format(timeInputShape)

type A = prompttest.Answer

// newIncident answers step 1 for a new incident affecting picked.
func newIncident(picked string) []A {
	return []A{
		{Title: "Title", Value: "Login outage"},
		{Title: "What happened", Value: "Nobody could log in for a day"},
		{Title: "When did it start", Value: started},
		{Title: "When did the customer tell you", Value: now.Format(timeInputShape)},
		{Title: "How much of the service was lost", Value: "100%"},
		{Title: "Severity", Value: "normal"},
		{Title: "Who was affected", Value: picked},
	}
}

func walkWith(t *testing.T, src *memSource, answers []A, resume *Plan) (*Plan, *prompttest.Prompter, error) {
	t.Helper()
	p := &prompttest.Prompter{Answers: answers}
	plan, err := Walk(context.Background(), src, p, now, "USD", ViaOutbox, resume)
	if err == nil && len(p.Answers) > 0 {
		t.Fatalf("answers left over: %+v (asked %q)", p.Answers, p.Asked)
	}
	return plan, p, err
}

// TestWalkTimesKeepToTheLedgersYears: a start typed in the walk's own
// shape before 1970 is refused at the prompt, by the ledger's time rule,
// as it is in RFC 3339 and from flags.
func TestWalkTimesKeepToTheLedgersYears(t *testing.T) {
	for _, typed := range []string{"1969-12-31 23:00", "1969-12-31T23:00:00Z"} {
		src := &memSource{customers: []ledger.Customer{alice}}
		answers := newIncident(alice.ID)
		answers[2].Value = typed
		_, _, err := walkWith(t, src, answers, nil)
		if err == nil || !strings.Contains(err.Error(), "outside the years 1970 to 9999") {
			t.Errorf("start %q: %v, want the years named", typed, err)
		}
	}
}

func TestWalkHappyPath(t *testing.T) {
	src := &memSource{customers: []ledger.Customer{alice, bob}}
	answers := append(newIncident(alice.ID),
		A{Title: "Apology to Alice", Value: "Hi Alice,\n\nNobody could log in for a day. That is on us; it is fixed."},
		A{Title: "How should the apology go out", Value: ViaSMTP},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give Alice", Value: "opt:0"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record all of this", Value: "y"},
	)
	plan, p, err := walkWith(t, src, answers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Action != ActionRecord || plan.Incident.ID != 0 || plan.Incident.Title != "Login outage" ||
		plan.Incident.StartedAt != now.Add(-24*time.Hour) || plan.Incident.ReportedAt != now || plan.Via != ViaSMTP ||
		!plan.Fixed || plan.FixedAt != now {
		t.Fatalf("plan %+v", plan)
	}
	if len(plan.Targets) != 1 {
		t.Fatalf("targets %+v", plan.Targets)
	}
	tg := plan.Targets[0]
	if tg.Customer.ID != alice.ID || !strings.Contains(tg.Apology, "it is fixed") || len(tg.Kept) != 0 {
		t.Fatalf("target %+v", tg)
	}
	if tg.Give.Kind != goodwill.KindRecommended || tg.Give.Amount.Minor != 2500 || tg.Give.Amount.Currency != "USD" {
		t.Fatalf("give %+v, want the $25.00 recommendation", tg.Give)
	}
	want := []string{"Step 1 of 5 · What happened · a new incident", "Step 1 of 5 · What happened · customers",
		"Step 2 of 5 · Apologize · Alice (alice@example.com)", "Step 2 of 5 · Apologize · delivery",
		"Step 3 of 5 · Fix", "Step 4 of 5 · Compensate · Alice (alice@example.com)",
		"Step 4 of 5 · Compensate · Alice (alice@example.com) · your apology", "Step 5 of 5 · Confirm"}
	if strings.Join(p.Steps, "\n") != strings.Join(want, "\n") {
		t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(p.Steps, "\n"), strings.Join(want, "\n"))
	}
}

// The recommendation is preselected: the select's default is option 0.
func TestWalkPreselectsRecommendation(t *testing.T) {
	src := &memSource{customers: []ledger.Customer{alice}}
	p := &recordingStepper{Prompter: prompttest.Prompter{Answers: append(newIncident(alice.ID),
		A{Title: "Apology", Value: "Sorry, Alice: it was our bug, and it is fixed."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: "opt:2"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	)}}
	plan, err := Walk(context.Background(), src, p, now, "USD", ViaOutbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	sel := p.fields["What will you give Alice (alice@example.com)?"]
	if sel.def != "opt:0" || !strings.HasPrefix(sel.options[0], "$25.00 recommended — ") {
		t.Fatalf("default %q, first option %q", sel.def, sel.options[0])
	}
	// Option 2 of the worked example is the SLA credit.
	if g := plan.Targets[0].Give; g.Kind != goodwill.KindSLACredit || g.Amount.Minor != 1225 {
		t.Fatalf("give %+v, want the $12.25 SLA credit", g)
	}
}

// recordingStepper notes each select's default and labels before the
// script answers it.
type recordingStepper struct {
	prompttest.Prompter
	fields      map[string]seen
	notes       []string
	noteByTitle map[string]string
}

type seen struct {
	def     string
	options []string
}

func (r *recordingStepper) Group(ctx context.Context, title string, fields []prompt.Field, allowBack bool) (bool, error) {
	if r.fields == nil {
		r.fields, r.noteByTitle = map[string]seen{}, map[string]string{}
	}
	for _, f := range fields {
		if f.Kind == prompt.KindNote {
			r.notes = append(r.notes, f.Description)
			r.noteByTitle[f.Title] = f.Description
		}
		if f.Kind == prompt.KindText || f.Kind == prompt.KindInput {
			r.fields[f.Title] = seen{def: *f.Value}
		}
		if f.Kind == prompt.KindSelect {
			s := seen{def: *f.Value}
			for _, o := range f.Options {
				s.options = append(s.options, o.Label)
			}
			r.fields[f.Title] = s
		}
	}
	return r.Prompter.Group(ctx, title, fields, allowBack)
}

func TestWalkAbortAtEveryStepDecidesNothing(t *testing.T) {
	full := append(newIncident(alice.ID),
		A{Title: "Apology to Alice", Value: "Sorry, Alice: our bug, fixed now."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: "opt:0"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	)
	for i := range full {
		t.Run(full[i].Title, func(t *testing.T) {
			answers := append(append([]A(nil), full[:i]...), A{Title: full[i].Title, Abort: true})
			plan, _, err := walkWith(t, &memSource{customers: []ledger.Customer{alice}}, answers, nil)
			if !errors.Is(err, prompt.ErrAborted) || plan != nil {
				t.Fatalf("plan %v err %v", plan, err)
			}
		})
	}
	t.Run("saying no at the end", func(t *testing.T) {
		answers := append(append([]A(nil), full[:len(full)-1]...), A{Title: "Record", Value: "n"})
		plan, _, err := walkWith(t, &memSource{customers: []ledger.Customer{alice}}, answers, nil)
		if !errors.Is(err, prompt.ErrAborted) || plan != nil {
			t.Fatalf("plan %v err %v", plan, err)
		}
	})
}

func TestWalkNotFixedSavesTheCase(t *testing.T) {
	src := &memSource{customers: []ledger.Customer{alice, bob}}
	answers := append(newIncident(alice.ID+","+bob.ID),
		A{Title: "Apology to Alice", Value: "Alice: our bug. We are fixing it now."},
		A{Title: "Apology to Bob", Value: "Bob: our bug. We are fixing it now."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNotYet},
		A{Title: "Save the case", Value: "y"},
	)
	plan, p, err := walkWith(t, src, answers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Action != ActionSave || plan.Fixed || len(plan.Targets) != 2 || plan.Targets[1].Apology != "Bob: our bug. We are fixing it now." {
		t.Fatalf("plan %+v", plan)
	}
	if last := p.Steps[len(p.Steps)-1]; last != "Step 3 of 5 · Fix · save for later" {
		t.Fatalf("last step %q", last)
	}
	if !strings.Contains(p.Steps[2], "(1 of 2)") {
		t.Fatalf("step %q does not count customers", p.Steps[2])
	}
}

func TestWalkResumeStartsAtTheFix(t *testing.T) {
	sent := now.Add(-2 * time.Hour)
	inc := ledger.Incident{ID: 7, Title: "Login outage", What: "Nobody could log in", StartedAt: now.Add(-24 * time.Hour),
		ReportedAt: now.Add(-3 * time.Hour), Customers: []string{alice.ID}}
	resume := &Plan{Incident: inc, Targets: []*Target{{Customer: alice, Apologized: &sent}}}
	plan, p, err := walkWith(t, &memSource{}, []A{
		{Title: "Is it fixed", Value: fixEarlier},
		{Title: "Fixed at", Value: now.Add(-time.Hour).Format(timeInputShape)},
		{Title: "What will you give", Value: GiveOwnGesture},
		{Title: "The gesture", Value: "a handwritten card"},
		{Title: "The follow-up to Alice", Value: "Alice: it is fixed, and a card is on its way."},
		{Title: "Send the follow-up", Value: followSend},
		{Title: "How should it go out", Value: ViaOutbox},
		{Title: "Record", Value: "y"},
	}, resume)
	if err != nil {
		t.Fatal(err)
	}
	if p.Steps[0] != "Step 3 of 5 · Fix" {
		t.Fatalf("resumed at %q", p.Steps[0])
	}
	g := plan.Targets[0].Give
	if plan.FixedAt != now.Add(-time.Hour) || g.Kind != GiveOwnGesture || g.Gesture != "a handwritten card" || g.Money() {
		t.Fatalf("plan %+v give %+v", plan, g)
	}
	if f := plan.Targets[0].FollowUp; f != "Alice: it is fixed, and a card is on its way." || plan.Via != ViaOutbox {
		t.Fatalf("follow-up %q via %q", f, plan.Via)
	}
}

// The it's-fixed follow-up goes through apology check as the first
// apology does: its findings are shown; editing goes back to the text, and
// keeping a flagged phrase needs saying so, which the plan keeps.
func TestWalkChecksTheFollowUp(t *testing.T) {
	sent := now.Add(-2 * time.Hour)
	inc := ledger.Incident{ID: 7, Title: "Login outage", What: "Nobody could log in", StartedAt: now.Add(-24 * time.Hour),
		ReportedAt: now.Add(-3 * time.Hour), Customers: []string{alice.ID}}
	stock := "Alice: it is fixed. We apologize for any inconvenience."
	resume := &Plan{Incident: inc, Targets: []*Target{{Customer: alice, Apologized: &sent}}}
	plan, p, err := walkWith(t, &memSource{}, []A{
		{Title: "Is it fixed", Value: fixNow},
		{Title: "What will you give Alice", Value: "opt:0"},
		{Title: "The follow-up to Alice", Value: stock},
		{Title: "Send the follow-up", Value: followSend},
		{Title: "How should it go out", Value: ViaOutbox},
		{Title: "Before it goes out", Value: findingsEdit}, // back to the text
		{Title: "The follow-up to Alice", Value: stock},
		{Title: "Send the follow-up", Value: followSend},
		{Title: "How should it go out", Value: ViaOutbox},
		{Title: "Before it goes out", Value: findingsKeep},
		{Title: "Record", Value: "y"},
	}, resume)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range p.Notes {
		if strings.HasPrefix(n, "apology check found: ") && strings.Contains(n, "inconvenience") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no findings shown for the follow-up: %q", p.Notes)
	}
	tg := plan.Targets[0]
	if tg.FollowUp != stock || len(tg.Kept) != 1 || tg.Kept[0].Kind != "stock-phrase" {
		t.Fatalf("follow-up %q kept %+v", tg.FollowUp, tg.Kept)
	}
	if sum := plan.ledgerCase(now).Resolutions[0].Apology; sum == nil || sum.Body != stock {
		t.Fatalf("recorded %+v", plan.ledgerCase(now).Resolutions)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "the it's-fixed follow-up to be queued in the outbox (1 flagged phrase(s) kept)") {
		t.Fatalf("the confirmation does not say a flagged phrase is kept: %q", p.Notes)
	}
}

// The follow-up offered on resuming is the draft written with the fix and
// the compensation; the operator may keep it, edit it or not send it.
func TestWalkResumeOffersTheFollowUp(t *testing.T) {
	sent := now.Add(-2 * time.Hour)
	inc := ledger.Incident{ID: 7, Title: "Login outage", What: "Nobody could log in", StartedAt: now.Add(-24 * time.Hour),
		ReportedAt: now.Add(-3 * time.Hour), Customers: []string{alice.ID, bob.ID}}
	later := now.Add(-90 * time.Minute)
	resume := &Plan{Incident: inc, Targets: []*Target{{Customer: alice, Apologized: &sent}, {Customer: bob, Apologized: &later}}}
	p := &recordingStepper{Prompter: prompttest.Prompter{Answers: []A{
		{Title: "Is it fixed", Value: fixNow},
		{Title: "What will you give Alice", Value: "opt:0"},
		{Title: "What will you give Bob", Value: GiveNothing},
		{Title: "Really give Bob", Value: "y"},
		{Title: "The follow-up to Alice", Value: "Alice: it is fixed."},
		{Title: "Send the follow-up", Value: followSend},
		{Title: "How should it go out", Value: ViaSMTP},
		{Title: "The follow-up to Bob", Value: "Bob: fixed."},
		{Title: "Send the follow-up", Value: followSkip},
		{Title: "How should it go out", Value: ViaSMTP},
		{Title: "Record", Value: "y"},
	}}}
	plan, err := Walk(context.Background(), &memSource{}, p, now, "USD", ViaOutbox, resume)
	if err != nil {
		t.Fatal(err)
	}
	offered := p.fields["The follow-up to Alice (alice@example.com), apologized to 2026-11-24 08:00 (edit freely)"].def
	if !strings.Contains(offered, "it is fixed") || !strings.Contains(offered, "We are giving you a credit of $25.00") {
		t.Fatalf("the follow-up offered is not the draft with the fix and the credit: %q", offered)
	}
	if a, b := plan.Targets[0], plan.Targets[1]; a.FollowUp != "Alice: it is fixed." || b.FollowUp != "" {
		t.Fatalf("follow-ups %q %q", a.FollowUp, b.FollowUp)
	}
	c := plan.ledgerCase(now)
	if c.Resolutions[0].Apology == nil || c.Resolutions[0].Apology.Body != "Alice: it is fixed." || c.Resolutions[1].Apology != nil {
		t.Fatalf("recorded %+v", c.Resolutions)
	}
}

// An apology the operator edited before the fix and the compensation were
// known is offered the draft's new paragraph; yes puts it in place of the
// "we are fixing it" paragraph the edit kept.
func TestWalkAmendsAnEditedApology(t *testing.T) {
	src := &memSource{customers: []ledger.Customer{alice}}
	edited := "Hi Alice,\n\nNobody could log in for a day. That is on us, and we are fixing it right now.\n\nP.S. Call me any time."
	for _, yes := range []bool{true, false} {
		answer := "n"
		if yes {
			answer = "y"
		}
		p := &recordingStepper{Prompter: prompttest.Prompter{Answers: append(newIncident(alice.ID),
			A{Title: "Apology to Alice", Value: edited},
			A{Title: "How should", Value: ViaOutbox},
			A{Title: "Is it fixed", Value: fixNow},
			A{Title: "What will you give", Value: "opt:0"},
			A{Title: "Add this to your apology", Value: answer},
			A{Title: "Record", Value: "y"},
		)}}
		plan, err := Walk(context.Background(), src, p, now, "USD", ViaOutbox, nil)
		if err != nil {
			t.Fatal(err)
		}
		note := p.noteByTitle["You edited the apology before it was fixed and compensated"]
		if !strings.Contains(note, "That was on us, and it is fixed.") || !strings.Contains(note, "We are giving you a credit of $25.00") {
			t.Fatalf("the page does not show the draft's new paragraph: %q", note)
		}
		want := edited
		if yes {
			want = "Hi Alice,\n\nNobody could log in for a day. That was on us, and it is fixed.\nWe are giving you a credit of $25.00 (recommended).\n\nP.S. Call me any time.\n"
		}
		if got := plan.Targets[0].Apology; got != want {
			t.Fatalf("yes=%v: apology\n%q\nwant\n%q", yes, got, want)
		}
	}
}

func TestWalkFlaggedPhrase(t *testing.T) {
	stock := "Bob: our bug. We apologize for any inconvenience."
	t.Run("edit, then clean", func(t *testing.T) {
		plan, p, err := walkWith(t, &memSource{customers: []ledger.Customer{bob}}, append(newIncident(bob.ID),
			A{Title: "Apology to Bob", Value: stock},
			A{Title: "Before it goes out", Value: findingsEdit},
			A{Title: "Apology to Bob", Value: "Bob: our bug, and it is fixed."},
			A{Title: "How should", Value: ViaNone},
			A{Title: "Is it fixed", Value: fixNow},
			A{Title: "What will you give", Value: "opt:0"},
			A{Title: "Add this to your apology", Value: "n"},
			A{Title: "Record", Value: "y"},
		), nil)
		if err != nil {
			t.Fatal(err)
		}
		if tg := plan.Targets[0]; tg.Apology != "Bob: our bug, and it is fixed." || len(tg.Kept) != 0 {
			t.Fatalf("target %+v", tg)
		}
		if plan.Via != ViaNone || len(p.Steps) != 10 {
			t.Fatalf("via %q steps %q", plan.Via, p.Steps)
		}
	})
	t.Run("keep knowingly", func(t *testing.T) {
		plan, _, err := walkWith(t, &memSource{customers: []ledger.Customer{bob}}, append(newIncident(bob.ID),
			A{Title: "Apology to Bob", Value: stock},
			A{Title: "Before it goes out", Value: findingsKeep},
			A{Title: "How should", Value: ViaOutbox},
			A{Title: "Is it fixed", Value: fixNow},
			A{Title: "What will you give", Value: "opt:0"},
			A{Title: "Add this to your apology", Value: "n"},
			A{Title: "Record", Value: "y"},
		), nil)
		if err != nil {
			t.Fatal(err)
		}
		tg := plan.Targets[0]
		if tg.Apology != stock || len(tg.Kept) != 1 || tg.Kept[0].Kind != apology.KindStockPhrase {
			t.Fatalf("target %+v", tg)
		}
	})
}

func TestWalkBackKeepsAnswersAndRedrafts(t *testing.T) {
	src := &memSource{customers: []ledger.Customer{alice}}
	plan, p, err := walkWith(t, src, append(newIncident(alice.ID),
		// Edit the draft, go back to the customers and on again: the edit stays.
		A{Title: "Apology to Alice", Value: "Edited by hand."},
		A{Title: "How should", Back: true},
		A{Title: "Apology to Alice", Back: true},
		A{Title: "Who was affected", Back: true},
		// Change what happened: the draft is written again.
		A{Title: "Title", Value: "Login outage"},
		A{Title: "What happened", Value: "Logins failed"},
		A{Title: "When did it start", Value: started},
		A{Title: "When did the customer tell you", Value: now.Format(timeInputShape)},
		A{Title: "How much of the service was lost", Value: "100%"},
		A{Title: "Severity", Value: "high"},
		A{Title: "Who was affected", Value: alice.ID},
		A{Title: "Apology to Alice", Value: "Second edit."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: GiveNothing},
		A{Title: "Really give Alice", Value: "n"}, // back to the options
		A{Title: "What will you give", Value: GiveCustom},
		A{Title: "Amount in USD", Value: "30.00"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	), nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.drafts != 3 {
		t.Fatalf("drafted %d times, want 3 (once more after what happened changed, once with the fix)", src.drafts)
	}
	if plan.Incident.Severity != "high" || plan.Incident.What != "Logins failed" || plan.Targets[0].Apology != "Second edit." {
		t.Fatalf("plan %+v target %+v", plan, plan.Targets[0])
	}
	if g := plan.Targets[0].Give; g.Kind != GiveCustom || g.Amount.Minor != 3000 || g.Amount.Currency != "USD" {
		t.Fatalf("give %+v", g)
	}
	_ = p
}

func TestWalkNothingNeedsConfirmation(t *testing.T) {
	plan, _, err := walkWith(t, &memSource{customers: []ledger.Customer{alice}}, append(newIncident(alice.ID),
		A{Title: "Apology", Value: "Alice: our bug, and it is fixed."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: GiveNothing},
		A{Title: "Really give Alice", Value: "y"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	), nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := plan.Targets[0].Give; g.Kind != GiveNothing || g.Money() || g.Gesture != "" {
		t.Fatalf("give %+v", g)
	}
}

func TestWalkExistingIncidentPreselectsItsCustomers(t *testing.T) {
	inc := ledger.Incident{ID: 4, Title: "Billing double charge", What: "We charged you twice", Severity: "normal",
		StartedAt: now.Add(-5 * time.Hour), ReportedAt: now.Add(-4 * time.Hour), Customers: []string{bob.ID}}
	p := &recordingStepper{Prompter: prompttest.Prompter{Answers: []A{
		{Title: "Which incident", Value: "4"},
		{Title: "Who was affected", Value: bob.ID},
		{Title: "Apology to Bob", Value: "Bob: we charged you twice. Refunded."},
		{Title: "How should", Value: ViaOutbox},
		{Title: "Is it fixed", Value: fixNow},
		{Title: "What will you give", Value: "opt:1"},
		{Title: "Add this to your apology", Value: "n"},
		{Title: "Record", Value: "y"},
	}}}
	plan, err := Walk(context.Background(), &memSource{incidents: []ledger.Incident{inc}, customers: []ledger.Customer{alice, bob}}, p, now, "USD", ViaOutbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Incident.ID != 4 || plan.Targets[0].Customer.ID != bob.ID {
		t.Fatalf("plan %+v", plan)
	}
	if got := p.fields["Which incident is this about?"]; got.def != choiceNew || !strings.HasPrefix(got.options[0], "#4 Billing double charge") {
		t.Fatalf("incident select %+v", got)
	}
}

func TestWalkAddsANewCustomerInline(t *testing.T) {
	plan, _, err := walkWith(t, &memSource{customers: []ledger.Customer{alice}}, append(newIncident(choiceNew),
		A{Title: "Customer ID", Value: "carol@example.com"},
		A{Title: "Name", Value: "Carol"},
		A{Title: "Email", Value: "carol@example.com"},
		A{Title: "Currency", Value: "eur"},
		A{Title: "Price per period", Value: "20.00"},
		A{Title: "Billing period", Value: "month"},
		A{Title: "Apology to Carol", Value: "Carol: our bug, fixed."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give Carol", Value: "opt:0"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	), nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := plan.Targets[0]
	if !tg.New || tg.Customer.ID != "carol@example.com" || tg.Customer.Currency != "EUR" || tg.Customer.PriceMinor != 2000 ||
		tg.Give.Amount.Currency != "EUR" || tg.Give.Amount.Minor <= 0 {
		t.Fatalf("target %+v", tg)
	}
}

func TestWalkCustomerWithoutPriceHasNoSuggestion(t *testing.T) {
	noPrice := ledger.Customer{ID: "dan", Name: "Dan", Email: "dan@example.com", Currency: "USD", Period: "month"}
	p := &recordingStepper{Prompter: prompttest.Prompter{Answers: append(newIncident("dan"),
		A{Title: "Apology", Value: "Dan: our bug, fixed."},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: GiveCustom},
		A{Title: "Amount in USD", Value: "5"},
		A{Title: "Add this to your apology", Value: "n"},
		A{Title: "Record", Value: "y"},
	)}}
	plan, err := Walk(context.Background(), &memSource{customers: []ledger.Customer{noPrice}}, p, now, "USD", ViaOutbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.fields["What will you give Dan (dan)?"]; got.def != GiveCustom || len(got.options) != 3 {
		t.Fatalf("compensation select %+v", got)
	}
	if plan.Targets[0].NoSuggestion == "" || plan.Targets[0].Give.Amount.Minor != 500 {
		t.Fatalf("target %+v", plan.Targets[0])
	}
}

func TestWalkRefusesMailWithoutAnAddress(t *testing.T) {
	// No email, and an id that is not an address either (an id that is
	// one is mailed at: ledger.Customer.MailAddress).
	noEmail := alice
	noEmail.ID, noEmail.Email = "cus_alice", ""
	_, _, err := walkWith(t, &memSource{customers: []ledger.Customer{noEmail}}, append(newIncident(noEmail.ID),
		A{Title: "Apology", Value: "Alice: our bug, fixed."},
		A{Title: "How should", Value: ViaOutbox},
	), nil)
	if err == nil || !strings.Contains(err.Error(), "Alice (cus_alice) has no email address") {
		t.Fatalf("err %v", err)
	}
}

// A draft left as it was is written again once the fix and the gift are
// known, and the confirmation shows it; an edited one is left alone (see
// TestWalkBackKeepsAnswersAndRedrafts).
func TestWalkRefreshesAnUntouchedDraft(t *testing.T) {
	asDrafted := "Hi Alice,\n\nNobody could log in for a day. That is on us, and we are fixing it right now."
	p := &recordingStepper{Prompter: prompttest.Prompter{Answers: append(newIncident(alice.ID),
		A{Title: "Apology to Alice", Value: asDrafted},
		A{Title: "How should", Value: ViaOutbox},
		A{Title: "Is it fixed", Value: fixNow},
		A{Title: "What will you give", Value: "opt:0"},
		A{Title: "Record", Value: "y"},
	)}}
	plan, err := Walk(context.Background(), &memSource{customers: []ledger.Customer{alice}}, p, now, "USD", ViaOutbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "Hi Alice,\n\nNobody could log in for a day. That was on us, and it is fixed.\nWe are giving you a credit of $25.00 (recommended)."
	if got := plan.Targets[0].Apology; got != want {
		t.Fatalf("apology:\n%s\nwant:\n%s", got, want)
	}
	if notes := strings.Join(p.notes, "\n"); !strings.Contains(notes, "That was on us, and it is fixed.\nWe are giving you a credit of $25.00") {
		t.Fatalf("the confirmation does not show the apology as it will go out: %q", p.notes)
	}
}
