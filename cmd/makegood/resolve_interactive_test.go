package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/testutil/ptytest"
)

// The guided walk (makegood resolve) through a real pseudo-terminal. A step
// shows all its fields at once, so the tests wait for a field to have the
// focus — huh draws the focused field with a "┃" bar — before typing into
// it.

var resolveEnv = []string{"MAKEGOOD_SENDER_EMAIL=sam@shop.example", "MAKEGOOD_SENDER_NAME=Sam"}

// alice pays $49.00 a month since two months: a day's outage suggests
// $25.00, with an SLA credit of $12.25 as the third option.
func addAlice(t *testing.T, h *ledgerHome) {
	t.Helper()
	h.run(t, "customer", "add", "alice@example.com", "--name", "Alice Smith", "--email", "alice@example.com",
		"--price", "49.00", "--currency", "USD", "--since", "2026-09-20")
}

// focus waits until the field titled title has the focus.
func focus(c *ptytest.Console, title string) {
	c.Expect("┃ " + title)
}

// typeInto waits for the field and types text into it, replacing what the
// field held (ctrl+u clears a one-line input), then moves on.
func typeInto(c *ptytest.Console, title, text string) {
	focus(c, title)
	c.Send("\x15" + text)
	c.Expect(text)
	c.Send(ptytest.Enter)
}

// stepWhatHappened opens a new incident that started a day before
// MAKEGOOD_NOW and picks Alice.
func stepWhatHappened(c *ptytest.Console) {
	c.Expect("Step 1 of 5 · What happened · a new incident")
	typeInto(c, "Title", "Login outage")
	typeInto(c, "What happened", "Nobody could log in for a day")
	typeInto(c, "When did it start", "2026-11-23 10:00")
	typeInto(c, "When did the customer tell you", "2026-11-23 10:30")
	focus(c, "How much of the service was lost")
	c.Send(ptytest.Enter) // 100%
	focus(c, "Severity")
	c.Send(ptytest.Enter)
	c.Expect("Step 1 of 5 · What happened · customers")
	focus(c, "Who was affected")
	c.Send("x")
	c.Expect("✓") // huh marks a picked option
	c.Send(ptytest.Enter)
}

// stepApologizeAsDrafted keeps the draft and the outbox.
func stepApologizeAsDrafted(c *ptytest.Console) {
	c.Expect("Step 2 of 5 · Apologize · Alice Smith (alice@example.com)")
	focus(c, "Apology to Alice Smith")
	c.Expect("Nobody could log in for a day.")
	c.Send(ptytest.Enter)
	c.Expect("Step 2 of 5 · Apologize · delivery")
	focus(c, "How should the apology go out?")
	c.Send(ptytest.Enter)
}

// sql reads the ledger as the scripts' ledgersql does (rows as a|b|c).
func (h *ledgerHome) sql(t *testing.T, query string) string {
	t.Helper()
	db := h.db(t)
	defer db.Close()
	var out strings.Builder
	for _, q := range splitStatements(query) {
		if err := writeRows(&out, db, q); err != nil {
			t.Fatal(err)
		}
	}
	return strings.TrimSpace(out.String())
}

func (h *ledgerHome) outbox(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(filepath.Dir(h.ledger), "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// startToTheFix starts the walk for Alice and answers steps 1 and 2.
func startToTheFix(t *testing.T) (*ledgerHome, *ptytest.Console) {
	t.Helper()
	h := newLedgerHome(t)
	addAlice(t, h)
	c := h.start(t, resolveEnv, "resolve")
	stepWhatHappened(c)
	stepApologizeAsDrafted(c)
	c.Expect("Step 3 of 5 · Fix")
	focus(c, "Is it fixed?")
	return h, c
}

func TestInteractiveResolveHappyPath(t *testing.T) {
	h, c := startToTheFix(t)
	c.Send(ptytest.Enter) // yes, just now

	c.Expect("Step 4 of 5 · Compensate · Alice Smith (alice@example.com)")
	focus(c, "What will you give Alice Smith")
	c.Expect("> $25.00 recommended — SLA credit $12.25") // preselected
	c.Send(ptytest.Enter)

	c.Expect("Step 5 of 5 · Confirm")
	c.Expect("apology to be queued in the outbox; a credit of $25.00")
	c.Expect("To make up for it, we are giving you a credit of $25.00") // the draft, written again
	focus(c, "Record all of this and queue the apology in the outbox?")
	c.Send("y")

	c.Expect(`Recorded incident #1 "Login outage".`)
	c.Expect("Alice Smith (alice@example.com): apology #1 queued in the outbox")
	c.Expect("credit #1 $25.00; time to apology 23h 30m")
	c.Expect("Time to fix: 23h 30m.")
	expectSuccess(t, c)

	if got := h.sql(t, "SELECT amount_minor, currency, incident_id, reason FROM credits"); got != "2500|USD|1|goodwill" {
		t.Errorf("credits: %q", got)
	}
	if got := h.sql(t, "SELECT fixed_at FROM incident_fixes WHERE incident_id = 1"); got != "2026-11-24T10:00:00.000000Z" {
		t.Errorf("fix: %q", got)
	}
	if got := h.sql(t, "SELECT count(*) FROM apologies WHERE body LIKE '%It is fixed%' AND body LIKE '%a credit of $25.00 toward your next invoice%'"); got != "1" {
		t.Errorf("the apology sent is not the draft written with the fix and the credit")
	}
	files := h.outbox(t)
	if len(files) != 1 {
		t.Fatalf("outbox %v", files)
	}
	eml, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"To: \"Alice Smith\" <alice@example.com>", "Subject: Fixed: Login outage", "Nobody could log in for a day."} {
		if !strings.Contains(string(eml), want) {
			t.Errorf("the mail lacks %q:\n%s", want, eml)
		}
	}
}

// Not fixed yet: the case is saved (incident, apology sent) and the walk
// ends with the command to resume, which starts at the fix. There a
// non-recommended option is picked.
func TestInteractiveResolveSaveAndResume(t *testing.T) {
	h, c := startToTheFix(t)
	c.Send(ptytest.Down + ptytest.Down) // not yet
	c.Expect("> Not yet")
	c.Send(ptytest.Enter)
	c.Expect("Step 3 of 5 · Fix · save for later")
	focus(c, "Save the case and queue the apology in the outbox now?")
	c.Send("y")
	c.Expect(`Saved incident #1 "Login outage": not fixed yet.`)
	c.Expect("resume with: makegood resolve --incident 1")
	expectSuccess(t, c)
	if got := h.sql(t, "SELECT count(*) FROM apologies"); got != "1" {
		t.Fatalf("apologies after saving: %s", got)
	}
	if got := h.sql(t, "SELECT count(*) FROM credits") + h.sql(t, "SELECT count(*) FROM incident_fixes"); got != "00" {
		t.Fatalf("credits and fixes after saving: %s", got)
	}

	// Ctrl-C on resuming leaves the saved case as it was.
	saved := h.dump(t)
	c = h.start(t, resolveEnv, "resolve", "--incident", "1")
	c.Expect("Step 3 of 5 · Fix")
	focus(c, "Is it fixed?")
	c.Send(ptytest.CtrlC)
	h.expectCancelled(t, c, saved)

	c = h.start(t, resolveEnv, "resolve", "--incident", "1")
	c.Expect("Step 3 of 5 · Fix")
	focus(c, "Is it fixed?")
	c.Send(ptytest.Enter)
	c.Expect("Step 4 of 5 · Compensate")
	focus(c, "What will you give Alice Smith")
	c.Send(ptytest.Down + ptytest.Down)
	c.Expect("> $12.25 sla credit")
	c.Send(ptytest.Enter)
	// The first apology promised to write again once it was fixed.
	focus(c, "The follow-up to Alice Smith")
	c.Expect("It is fixed, and everything works as it should again.")
	c.Expect("To make up for it, we are giving you a credit of $12.25")
	c.Send(ptytest.Tab)
	focus(c, "Send the follow-up?")
	c.Send(ptytest.Enter)
	focus(c, "How should it go out?")
	c.Send(ptytest.Enter)
	c.Expect("Step 5 of 5 · Confirm")
	c.Expect("apology already sent 2026-11-24 10:00; the it's-fixed follow-up")
	focus(c, "Record all of this")
	c.Send("y")
	c.Expect(`Recorded incident #1 "Login outage".`)
	c.Expect("it's-fixed follow-up #2 queued in the outbox")
	c.Expect("credit #1 $12.25")
	c.Expect("Time to fix: 23h 30m.")
	expectSuccess(t, c)
	if got := h.sql(t, "SELECT amount_minor FROM credits WHERE incident_id = 1"); got != "1225" {
		t.Errorf("credit: %s", got)
	}
	if got := h.sql(t, "SELECT count(*) FROM apologies"); got != "2" {
		t.Errorf("apologies after resuming: %s, want the first and the follow-up", got)
	}
	if got := h.sql(t, "SELECT count(*) FROM apologies WHERE id = 2 AND body LIKE 'Subject: Fixed: Login outage%' AND body LIKE '%a credit of $12.25%'"); got != "1" {
		t.Errorf("the follow-up is not the fixed draft with the credit")
	}
	if files := h.outbox(t); len(files) != 2 {
		t.Errorf("outbox %v, want the apology and the follow-up", files)
	}
}

// Ctrl-C or Esc at each step writes nothing and says so.
func TestInteractiveResolveCancelAtEachStep(t *testing.T) {
	steps := []struct {
		name  string
		reach func(c *ptytest.Console)
	}{
		{"what happened", func(c *ptytest.Console) { focus(c, "Title") }},
		{"apologize", func(c *ptytest.Console) {
			stepWhatHappened(c)
			focus(c, "Apology to Alice Smith")
		}},
		{"fix", func(c *ptytest.Console) {
			stepWhatHappened(c)
			stepApologizeAsDrafted(c)
			focus(c, "Is it fixed?")
		}},
		{"compensate", func(c *ptytest.Console) {
			stepWhatHappened(c)
			stepApologizeAsDrafted(c)
			focus(c, "Is it fixed?")
			c.Send(ptytest.Enter)
			focus(c, "What will you give")
		}},
		{"confirm", func(c *ptytest.Console) {
			stepWhatHappened(c)
			stepApologizeAsDrafted(c)
			focus(c, "Is it fixed?")
			c.Send(ptytest.Enter)
			focus(c, "What will you give")
			c.Send(ptytest.Enter)
			focus(c, "Record all of this")
		}},
	}
	for _, key := range []struct{ name, seq string }{{"ctrl-c", ptytest.CtrlC}, {"esc", ptytest.Escape}} {
		for _, s := range steps {
			t.Run(key.name+" at "+s.name, func(t *testing.T) {
				h := newLedgerHome(t)
				addAlice(t, h)
				before := h.dump(t)
				c := h.start(t, resolveEnv, "resolve")
				s.reach(c)
				c.Send(key.seq)
				h.expectCancelled(t, c, before)
				if files := h.outbox(t); len(files) != 0 {
					t.Errorf("mail left in the outbox: %v", files)
				}
			})
		}
	}
}

// The apology is edited to add a stock phrase: the check's finding shows
// under it, the operator goes back to edit, then keeps it knowingly. On the
// way, shift+tab goes back a step and the edit survives.
func TestInteractiveResolveKeepFlaggedPhrase(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	c := h.start(t, resolveEnv, "resolve")
	stepWhatHappened(c)
	c.Expect("Step 2 of 5 · Apologize")
	focus(c, "Apology to Alice Smith")
	c.Send("\x1b>") // alt+>: the text area opens at the top; go to the end
	c.Send(" We apologize for any inconvenience.")
	c.Expect("inconvenience.")
	c.Send(ptytest.Enter)
	c.Expect("apology check found")
	c.Expect("stock-phrase: We apologize for any inconvenience")
	focus(c, "Before it goes out")
	c.Send(ptytest.Enter) // edit the apology
	focus(c, "Apology to Alice Smith")
	c.Expect("We apologize for any inconvenience.") // the edit is kept
	c.Send(ptytest.Enter)
	focus(c, "Before it goes out")
	c.Send(ptytest.Down)
	c.Expect("> Keep it as written")
	c.Send(ptytest.Enter)

	c.Expect("Step 2 of 5 · Apologize · delivery")
	focus(c, "How should the apology go out?")
	c.Send("\x1b[Z") // shift+tab: back to the apology check
	focus(c, "Before it goes out")
	c.Expect("> Keep it as written") // as it was left
	c.Send(ptytest.Enter)
	focus(c, "How should the apology go out?")
	c.Send(ptytest.Enter)
	focus(c, "Is it fixed?")
	c.Send(ptytest.Enter)
	focus(c, "What will you give")
	c.Send(ptytest.Enter)
	// The edit was made before the fix: the draft's new paragraph is offered.
	c.Expect("You edited the apology before it was fixed and compensated")
	c.Expect("It is fixed, and everything works as it should again.")
	focus(c, "Add this to your apology?")
	c.Send("y")
	c.Expect("1 flagged phrase(s) kept")
	focus(c, "Record all of this")
	c.Send("y")
	c.Expect(`Recorded incident #1 "Login outage".`)
	expectSuccess(t, c)
	if got := h.sql(t, "SELECT count(*) FROM apologies WHERE body LIKE '%We apologize for any inconvenience.%'"); got != "1" {
		t.Errorf("the kept phrase is not in the recorded apology (%s)", got)
	}
	if got := h.sql(t, "SELECT count(*) FROM apologies WHERE body LIKE '%It is fixed, and everything works%' AND body NOT LIKE '%We are fixing it right now%' AND body LIKE 'Subject: Fixed: Login outage%'"); got != "1" {
		t.Errorf("the edited apology was not brought up to date with the fix (%s)", got)
	}
}

// In accessible mode (TERM=dumb) the same walk asks line by line, with the
// step title printed and a numbered Continue / Back choice per step.
func TestInteractiveResolveAccessible(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	c := h.start(t, append([]string{"TERM=dumb"}, resolveEnv...), "resolve")
	c.Expect("Step 1 of 5 · What happened · a new incident")
	c.Answer("Title", "Login outage")
	c.Answer("What happened", "Nobody could log in for a day")
	c.Answer("When did it start", "2026-11-23 10:00")
	c.Answer("When did the customer tell you", "2026-11-23 10:30")
	c.Answer("How much of the service was lost", "30%")
	c.Expect("Severity")
	c.Answer("Enter a number", "")
	c.Expect("Step 1 of 5 · What happened · customers")
	c.Answer("Enter a number between 0 and 2", "1")
	c.Answer("Enter a number between 0 and 2", "0")
	c.Expect("← Back to the previous step")
	c.Answer("Enter a number between 1 and 2", "1")
	c.Expect("Step 2 of 5 · Apologize")
	c.Expect("Apology to Alice Smith")
	c.Send(ptytest.Enter) // keep the draft
	c.Expect("← Back to the previous step")
	c.Answer("Enter a number between 1 and 2", "2") // back to the customers
	c.Expect("Step 1 of 5 · What happened · customers")
	c.Send(ptytest.CtrlC)
	c.Expect("cancelled; nothing was written")
	if code := c.Wait(); code != 1 {
		t.Fatalf("exit status %d", code)
	}
	if got := h.sql(t, "SELECT count(*) FROM incidents"); got != "0" {
		t.Fatalf("incidents: %s", got)
	}
}

// A terminal too narrow for a drawn form gets the line-by-line questions
// without being asked to.
func TestInteractiveResolveNarrowTerminal(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	c := h.startSize(t, 30, 40, resolveEnv, "resolve")
	c.Expect("Step 1 of 5 · What happened · a new incident")
	c.Answer("Title", "Login outage")
	c.Answer("What happened", "Nobody could log in for a day")
	c.Answer("When did it start", "2026-11-23 10:00")
	c.Answer("When did the customer tell you", "2026-11-23 10:30")
	c.Answer("How much of the service was lost", "100%")
	c.Expect("Severity")
	c.Expect("Enter a number")
	c.Send(ptytest.CtrlC)
	c.Expect("cancelled; nothing was written")
	if code := c.Wait(); code != 1 {
		t.Fatalf("exit status %d", code)
	}
	if got := h.sql(t, "SELECT count(*) FROM incidents"); got != "0" {
		t.Fatalf("incidents: %s", got)
	}
}

// Esc while the customer list is filtered clears the filter and the walk
// goes on; shift+tab goes back a step with the answers kept; the confirm
// step shows the report time and the impact; Esc with no filter cancels.
func TestInteractiveResolveEscInAFilter(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	h.run(t, "customer", "add", "cus_P1", "--name", "Bo_rg *Ltd*", "--email", "bo@example.com", "--price", "10.00", "--currency", "USD")
	before := h.dump(t)
	c := h.start(t, resolveEnv, "resolve")
	c.Expect("Step 1 of 5 · What happened · a new incident")
	typeInto(c, "Title", "Slow logins")
	typeInto(c, "What happened", "Logins took a minute")
	typeInto(c, "When did it start", "2026-11-23 10:00")
	typeInto(c, "When did the customer tell you", "2026-11-23 10:30")
	typeInto(c, "How much of the service was lost", "30%")
	focus(c, "Severity")
	c.Send(ptytest.Enter)
	focus(c, "Who was affected")
	c.Send("/")
	c.Expect("esc clear filter")
	c.Send("P1")
	c.Expect("/P1")
	c.Send(ptytest.Escape) // clears the filter; does not cancel
	c.Expect("Alice Smith (alice@example.com)")
	c.Send("x")
	c.Expect("✓")
	c.Send(ptytest.Enter)
	c.Expect("Step 2 of 5 · Apologize · Alice Smith (alice@example.com)")
	focus(c, "Apology to Alice Smith")
	c.Send("\x1b[Z") // shift+tab: back to the customers, Alice still picked
	focus(c, "Who was affected")
	c.Expect("✓ Alice Smith (alice@example.com)")
	c.Send(ptytest.Enter)
	focus(c, "Apology to Alice Smith")
	c.Send(ptytest.Enter)
	focus(c, "How should the apology go out?")
	c.Send(ptytest.Enter)
	focus(c, "Is it fixed?")
	c.Send(ptytest.Enter)
	focus(c, "What will you give Alice Smith")
	c.Send(ptytest.Enter)
	c.Expect("Step 5 of 5 · Confirm")
	c.Expect("reported 2026-11-23 10:30, 30%")
	focus(c, "Record all of this")
	c.Send(ptytest.Escape)
	h.expectCancelled(t, c, before)
}

// TestInteractiveResolveEscapesLedgerText: an incident whose title and
// "what" hold terminal escape sequences (written into the ledger by another
// tool, as escapes.txtar does with the sqlite3 shell) is shown by the walk
// and by credit issue's form as visible text — in the option list, the
// draft, the fix step's note, the confirmation and the last words — and
// the terminal never receives the sequences themselves; the apology that
// goes out holds what the operator saw.
func TestInteractiveResolveEscapesLedgerText(t *testing.T) {
	h := newLedgerHome(t)
	addAlice(t, h)
	db := h.db(t)
	_, err := db.Exec(`INSERT INTO incidents (id, title, what, started_at, reported_at, created_at)
		VALUES (1, 'Login' || char(27) || ']0;pwned' || char(7), 'Logins' || char(27) || ']2;owned' || char(7) || ' failed',
			'2026-11-23T10:00:00.000000Z', '2026-11-23T10:00:00.000000Z', '2026-11-23T10:00:00.000000Z');
		INSERT INTO incident_customers VALUES (1, 'alice@example.com', '2026-11-23T10:00:00.000000Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	const title, what = "Login^[]0;pwned^G", "Logins^[]2;owned^G failed"
	noSequences := func(c *ptytest.Console, what string) {
		t.Helper()
		if raw := c.Raw(); strings.Contains(raw, "\x1b]0;pwned") || strings.Contains(raw, "\x1b]2;owned") || strings.Contains(raw, "\a") {
			t.Errorf("%s sent the escape sequences themselves to the terminal:\n%q", what, raw)
		}
	}

	c := h.start(t, resolveEnv, "resolve")
	c.Expect("Step 1 of 5 · What happened")
	focus(c, "Which incident is this about?")
	c.Expect("#1 " + title + " (since 2026-11-23 10:00)")
	c.Send(ptytest.Up)
	c.Expect("> #1 " + title)
	c.Send(ptytest.Enter)
	c.Expect("Step 1 of 5 · What happened · customers")
	focus(c, "Who was affected")
	c.Send(ptytest.Enter) // Alice, as the incident has her
	c.Expect("Step 2 of 5 · Apologize · Alice Smith (alice@example.com)")
	focus(c, "Apology to Alice Smith")
	c.Expect(what)
	c.Send(ptytest.Enter)
	focus(c, "How should the apology go out?")
	c.Send(ptytest.Enter)
	c.Expect("Step 3 of 5 · Fix")
	c.Expect(title) // the note's title
	focus(c, "Is it fixed?")
	c.Send(ptytest.Enter)
	focus(c, "What will you give Alice Smith")
	c.Send(ptytest.Enter)
	c.Expect("Step 5 of 5 · Confirm")
	c.Expect("Incident #1: " + title)
	c.Expect(what) // the preview
	focus(c, "Record all of this")
	c.Send("y")
	c.Expect(`Recorded incident #1 "` + title + `".`)
	expectSuccess(t, c)
	noSequences(c, "resolve")
	if got := h.sql(t, "SELECT count(*) FROM apologies WHERE instr(body, char(27)) = 0 AND body LIKE '%"+what+"%'"); got != "1" {
		t.Errorf("the apology that went out is not the escaped text shown: %s", h.sql(t, "SELECT body FROM apologies"))
	}

	// credit issue's form lists the incident and confirms it escaped.
	c = h.start(t, nil, "credit", "issue", "--customer", "alice@example.com")
	typeInto(c, "Amount in USD", "5.00")
	c.Expect("Step 3 of 4 · Details")
	focus(c, "Reason")
	c.Send(ptytest.Enter)
	typeInto(c, "Note for the ledger", "x")
	typeInto(c, "Expires", "")
	focus(c, "For an incident?")
	c.Expect("#1 " + title)
	c.Send(ptytest.Down)
	c.Expect("> #1 " + title)
	c.Send(ptytest.Enter)
	c.Expect("Step 4 of 4 · Confirm")
	c.Expect("Incident:  #1 " + title)
	focus(c, "Issue this credit?")
	c.Send("y")
	expectSuccess(t, c)
	noSequences(c, "credit issue")
}
