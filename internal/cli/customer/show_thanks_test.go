package customer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/ledger"
)

func TestShowIncludesThankYouNotes(t *testing.T) {
	e := clitest.New(t, nil)
	for _, args := range []string{"a --name Alice --currency USD", "b --name Bob"} {
		if err := clitest.Run(NewCmdAdd(e.F, nil), args); err != nil {
			t.Fatal(err)
		}
	}
	st := store(t, e)
	for _, n := range []ledger.NewThankYouNote{
		{Customer: "a", Occasion: "welcome", Key: "welcome", Via: "smtp", Status: "failed", Error: "550 mailbox full", Subject: "Welcome, Alice", At: clitest.Now},
		{Customer: "a", Occasion: "welcome", Key: "welcome", Via: "smtp", Status: "sent", MessageID: "<w@x>", Subject: "Welcome, Alice", At: clitest.Now.Add(1e9),
			Credit: &ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD", Reason: "goodwill", Note: "thank-you note: welcome", IssuedAt: clitest.Now.Add(1e9)}},
	} {
		if _, err := st.RecordThankYou(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdShow(e.F, nil), "a --json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Balances []map[string]any `json:"balances"`
		Thanks   []map[string]any `json:"thanks"`
	}
	if err := json.Unmarshal(e.Stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Thanks) != 2 || got.Thanks[0]["status"] != "sent" || got.Thanks[0]["message_id"] != "<w@x>" ||
		got.Thanks[1]["status"] != "failed" || got.Thanks[1]["error"] != "550 mailbox full" {
		t.Fatalf("thanks %v", got.Thanks)
	}
	if c, ok := got.Thanks[0]["credit"].(map[string]any); !ok || c["amount"] != "10.00" || c["id"] != 1.0 {
		t.Fatalf("credit %v", got.Thanks[0]["credit"])
	}
	if len(got.Balances) != 1 || got.Balances[0]["balance"] != "10.00" {
		t.Fatalf("balances %v", got.Balances)
	}

	e.Terminal()
	e.IO.SetTerminalWidth(120)
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdShow(e.F, nil), "a"); err != nil {
		t.Fatal(err)
	}
	out := e.Stdout.String()
	for _, want := range []string{"History, newest first", "thank-you note: welcome", "Thank-you notes, newest first",
		"Welcome, Alice (+$10.00)", "550 mailbox full"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "Welcome, Alice (+$10.00)") > strings.Index(out, "550 mailbox full") {
		t.Fatalf("notes not newest first:\n%s", out)
	}

	// Someone never thanked has an empty list and says so.
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdShow(e.F, nil), "b --json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stdout.String(), `"thanks": []`) {
		t.Fatalf("json:\n%s", e.Stdout)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdShow(e.F, nil), "b"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(e.Stdout.String(), "\nNo credits yet.\n\nNo thank-you notes yet.\n") {
		t.Fatalf("show:\n%s", e.Stdout)
	}
}
