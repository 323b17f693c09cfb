package credit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/prompt/prompttest"
)

// seed adds customers to e's ledger.
func seed(t *testing.T, e *clitest.Env, customers ...ledger.Customer) ledger.Store {
	t.Helper()
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		c.CreatedAt, c.UpdatedAt = clitest.Now, clitest.Now
		if c.Period == "" {
			c.Period = "month"
		}
		if err := st.AddCustomer(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func credits(t *testing.T, st ledger.Store) []ledger.Credit {
	t.Helper()
	cs, err := st.Credits(context.Background(), ledger.CreditFilter{Now: clitest.Now})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestIssueFlags(t *testing.T) {
	tests := []struct {
		name     string
		tty      bool
		noInput  bool
		args     string
		wantErr  string
		wantOpts func(*testing.T, *IssueOptions)
	}{
		{name: "customer required off a terminal", args: "--amount 5", wantErr: "--customer is required when not running interactively"},
		{name: "amount required off a terminal", args: "--customer a", wantErr: "--amount is required when not running interactively"},
		{name: "no-input on a terminal", tty: true, noInput: true, args: "--customer a", wantErr: "--amount is required"},
		{name: "terminal may leave values out", tty: true, args: "", wantOpts: func(t *testing.T, o *IssueOptions) {
			if !o.CanPrompt || o.Customer != "" {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "every flag", args: `--customer a --amount 25.00 --currency eur --reason bug --note "n 1" --expires 90d --idempotency-key k --new-customer --json`,
			wantOpts: func(t *testing.T, o *IssueOptions) {
				if o.Customer != "a" || o.Amount != "25.00" || o.Currency != "eur" || o.Reason != "bug" || o.Note != "n 1" ||
					o.Expires != "90d" || o.IdempotencyKey != "k" || !o.NewCustomer || !o.Output.JSON || o.CanPrompt {
					t.Fatalf("opts %+v", o)
				}
				if !o.Changed("reason") || o.Changed("customer") == false {
					t.Fatal("Changed does not report given flags")
				}
			}},
		{name: "reason defaults to other", args: "--customer a --amount 1", wantOpts: func(t *testing.T, o *IssueOptions) {
			if o.Reason != "other" || o.Changed("reason") {
				t.Fatalf("reason %q changed %v", o.Reason, o.Changed("reason"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := clitest.New(t, nil)
			if tt.tty {
				e.Terminal()
			}
			e.F.Viper.Set("no_input", tt.noInput)
			var got *IssueOptions
			cmd := NewCmdIssue(e.F, func(o *IssueOptions) error { got = o; return nil })
			err := clitest.Run(cmd, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if code := cmdutil.ExitCode(err); code != 2 {
					t.Fatalf("exit code %d, want 2", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.wantOpts(t, got)
		})
	}
}

func issueWith(t *testing.T, e *clitest.Env, args string) error {
	t.Helper()
	return clitest.Run(NewCmdIssue(e.F, nil), args)
}

func TestIssuePipedPrintsID(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	if err := issueWith(t, e, "--customer a --amount 25.00 --reason outage --note down"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "1\n" {
		t.Fatalf("stdout %q, want the id alone", got)
	}
	cs := credits(t, st)
	if len(cs) != 1 || cs[0].AmountMinor != 2500 || cs[0].Currency != "USD" || cs[0].Reason != "outage" || cs[0].Note != "down" {
		t.Fatalf("recorded %+v", cs)
	}
}

func TestIssueTerminalSentenceAndJSON(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	seed(t, e, ledger.Customer{ID: "a", Name: "Alice", Currency: "JPY"})
	if err := issueWith(t, e, "--customer a --amount 2500"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "Issued credit 1: ¥2,500 to Alice (a) for other.\n" {
		t.Fatalf("stdout %q", got)
	}
	e.Stdout.Reset()
	if err := issueWith(t, e, "--customer a --amount 300 --json --expires 2027-01-31 --idempotency-key k"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": 2.0, "customer": "a", "amount": "300", "amount_minor": 300.0, "currency": "JPY",
		"reason": "other", "note": nil, "status": "open", "remaining": "300", "remaining_minor": 300.0,
		"issued_at": "2026-11-24T10:00:00Z", "expires_at": "2027-01-31T00:00:00Z", "idempotency_key": "k", "voided_at": nil,
		"kind": "credit", "gesture": nil, "incident": nil}
	if len(got) != len(want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestIssueCurrencyFallback(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "with", Currency: "EUR"}, ledger.Customer{ID: "without"})
	if err := issueWith(t, e, "--customer with --amount 1"); err != nil {
		t.Fatal(err)
	}
	err := issueWith(t, e, "--customer without --amount 1")
	if err == nil || !strings.Contains(err.Error(), "--currency") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("no currency anywhere: %v", err)
	}
	e.F.Viper.Set("currency", "gbp")
	if err := issueWith(t, e, "--customer without --amount 1"); err != nil {
		t.Fatal(err)
	}
	// Another currency than the customer's is refused unless allowed.
	err = issueWith(t, e, "--customer with --amount 1 --currency KWD")
	if err == nil || !strings.Contains(err.Error(), `--currency: KWD is not the currency of customer "with" (EUR); pass --allow-other-currency`) || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("another currency: %v", err)
	}
	if err := issueWith(t, e, "--customer with --amount 1 --currency KWD --allow-other-currency"); err != nil {
		t.Fatal(err)
	}
	if err := issueWith(t, e, "--customer with --amount 1 --currency eur"); err != nil {
		t.Fatalf("the customer's own currency, given explicitly: %v", err)
	}
	cs := credits(t, st)
	var got []string
	for _, c := range cs {
		got = append(got, c.Currency)
	}
	if strings.Join(got, ",") != "EUR,KWD,GBP,EUR" {
		t.Fatalf("currencies newest first: %v", got)
	}
}

func TestIssueBadInputWritesNothing(t *testing.T) {
	tests := []struct{ args, field string }{
		{"--customer a --amount 12.345", "--amount"},
		{"--customer a --amount 0", "--amount"},
		{"--customer a --amount -5", "--amount"},
		{"--customer a --amount 1000000000000", "--amount"},
		{"--customer a --amount 1e9", "--amount"},
		{"--customer a --amount 10.5 --currency JPY --allow-other-currency", "--amount"},
		{"--customer a --amount 10 --currency JPY", "--currency"},
		{"--customer a --amount 1 --currency XYZ", "--currency"},
		{"--customer a --amount 1 --reason sorry", "--reason"},
		{"--customer a --amount 1 --expires 2027-02-30", "--expires"},
		{"--customer a --amount 1 --expires 2020-01-01", "--expires"},
		{"--customer a --amount 1 --note " + strings.Repeat("x", 2001), "--note"},
		{"--customer 'a\x07b' --amount 1", "--customer"},
		{"--customer nobody --amount 1", "makegood customer add nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			e := clitest.New(t, nil)
			st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
			err := issueWith(t, e, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want it to name %s", err, tt.field)
			}
			if code := cmdutil.ExitCode(err); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if cs := credits(t, st); len(cs) != 0 {
				t.Fatalf("wrote %d credits", len(cs))
			}
			if cs, _ := st.Customers(context.Background()); len(cs) != 1 {
				t.Fatalf("customers now %d", len(cs))
			}
		})
	}
}

func TestIssueNewCustomerFlag(t *testing.T) {
	e := clitest.New(t, nil)
	e.F.Viper.Set("currency", "USD")
	st := seed(t, e)
	if err := issueWith(t, e, "--customer fresh --amount 5 --new-customer"); err != nil {
		t.Fatal(err)
	}
	c, err := st.Customer(context.Background(), "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if cs := credits(t, st); len(cs) != 1 || cs[0].Customer != c.ID {
		t.Fatalf("credits %+v", cs)
	}
}

func TestIssueInteractiveForm(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	st := seed(t, e, ledger.Customer{ID: "a", Name: "Alice", Currency: "USD"}, ledger.Customer{ID: "b", Currency: "KWD"})
	p := &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer", Value: "b"},
		{Title: "Amount in KWD", Value: "1.250"},
		{Title: "Reason", Value: "bug"},
		{Title: "Note", Value: "export broke"},
		{Title: "Expires", Value: "2027-01-31"},
		{Title: "Issue this credit?", Value: "y"},
	}}
	e.F.Prompter = p
	if err := issueWith(t, e, ""); err != nil {
		t.Fatalf("%v (asked %q)", err, p.Asked)
	}
	cs := credits(t, st)
	if len(cs) != 1 || cs[0].Customer != "b" || cs[0].AmountMinor != 1250 || cs[0].Reason != "bug" || cs[0].Note != "export broke" ||
		cs[0].ExpiresAt == nil || cs[0].ExpiresAt.Format("2006-01-02") != "2027-01-31" {
		t.Fatalf("recorded %+v", cs)
	}
	want := []string{"Step 1 of 4 · Customer", "Step 2 of 4 · Amount · b", "Step 3 of 4 · Details", "Step 4 of 4 · Confirm"}
	if strings.Join(p.Steps, "|") != strings.Join(want, "|") {
		t.Fatalf("steps %q", p.Steps)
	}
	// The confirm step shows everything that will be written.
	summary := strings.Join(p.Notes, "\n")
	for _, line := range []string{"Customer:  b", "Amount:    KWD 1.250", "Reason:    bug", "Note:      export broke",
		"Expires:   2027-01-31", "Incident:  none"} {
		if !strings.Contains(summary, line) {
			t.Errorf("the confirm step lacks %q:\n%s", line, summary)
		}
	}
	if len(p.Answers) != 0 {
		t.Fatalf("unasked: %+v", p.Answers)
	}
}

func TestIssueInteractiveAmountValidation(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer", Value: "a"},
		{Title: "Amount", Value: "12.345"}, // the validator must refuse it
	}}
	err := issueWith(t, e, "")
	if err == nil || !strings.Contains(err.Error(), "more decimals than USD allows") {
		t.Fatalf("err = %v, want the amount validator's message", err)
	}
}

func TestIssueInteractiveDeclineWritesNothing(t *testing.T) {
	for _, last := range []prompttest.Answer{{Title: "Issue", Value: "n"}, {Title: "Issue", Abort: true}} {
		e := clitest.New(t, nil)
		e.Terminal()
		st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
			{Title: "Amount", Value: "5"}, {Title: "Reason", Value: "bug"}, {Title: "Note", Value: ""}, {Title: "Expires", Value: ""}, last,
		}}
		err := issueWith(t, e, "--customer a")
		if !errors.Is(err, prompt.ErrAborted) || cmdutil.ExitCode(err) != 1 {
			t.Fatalf("err = %v", err)
		}
		if cs := credits(t, st); len(cs) != 0 {
			t.Fatalf("wrote %+v", cs)
		}
	}
}

func TestIssueInteractiveOffersToAddUnknownCustomer(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	e.F.Viper.Set("currency", "EUR")
	st := seed(t, e)
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: `Customer "zoe" is not in the ledger. Add it?`, Value: "y"},
		{Title: "Name", Value: "Zoe"},
		{Title: "Add customer zoe and issue €10.00 for outage?", Value: "y"},
	}}
	if err := issueWith(t, e, "--customer zoe --amount 10 --reason outage --note x"); err != nil {
		t.Fatal(err)
	}
	c, err := st.Customer(context.Background(), "zoe")
	if err != nil || c.Name != "Zoe" {
		t.Fatalf("customer %+v %v", c, err)
	}
	if cs := credits(t, st); len(cs) != 1 {
		t.Fatalf("credits %+v", cs)
	}
}

func TestIssueIdempotentReplay(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	for range 2 {
		e.Stdout.Reset()
		if err := issueWith(t, e, "--customer a --amount 5 --idempotency-key k1"); err != nil {
			t.Fatal(err)
		}
		if e.Stdout.String() != "1\n" {
			t.Fatalf("stdout %q", e.Stdout.String())
		}
	}
	if !strings.Contains(e.Stderr.String(), `already recorded with idempotency key "k1"`) {
		t.Fatalf("stderr %q", e.Stderr.String())
	}
	err := issueWith(t, e, "--customer a --amount 6 --idempotency-key k1")
	if err == nil || !strings.Contains(err.Error(), `"k1"`) || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("err %v", err)
	}
	if cs := credits(t, st); len(cs) != 1 {
		t.Fatalf("credits %d", len(cs))
	}
}

// Flags given at a terminal are checked before the form asks anything, so a
// typo is reported at once rather than after the operator filled the form.
func TestIssueChecksGivenFlagsBeforePrompting(t *testing.T) {
	for args, field := range map[string]string{
		"--expires 2027-02-30":                "--expires",
		"--reason sorry":                      "--reason",
		"--idempotency-key 'a\x01b'":          "--idempotency-key",
		"--note " + strings.Repeat("n", 2001): "--note",
	} {
		e := clitest.New(t, nil)
		e.Terminal()
		seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		p := &prompttest.Prompter{}
		e.F.Prompter = p
		err := issueWith(t, e, args)
		if err == nil || !strings.HasPrefix(err.Error(), field+":") || len(p.Asked) != 0 {
			t.Errorf("%s: err = %v after asking %q; want a %s error before any question", field, err, p.Asked, field)
		}
	}
}
