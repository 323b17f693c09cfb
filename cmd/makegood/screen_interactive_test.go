package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/testutil/ptytest"
)

// What the forms show on the terminal's screen, read from the screen the
// pty console keeps (ptytest's Screen), not from the stream of frames: a
// note's text as typed, a hint that waits for an attempt, an error shown
// once, a text area opened at its top.

// onScreen reports whether the screen has a line holding want.
func onScreen(want string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, want) }
}

// bare is a screen line without the form's border and indentation.
func bare(line string) string {
	return strings.TrimSpace(strings.TrimLeft(line, " ┃│"))
}

// lineAround returns the bare line offset lines from the first one holding
// want, and whether there is one.
func lineAround(screen, want string, offset int) (string, bool) {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.Contains(l, want) {
			if j := i + offset; j >= 0 && j < len(lines) {
				return bare(lines[j]), true
			}
			return "", false
		}
	}
	return "", false
}

// Text typed by the operator and text from the ledger (a customer id and
// name with underscores and asterisks) show in the walk's notes exactly as
// typed, not read as Markdown, and the apology preview keeps the blank
// line between its paragraphs.
func TestInteractiveResolveNotesAsTyped(t *testing.T) {
	h := newLedgerHome(t)
	h.run(t, "customer", "add", "cus_P1", "--name", "Bo_rg *Ltd*", "--email", "bo@example.com",
		"--price", "10.00", "--currency", "USD", "--since", "2026-09-20")
	const (
		title = "Refunds *now* `late`"
		what  = "Charged cus_P1 twice; see `stripe` *now*, a\\b, _x_"
	)
	c := h.startSize(t, 40, 100, resolveEnv, "resolve")
	c.Expect("Step 1 of 5 · What happened · a new incident")
	typeInto(c, "Title", title)
	typeInto(c, "What happened", what)
	typeInto(c, "When did it start", "2026-11-23 10:00")
	typeInto(c, "When did the customer tell you", "2026-11-23 10:30")
	focus(c, "How much of the service was lost")
	c.Send(ptytest.Enter)
	focus(c, "Severity")
	c.Send(ptytest.Enter)
	focus(c, "Who was affected")
	c.Send("x")
	c.Expect("✓")
	c.Send(ptytest.Enter)
	focus(c, "Apology to Bo_rg *Ltd* (cus_P1)")
	c.Send(ptytest.Enter)
	focus(c, "How should the apology go out?")
	c.Send(ptytest.Enter)
	c.Expect("Step 3 of 5 · Fix")
	focus(c, "Is it fixed?")
	c.Send(ptytest.Enter)
	focus(c, "What will you give Bo_rg *Ltd* (cus_P1)")
	c.Send(ptytest.Enter)
	c.Expect("Step 5 of 5 · Confirm")
	focus(c, "Record all of this")
	scr := c.ExpectScreen("show the confirm step", onScreen("Record all of this"))
	for _, want := range []string{
		"New incident: " + title + " (normal), started 2026-11-23 10:00",
		"• Bo_rg *Ltd* (cus_P1): apology to be queued in the outbox",
		"The apology · Fixed: " + title,
		"Hi Bo_rg,",
		"I'm sorry. " + what + ".",
		"It is fixed, and everything works as it should again.",
	} {
		if !strings.Contains(scr, want) {
			t.Errorf("the confirm step does not show %q as typed:\n%s", want, scr)
		}
	}
	// Paragraphs: greeting, blank, what happened, blank, the fix.
	for _, l := range []struct {
		offset int
		want   string
	}{{-2, "Hi Bo_rg,"}, {-1, ""}, {1, ""}, {2, "It is fixed, and everything works as it should again."}} {
		if got, _ := lineAround(scr, "I'm sorry.", l.offset); got != l.want {
			t.Errorf("%+d lines from the apology's first paragraph: %q, want %q; the screen:\n%s", l.offset, got, l.want, scr)
		}
	}
	before := h.dump(t)
	c.Send(ptytest.CtrlC)
	h.expectCancelled(t, c, before)
}

// The customers' multi-select says "choose at least 1" only once the
// operator pressed Enter with none picked: not when it opens, not while
// moving about, and no longer once one is picked.
func TestInteractiveResolveChooseAtLeastAfterAnAttempt(t *testing.T) {
	const hint = "choose at least"
	h := newLedgerHome(t)
	addAlice(t, h)
	h.run(t, "customer", "add", "bo@example.com", "--name", "Bo Berg", "--price", "10.00", "--currency", "USD")
	c := h.start(t, resolveEnv, "resolve")
	c.Expect("Step 1 of 5 · What happened · a new incident")
	typeInto(c, "Title", "Login outage")
	typeInto(c, "What happened", "Nobody could log in for a day")
	typeInto(c, "When did it start", "2026-11-23 10:00")
	typeInto(c, "When did the customer tell you", "2026-11-23 10:30")
	focus(c, "How much of the service was lost")
	c.Send(ptytest.Enter)
	focus(c, "Severity")
	c.Send(ptytest.Enter)
	focus(c, "Who was affected")
	if scr := c.ExpectScreen("show the customers", onScreen("Alice Smith (alice@example.com)")); strings.Contains(scr, hint) {
		t.Errorf("the hint shows before any attempt:\n%s", scr)
	}
	c.Send(ptytest.Down) // moving about is not an attempt
	if scr := c.ExpectScreen("move to Bo", onScreen("> • Bo Berg")); strings.Contains(scr, hint) {
		t.Errorf("the hint shows after moving:\n%s", scr)
	}
	c.Send(ptytest.Enter) // go on with no one picked
	scr := c.ExpectScreen("say to choose", onScreen(hint+" 1"))
	if n := strings.Count(scr, hint); n != 1 {
		t.Errorf("the hint shows %d times:\n%s", n, scr)
	}
	if strings.Contains(scr, "Step 2 of 5") {
		t.Fatalf("the walk went on with no one picked:\n%s", scr)
	}
	c.Send("x")
	if scr := c.ExpectScreen("mark Bo picked", onScreen("✓ Bo Berg")); strings.Contains(scr, hint) {
		t.Errorf("the hint stays once one is picked:\n%s", scr)
	}
	c.Send(ptytest.Enter)
	c.Expect("Step 2 of 5 · Apologize · Bo Berg (bo@example.com)")
	before := h.dump(t)
	c.Send(ptytest.CtrlC)
	h.expectCancelled(t, c, before)
}

// credit issue's amount, typed with a third decimal in USD, is refused on
// Enter with its error on screen once (the live verdict under the field,
// not that and huh's error line again); corrected, the form goes on, and
// its confirm step shows the note as typed.
func TestInteractiveIssueAmountErrorOnce(t *testing.T) {
	const refusal = `"12.345" has more decimals than USD allows (2)`
	h := newLedgerHome(t)
	h.addCustomers(t)
	before := h.dump(t)
	c := h.start(t, nil, "credit", "issue", "--customer", "alice@example.com")
	focus(c, "Amount in USD")
	c.Send("12.345")
	scr := c.ExpectScreen("flag the amount", onScreen("✗ "+refusal))
	if n := strings.Count(scr, "has more decimals"); n != 1 {
		t.Errorf("while typing, the error shows %d times:\n%s", n, scr)
	}
	c.Send(ptytest.Enter)
	// Enter was refused: huh's help line gives way to its error footer.
	scr = c.ExpectScreen("refuse the amount", func(s string) bool { return !strings.Contains(s, "enter submit") })
	if n := strings.Count(scr, "has more decimals"); n != 1 {
		t.Errorf("after Enter, the error shows %d times:\n%s", n, scr)
	}
	if strings.Contains(scr, "Step 3 of 4") {
		t.Fatalf("Enter on 12.345 went on:\n%s", scr)
	}
	c.Send(ptytest.Backspace)
	c.ExpectScreen("accept 12.34", onScreen("✓"))
	c.Send(ptytest.Enter)
	c.Expect("Step 3 of 4 · Details")
	focus(c, "Reason")
	c.Send(ptytest.Enter)
	const note = "cus_P1 charged *twice*, see `stripe` a_b_c"
	typeInto(c, "Note for the ledger", note)
	typeInto(c, "Expires", "")
	c.Expect("Step 4 of 4 · Confirm")
	focus(c, "Issue this credit?")
	scr = c.ExpectScreen("show the confirm step", onScreen("Issue this credit?"))
	for _, want := range []string{"Customer:  Alice Liddell (alice@example.com)", "Amount:    $12.34", "Note:      " + note} {
		if !strings.Contains(scr, want) {
			t.Errorf("the confirm step does not show %q as typed:\n%s", want, scr)
		}
	}
	c.Send("n")
	h.expectCancelled(t, c, before)
}

// The apology's text area opens at the top of a draft longer than it
// shows: its first line is on screen, its last is not.
func TestInteractiveResolveApologyOpensAtTheTop(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	var draft strings.Builder
	draft.WriteString("Subject: {{.Title}}\n\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&draft, "Draft line %02d for {{.FirstName}}.\n", i)
	}
	dir := filepath.Join(h.configDir(t), "makegood", "templates", "apology")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "default.tmpl"), []byte(draft.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c := h.start(t, resolveEnv, "resolve")
	stepWhatHappened(c)
	c.Expect("Step 2 of 5 · Apologize · Alice Smith (alice@example.com)")
	focus(c, "Apology to Alice Smith")
	scr := c.ExpectScreen("show the apology", onScreen("Draft line"))
	if !strings.Contains(scr, "Draft line 01 for Alice.") {
		t.Errorf("the apology's first line is not on screen when it opens:\n%s", scr)
	}
	if strings.Contains(scr, "Draft line 30") {
		t.Errorf("the apology opens at its end:\n%s", scr)
	}
	before := h.dump(t)
	c.Send(ptytest.CtrlC)
	h.expectCancelled(t, c, before)
}

// configDir is the XDG_CONFIG_HOME the home's commands run with.
func (h *ledgerHome) configDir(t *testing.T) string {
	t.Helper()
	for _, kv := range h.env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			return v
		}
	}
	t.Fatal("the home has no XDG_CONFIG_HOME")
	return ""
}
