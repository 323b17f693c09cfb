package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/makegood/makegood/internal/testutil/golden"
)

// TestTablesAt80Columns runs every command that draws a table on a real
// 80-column pseudo-terminal, over a ledger shaped like a real one (Stripe
// ids, long notes and titles, a CJK name, amounts in three currencies), and
// compares the screen with testdata/tables/*.golden. go test -update
// rewrites the golden files, for review in git diff.
//
// What each must show: no line wider than 80 columns, no trailing blanks,
// no box drawing, and every id, date and amount whole; only free text ends
// in "…".
func TestTablesAt80Columns(t *testing.T) {
	h := newLedgerHome(t)
	seedRealisticLedger(t, h)

	for _, tc := range []struct {
		name  string
		args  []string
		whole []string // must appear uncut
		env   []string
	}{
		{"customer-list", []string{"customer", "list"}, []string{"cus_NffrFeUfNV2Hib", "$49.00/mo", "2023-03-14", "€490.00/yr"}, nil},
		{"customer-list-wide", []string{"customer", "list", "--wide"}, []string{"Roberto Bolaño de la Cruz", "ADVOCATE"}, nil},
		{"credit-list", []string{"credit", "list"}, []string{"cus_NffrFeUfNV2Hib", "$1,250.00", "¥2,500", "2026-11-24"}, nil},
		{"credit-list-wide", []string{"credit", "list", "--wide"}, []string{"the customer lost a whole day of invoicing"}, nil},
		{"credit-balance", []string{"credit", "balance"}, []string{"$1,250.00", "¥3,000"}, nil},
		{"credit-imports", []string{"credit", "imports"}, []string{"2026-11-24 10:00"}, nil},
		{"incident-list", []string{"incident", "list"}, []string{"2026-11-24 01:00", "8h"}, nil},
		{"incident-show", []string{"incident", "show", "1"}, []string{"cus_NffrFeUfNV2Hib", "#1 sent", "2026-11-24 01:45", "45m",
			"#2 failed", "Retry the failed apology with: makegood apology send 2"}, nil},
		{"customer-show", []string{"customer", "show", "cus_NffrFeUfNV2Hib"}, []string{"#1 sent", "$1,250.00"}, nil},
		{"apology-list", []string{"apology", "list"}, []string{"cus_NffrFeUfNV2Hib", "2026-11-24 01:45"}, nil},
		{"thanks-list", []string{"thanks", "list"}, []string{"cus_NffrFeUfNV2Hib", "milestone:launch"}, nil},
		{"thanks-due", []string{"thanks", "due"}, []string{"cus_R2d2C3poBb8Ewok", "welcome"}, nil},
		// Last: it sends a note. Its Message-ID (45 characters, and random)
		// is for --wide and --json.
		{"thanks-send", []string{"thanks", "send", "--customer", "cus_R2d2C3poBb8Ewok", "--occasion", "milestone:launch"},
			[]string{"cus_R2d2C3poBb8Ewok", "milestone", "outbox", "sent"},
			[]string{"MAKEGOOD_SENDER_EMAIL=zoe@example.com", "MAKEGOOD_THANKS_COOLDOWN=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.startSize(t, 40, 80, tc.env, tc.args...)
			expectSuccess(t, c)
			screen := strings.ReplaceAll(c.Output(), "\r\n", "\n")
			// The throwaway HOME (in a path thanks send prints) is ~, as it
			// would be for a user's own.
			for _, kv := range h.env {
				if home, ok := strings.CutPrefix(kv, "HOME="); ok {
					screen = strings.ReplaceAll(screen, home, "~")
				}
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "tables", tc.name+".golden"), screen, *update)
			wide := strings.HasSuffix(tc.name, "-wide")
			for _, line := range strings.Split(strings.TrimSuffix(screen, "\n"), "\n") {
				if w := twwidth.Width(line); w > 80 && !wide {
					t.Errorf("a line of %d columns on an 80-column terminal: %q", w, line)
				}
				if strings.HasSuffix(line, " ") {
					t.Errorf("trailing blanks: %q", line)
				}
			}
			if strings.ContainsAny(screen, "│─┌└┼") {
				t.Errorf("box drawing in:\n%s", screen)
			}
			for _, w := range tc.whole {
				if !strings.Contains(screen, w) {
					t.Errorf("%q is missing or cut:\n%s", w, screen)
				}
			}
		})
	}
}

// seedRealisticLedger writes, with the real binary off a terminal, the
// ledger the table tests look at.
func seedRealisticLedger(t *testing.T, h *ledgerHome) {
	t.Helper()
	h.run(t, "customer", "add", "cus_NffrFeUfNV2Hib", "--name", "Alice Liddell", "--email", "alice.liddell@wonderland.example",
		"--plan", "pro", "--price", "49.00", "--currency", "USD", "--since", "2023-03-14", "--tag", "vip", "--tag", "beta", "--advocate", "3")
	h.run(t, "customer", "add", "bob@example.com", "--name", "Roberto Bolaño de la Cruz", "--email", "bob@example.com",
		"--plan", "business", "--price", "490.00", "--currency", "EUR", "--period", "year", "--since", "2021-06-01")
	h.run(t, "customer", "add", "kenji", "--name", "山田 健二", "--currency", "JPY", "--locale", "ja")
	h.run(t, "customer", "add", "cus_R2d2C3poBb8Ewok", "--name", "Maximilian Hieronymus Wolkenstein-Trostburg",
		"--email", "max@example.com", "--currency", "EUR", "--since", "2026-11-20")

	h.run(t, "credit", "issue", "--customer", "cus_NffrFeUfNV2Hib", "--amount", "1250.00", "--reason", "outage",
		"--note", "EU cluster down for nine hours on Monday; the customer lost a whole day of invoicing")
	h.run(t, "credit", "issue", "--customer", "kenji", "--amount", "2500", "--reason", "delay")
	h.run(t, "credit", "issue", "--customer", "bob@example.com", "--gesture", "a handwritten card", "--note", "for five years with us")
	h.run(t, "credit", "issue", "--customer", "bob@example.com", "--amount", "20.00", "--reason", "billing", "--note", "charged twice in October")
	h.run(t, "credit", "apply", "4", "--amount", "20.00", "--invoice", "in_1QxYz")

	imp := exec.Command(h.bin, "credit", "issue", "--from-file", "-")
	imp.Env, imp.Stdin = h.env, strings.NewReader("customer,amount,reason,note\nkenji,500,outage,Tokyo region slow\n")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("credit issue --from-file -: %v\n%s", err, out)
	}

	h.run(t, "incident", "open", "--title", "Login outage after the Monday deploy broke every session",
		"--what", "A change we deployed broke logins.", "--started", "2026-11-24T00:00:00Z", "--reported", "2026-11-24T01:00:00Z",
		"--severity", "high", "--customers", "cus_NffrFeUfNV2Hib,bob@example.com")
	apology := filepath.Join(t.TempDir(), "apology.txt")
	if err := os.WriteFile(apology, []byte("We broke logins on Monday. It is fixed now.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runEnv(t, h, []string{"MAKEGOOD_NOW=2026-11-24T01:45:00Z"},
		"apology", "record", "--customer", "cus_NffrFeUfNV2Hib", "--incident", "1", "--file", apology)
	runEnv(t, h, []string{"MAKEGOOD_NOW=2026-11-24T02:10:00Z"},
		"apology", "record", "--customer", "bob@example.com", "--incident", "1", "--file", apology, "--status", "failed")
	h.run(t, "incident", "fix", "1", "--at", "2026-11-24T09:00:00Z")
	h.run(t, "incident", "open", "--title", "Slow exports", "--what", "Exports took an hour.", "--customers", "kenji")
	// The cool-down would defer the note: an apology went out today.
	runEnv(t, h, []string{"MAKEGOOD_SENDER_EMAIL=zoe@example.com", "MAKEGOOD_THANKS_COOLDOWN=0"},
		"thanks", "send", "--customer", "cus_NffrFeUfNV2Hib", "--occasion", "milestone:launch", "--yes")
}

// runEnv is h.run with more environment.
func runEnv(t *testing.T, h *ledgerHome, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(append([]string{}, h.env...), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("makegood %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestEscapesAtATerminal: a name with terminal escape sequences, written
// into the ledger by the sqlite3 shell, reaches a real terminal as visible
// text in a table, a show and a sentence; the terminal never receives the
// sequences themselves.
func TestEscapesAtATerminal(t *testing.T) {
	h := newLedgerHome(t)
	h.run(t, "customer", "add", "m", "--name", "Mallory", "--currency", "USD")
	h.run(t, "credit", "issue", "--customer", "m", "--amount", "5.00", "--note", "plain")
	sql := `UPDATE customers SET name = 'Mallory' || char(27) || '[2J' || char(27) || ']0;pwned' || char(7) WHERE id = 'm'`
	if out, err := exec.Command(requireTool(t, "sqlite3", "sqlite3"), h.ledger, sql).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"customer", "list"},
		{"customer", "show", "m"},
		{"credit", "issue", "--customer", "m", "--amount", "1.00", "--reason", "outage", "--note", "x"},
	} {
		c := h.startSize(t, 40, 80, nil, args...)
		c.Expect("Mallory^[[2J^[]0;pwned^G")
		expectSuccess(t, c)
		if raw := c.Raw(); strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\x1b]0;") || strings.Contains(raw, "\a") {
			t.Errorf("makegood %s sent the escape sequence itself to the terminal:\n%q", strings.Join(args, " "), raw)
		}
	}
}
