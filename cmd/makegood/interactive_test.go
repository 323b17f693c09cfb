package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/testutil/ptytest"
)

// These tests drive makegood's prompts through a real pseudo-terminal: the
// real binary (this test binary run as `makegood`, as testscript runs it)
// with a pty as its stdin, stdout and stderr, so huh and bubbletea do their
// own terminal handling. The pty console answers the background-colour query
// lipgloss sends at start-up, as a terminal would, so no environment
// workaround is needed.

const testNow = "2026-11-24T10:00:00Z"

// ledgerHome is a throwaway HOME with its own config and ledger.
type ledgerHome struct {
	bin    string
	env    []string
	ledger string
}

func newLedgerHome(t *testing.T) *ledgerHome {
	t.Helper()
	// testscript.Main (in TestMain) put a `makegood` that runs main() on
	// PATH.
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("find the makegood command set up by testscript.Main: %v", err)
	}
	home := t.TempDir()
	data := filepath.Join(home, ".local", "share")
	return &ledgerHome{
		bin: bin,
		env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"XDG_DATA_HOME=" + data,
			"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
			"TERM=xterm-256color",
			"TZ=UTC",
			"MAKEGOOD_NOW=" + testNow,
		},
		ledger: filepath.Join(data, "makegood", "ledger.db"),
	}
}

// run runs makegood off a terminal (stdin empty, output to buffers) and
// returns its stdout, failing the test if it fails.
func (h *ledgerHome) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("makegood %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// start runs makegood on a new 30x100 terminal.
func (h *ledgerHome) start(t *testing.T, extraEnv []string, args ...string) *ptytest.Console {
	t.Helper()
	return h.startSize(t, 30, 100, extraEnv, args...)
}

func (h *ledgerHome) startSize(t *testing.T, rows, cols uint16, extraEnv []string, args ...string) *ptytest.Console {
	t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	return ptytest.Start(t, cmd, rows, cols)
}

// credits is what `credit list --json` reports.
func (h *ledgerHome) credits(t *testing.T) []view.Credit {
	t.Helper()
	var cs []view.Credit
	if err := json.Unmarshal([]byte(h.run(t, "credit", "list", "--json", "--limit", "0")), &cs); err != nil {
		t.Fatalf("parse credit list --json: %v", err)
	}
	return cs
}

// dump is the ledger's schema and rows, as the scripts' ledgerdump has
// them, to show that a command changed nothing.
func (h *ledgerHome) dump(t *testing.T) string {
	t.Helper()
	db := h.db(t)
	defer db.Close()
	out, err := dumpSQLite(db)
	if err != nil {
		t.Fatalf("dump %s: %v", h.ledger, err)
	}
	return out
}

// db opens the ledger file for reading.
func (h *ledgerHome) db(t *testing.T) *sql.DB {
	t.Helper()
	if _, err := os.Stat(h.ledger); err != nil {
		t.Fatalf("no ledger: %v", err)
	}
	db, err := registeredEngines()[0].Open(h.ledger)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// expectUnchanged fails the test if the ledger differs from an earlier dump.
func (h *ledgerHome) expectUnchanged(t *testing.T, before string) {
	t.Helper()
	if after := h.dump(t); after != before {
		t.Errorf("the ledger changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// expectCancelled checks that the program says it cancelled, exits 1 and
// left the ledger as it was.
func (h *ledgerHome) expectCancelled(t *testing.T, c *ptytest.Console, before string) {
	t.Helper()
	c.Expect("cancelled; nothing was written")
	if code := c.Wait(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	h.expectUnchanged(t, before)
}

func (h *ledgerHome) addCustomers(t *testing.T) {
	t.Helper()
	h.run(t, "customer", "add", "alice@example.com", "--name", "Alice Liddell", "--currency", "USD")
	h.run(t, "customer", "add", "bob@example.com", "--name", "Bob Dylan", "--currency", "EUR")
	h.run(t, "customer", "add", "carol@example.com", "--name", "Carol Danvers", "--currency", "USD")
}

func strPtr(s string) *string { return &s }

// TestInteractiveIssue fills in the whole credit issue form, a step at a
// time: a customer picked by filtering the select (Esc clears the filter
// without cancelling), an amount refused for its third decimal and then
// corrected, the details (reason, note, expiry), back a step with the
// answers kept, and a confirm step that shows everything to be written.
func TestInteractiveIssue(t *testing.T) {
	h := newLedgerHome(t)
	h.addCustomers(t)

	c := h.start(t, nil, "credit", "issue")
	c.Expect("Step 1 of 4 · Customer")
	c.Expect("Alice Liddell (alice@example.com)")
	c.Expect("Carol Danvers (carol@example.com)")
	c.Expect("+ a new customer…")
	// Keys are sent one binding at a time, each after the screen shows the
	// previous one took effect, as a person types: bubbletea reads a burst
	// of runes as one key, which would not match the "/" binding.
	c.Send("/")
	c.Expect("esc clear filter")
	c.Send("bob")
	c.Expect("/bob")
	c.Send(ptytest.Escape) // clears the filter; the form goes on
	c.Expect("Alice Liddell (alice@example.com)")
	c.Send("/")
	c.Expect("esc clear filter")
	c.Send("carol")
	c.Expect("/carol")
	c.Expect("> Carol Danvers (carol@example.com)")
	c.Send(ptytest.Enter)

	c.Expect("Step 2 of 4 · Amount · Carol Danvers (carol@example.com)")
	focus(c, "Amount in USD")
	// The amount is checked as it is typed, and Enter refuses it.
	c.Send("12.34")
	c.Expect("✓")
	c.Send("5")
	c.Expect(`✗ "12.345" has more decimals than USD allows (2)`)
	c.Send(ptytest.Enter)
	c.Send(ptytest.Backspace)
	c.Expect("✓")
	c.Send(ptytest.Enter)

	c.Expect("Step 3 of 4 · Details")
	focus(c, "Reason")
	c.Expect("> outage")
	c.Send(ptytest.Down)
	c.Expect("> bug")
	c.Send(ptytest.Down)
	c.Expect("> billing")
	c.Send("\x1b[Z") // shift+tab: back to the amount, kept as typed
	focus(c, "Amount in USD")
	c.Expect("12.34")
	c.Send(ptytest.Enter)
	focus(c, "Reason")
	c.Expect("> billing") // the answer was kept too
	c.Send(ptytest.Enter)
	typeInto(c, "Note for the ledger", "Charged twice in November")
	typeInto(c, "Expires", "2027-01-31")

	c.Expect("Step 4 of 4 · Confirm")
	c.Expect("Customer:  Carol Danvers (carol@example.com)")
	c.Expect("Amount:    $12.34")
	c.Expect("Reason:    billing")
	c.Expect("Note:      Charged twice in November")
	c.Expect("Expires:   2027-01-31")
	focus(c, "Issue this credit?")
	c.Send("y")
	c.Expect("Issued credit 1: $12.34 to Carol Danvers (carol@example.com) for billing.")
	expectSuccess(t, c)

	exp := "2027-01-31T00:00:00Z"
	want := []view.Credit{{
		ID: 1, Customer: "carol@example.com", Amount: strPtr("12.34"), AmountMinor: 1234, Currency: strPtr("USD"),
		Reason: "billing", Note: strPtr("Charged twice in November"), Status: "open",
		Remaining: strPtr("12.34"), RemainingMinor: 1234, IssuedAt: testNow, ExpiresAt: &exp, Kind: view.KindCredit,
	}}
	assertCredits(t, h.credits(t), want)
}

// TestInteractiveIssueCancel presses Ctrl-C or Esc part way through the
// form, and at the final confirmation, and answers no there: each time
// nothing is written and the exit is non-zero.
func TestInteractiveIssueCancel(t *testing.T) {
	toConfirmation := func(c *ptytest.Console) {
		typeInto(c, "Amount in EUR", "5")
		typeInto(c, "Expires", "")
		c.Expect("Step 4 of 4 · Confirm")
		focus(c, "Issue this credit?")
	}
	bob := []string{"credit", "issue", "--customer", "bob@example.com", "--reason", "delay", "--note", ""}
	for _, tc := range []struct {
		name  string
		args  []string
		drive func(c *ptytest.Console)
	}{
		{"ctrl-c at the amount", []string{"credit", "issue", "--customer", "alice@example.com"}, func(c *ptytest.Console) {
			focus(c, "Amount in USD")
			c.Send("25")
			c.Expect("25")
			c.Send(ptytest.CtrlC)
		}},
		{"esc at the customer", []string{"credit", "issue"}, func(c *ptytest.Console) {
			focus(c, "Customer")
			c.Send(ptytest.Escape)
		}},
		{"ctrl-c at the confirmation", bob, func(c *ptytest.Console) {
			toConfirmation(c)
			c.Send(ptytest.CtrlC)
		}},
		{"esc at the confirmation", bob, func(c *ptytest.Console) {
			toConfirmation(c)
			c.Send(ptytest.Escape)
		}},
		{"no at the confirmation", bob, func(c *ptytest.Console) {
			toConfirmation(c)
			c.Send("n")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLedgerHome(t)
			h.addCustomers(t)
			before := h.dump(t)
			c := h.start(t, nil, tc.args...)
			tc.drive(c)
			h.expectCancelled(t, c, before)
		})
	}
}

// A credit in another currency than the customer's is confirmed at a
// terminal: yes issues it, no writes nothing.
func TestInteractiveIssueOtherCurrency(t *testing.T) {
	h := newLedgerHome(t)
	h.addCustomers(t)
	before := h.dump(t)
	args := []string{"credit", "issue", "--customer", "alice@example.com", "--amount", "5", "--currency", "EUR", "--reason", "bug"}
	c := h.start(t, nil, args...)
	c.Expect("alice@example.com is billed in USD. Issue this credit in EUR anyway?")
	c.Send("n")
	h.expectCancelled(t, c, before)

	c = h.start(t, nil, args...)
	c.Expect("alice@example.com is billed in USD. Issue this credit in EUR anyway?")
	c.Send("y")
	c.Expect("Issued credit 1: €5.00 to Alice Liddell (alice@example.com) for bug.")
	expectSuccess(t, c)
}

// TestInteractiveIssueNewCustomer gives an unknown --customer at a
// terminal: makegood offers to add it and, accepted, adds the customer and
// issues the credit in one go; declined, it writes nothing.
func TestInteractiveIssueNewCustomer(t *testing.T) {
	t.Run("accepted", func(t *testing.T) {
		h := newLedgerHome(t)
		h.addCustomers(t)

		// No --currency and none configured: the new customer has none, so
		// the currency is asked for too.
		c := h.start(t, nil, "credit", "issue", "--customer", "dave@example.com", "--amount", "30", "--reason", "goodwill")
		c.Expect(`Customer "dave@example.com" is not in the ledger. Add it?`)
		c.Send("y")
		c.Answer("Name (optional)", "Dave Lister")
		c.Answer("Currency (ISO 4217, e.g. USD)", "eur")
		c.Expect("Issued credit 1: €30.00 to Dave Lister (dave@example.com) for goodwill.")
		expectSuccess(t, c)

		var cust view.Customer
		if err := json.Unmarshal([]byte(h.run(t, "customer", "show", "dave@example.com", "--json")), &cust); err != nil {
			t.Fatal(err)
		}
		if cust.ID != "dave@example.com" || cust.Name == nil || *cust.Name != "Dave Lister" {
			t.Errorf("customer = %+v, want dave@example.com named Dave Lister", cust)
		}
		assertCredits(t, h.credits(t), []view.Credit{{
			ID: 1, Customer: "dave@example.com", Amount: strPtr("30.00"), AmountMinor: 3000, Currency: strPtr("EUR"),
			Reason: "goodwill", Status: "open", Remaining: strPtr("30.00"), RemainingMinor: 3000, IssuedAt: testNow,
			Kind: view.KindCredit,
		}})
	})
	t.Run("declined", func(t *testing.T) {
		h := newLedgerHome(t)
		h.addCustomers(t)
		before := h.dump(t)

		c := h.start(t, nil, "credit", "issue", "--customer", "dave@example.com", "--amount", "30", "--currency", "USD")
		c.Expect(`Customer "dave@example.com" is not in the ledger. Add it?`)
		c.Send("n")
		h.expectCancelled(t, c, before)
	})
}

// TestInteractiveIssueFlagsOnly: with every value given as a flag, a
// terminal gets no prompt and a sentence instead of the bare id.
func TestInteractiveIssueFlagsOnly(t *testing.T) {
	h := newLedgerHome(t)
	h.addCustomers(t)

	c := h.start(t, nil, "credit", "issue", "--customer", "alice@example.com", "--amount", "25.00", "--reason", "outage")
	c.Expect("Issued credit 1: $25.00 to Alice Liddell (alice@example.com) for outage.")
	expectSuccess(t, c)
	if out := c.Output(); strings.Contains(out, "?") {
		t.Errorf("a question was asked although every value was given:\n%s", out)
	}
	if n := len(h.credits(t)); n != 1 {
		t.Errorf("%d credits recorded, want 1", n)
	}
}

// TestNoInputOnTerminal: on a terminal, where credit issue would otherwise
// open its form, --no-input and MAKEGOOD_NO_INPUT turn a missing value into
// an error naming its flag.
func TestNoInputOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--no-input", "credit", "issue"}},
		{"environment", []string{"MAKEGOOD_NO_INPUT=1"}, []string{"credit", "issue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLedgerHome(t)
			h.addCustomers(t)
			before := h.dump(t)

			c := h.start(t, tc.env, tc.args...)
			c.Expect("makegood: --customer is required when not running interactively")
			if code := c.Wait(); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if out := c.Output(); strings.Contains(out, "Customer (type / to filter)") {
				t.Errorf("the form was shown despite no-input:\n%s", out)
			}
			h.expectUnchanged(t, before)
		})
	}
}

// TestInteractiveVoid: on a terminal, void asks for confirmation instead of
// needing --yes; "no" writes nothing, "yes" voids.
func TestInteractiveVoid(t *testing.T) {
	h := newLedgerHome(t)
	h.addCustomers(t)
	h.run(t, "credit", "issue", "--customer", "alice@example.com", "--amount", "25.00")
	before := h.dump(t)

	c := h.start(t, nil, "credit", "void", "1", "--reason", "issued by mistake")
	c.Expect("Void credit 1 ($25.00 left of $25.00 to alice@example.com)?")
	c.Send("n")
	h.expectCancelled(t, c, before)

	c = h.start(t, nil, "credit", "void", "1")
	c.Answer("Why void it?", "issued by mistake")
	c.Expect("Void credit 1 ($25.00 left of $25.00 to alice@example.com)?")
	c.Send("y")
	c.Expect("Voided credit 1.")
	expectSuccess(t, c)
	cs := h.credits(t)
	if len(cs) != 1 || cs[0].Status != "void" || cs[0].VoidedAt == nil || *cs[0].VoidedAt != testNow {
		t.Errorf("credits after void = %+v, want credit 1 void at %s", cs, testNow)
	}
}

// TestCreditListTable: on a terminal, credit list draws a borderless table
// with a header and amounts with their currency symbols, fitted to the
// terminal's width by cutting the note alone.
func TestCreditListTable(t *testing.T) {
	h := newLedgerHome(t)
	h.addCustomers(t)
	h.run(t, "credit", "issue", "--customer", "alice@example.com", "--amount", "25.00", "--reason", "outage",
		"--note", "Could not log in for a day, then could not export invoices either")
	h.run(t, "customer", "add", "kenji", "--currency", "JPY")
	h.run(t, "credit", "issue", "--customer", "kenji", "--amount", "2500", "--reason", "delay")

	const width = 100
	c := h.startSize(t, 30, width, nil, "credit", "list")
	c.Expect("ID")
	c.Expect("CUSTOMER")
	c.Expect("AMOUNT")
	c.Expect("STATUS")
	c.Expect("REMAINING")
	c.Expect("ISSUED")
	c.Expect("DETAIL")
	c.Expect("2")
	c.Expect("kenji")
	c.Expect("¥2,500")
	c.Expect("open")
	c.Expect("2026-11-24")
	c.Expect("delay")
	c.Expect("1")
	c.Expect("alice@example.com")
	c.Expect("$25.00")
	c.Expect("open")
	c.Expect("2026-11-24")
	c.Expect("outage: Could not log in for a day")
	c.Expect("…")
	expectSuccess(t, c)
	out := c.Output()
	if strings.ContainsAny(out, "│─┌+|") {
		t.Errorf("table borders in:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > width {
			t.Errorf("line of %d characters on a %d-column terminal: %s", n, width, line)
		}
	}
}

// expectSuccess waits for the program to exit 0.
func expectSuccess(t *testing.T, c *ptytest.Console) {
	t.Helper()
	if code := c.Wait(); code != 0 {
		t.Fatalf("exit status %d, want 0; output:\n%s", code, c.Output())
	}
}

func assertCredits(t *testing.T, got, want []view.Credit) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(g, w) {
		t.Errorf("credits recorded:\n%s\nwant:\n%s", g, w)
	}
}
