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

func issued(t *testing.T, st ledger.Store, customer string, minor int64, currency, note string) ledger.Credit {
	t.Helper()
	c, _, err := st.IssueCredit(context.Background(), ledger.NewCredit{Customer: customer, AmountMinor: minor,
		Currency: currency, Reason: "outage", Note: note, IssuedAt: clitest.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--status pending":   "--status",
		"--reason sorry":     "--reason",
		"--since yesterday":  "--since",
		"--until 2026-13-01": "--until",
		"--limit -1":         "--limit",
		"--json --csv":       "none of the others can be",
		"--customer 'a\x01'": "--customer",
		"extra":              "unknown command",
	} {
		e := clitest.New(t, nil)
		err := clitest.Run(NewCmdList(e.F, func(*ListOptions) error { return nil }), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: err = %v, want %q and exit 2", args, err, want)
		}
	}
	e := clitest.New(t, nil)
	var got *ListOptions
	err := clitest.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }), "--until 2026-11-30 --since 2026-11-01T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if got.Limit != 50 || !got.filter.Until.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) ||
		!got.filter.Since.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("filter %+v limit %d", got.filter, got.Limit)
	}
}

func TestListOutputs(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	issued(t, st, "a", 2500, "USD", "first")
	issued(t, st, "a", 2500, "JPY", "a note\twith a tab")

	run := func(args string) string {
		t.Helper()
		e.Stdout.Reset()
		if err := clitest.Run(NewCmdList(e.F, nil), args); err != nil {
			t.Fatal(err)
		}
		return e.Stdout.String()
	}
	if got, want := run(""), "2\ta\t2500\tJPY\toutage\topen\t2500\t2026-11-24T10:00:00Z\ta note with a tab\tcredit\t\t\n"+
		"1\ta\t25.00\tUSD\toutage\topen\t25.00\t2026-11-24T10:00:00Z\tfirst\tcredit\t\t\n"; got != want {
		t.Fatalf("TSV:\n%s\nwant\n%s", got, want)
	}
	if got := run("--csv --limit 1"); got != "id,customer,amount,currency,reason,status,remaining,issued_at,note,kind,gesture,incident\n"+
		"2,a,2500,JPY,outage,open,2500,2026-11-24T10:00:00Z,a note\twith a tab,credit,,\n" {
		t.Fatalf("CSV:\n%s", got)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(run("--json")), &js); err != nil || len(js) != 2 || js[1]["amount"] != "25.00" {
		t.Fatalf("JSON %v %v", js, err)
	}
	e.Terminal()
	table := run("")
	for _, want := range []string{"ID", "CUSTOMER", "AMOUNT", "REMAINING", "$25.00", "¥2,500", "first"} {
		if !strings.Contains(table, want) {
			t.Fatalf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestVoidNeedsYesOffTerminal(t *testing.T) {
	e := clitest.New(t, nil)
	err := clitest.Run(NewCmdVoid(e.F, func(*VoidOptions) error { return nil }), "1 --reason x")
	if err == nil || !strings.Contains(err.Error(), "--yes is required") {
		t.Fatalf("err %v", err)
	}
	err = clitest.Run(NewCmdVoid(e.F, func(*VoidOptions) error { return nil }), "1 --yes")
	if err == nil || !strings.Contains(err.Error(), "--reason is required") {
		t.Fatalf("err %v", err)
	}
	err = clitest.Run(NewCmdVoid(e.F, func(*VoidOptions) error { return nil }), "abc --yes --reason x")
	if err == nil || cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "not a credit id") {
		t.Fatalf("err %v", err)
	}
}

func TestVoidConfirmsOnTerminal(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
	c := issued(t, st, "a", 2500, "USD", "")
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Why void it?", Value: "typo"},
		{Title: "Void credit 1 ($25.00 left of $25.00 to a)?", Value: "n"},
	}}
	if err := clitest.Run(NewCmdVoid(e.F, nil), "1"); err == nil {
		t.Fatal("declined void succeeded")
	}
	if got, _ := st.Credit(context.Background(), c.ID); got.VoidedAt != nil {
		t.Fatal("declined void was written")
	}
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{{Title: "Void credit 1", Value: "y"}}}
	if err := clitest.Run(NewCmdVoid(e.F, nil), "1 --reason typo --json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stdout.String(), `"status": "void"`) || !strings.Contains(e.Stdout.String(), `"remaining_minor": 0`) {
		t.Fatalf("stdout %s", e.Stdout.String())
	}
	err := clitest.Run(NewCmdVoid(e.F, nil), "1 --reason again --yes")
	if err == nil || !strings.Contains(err.Error(), "already voided") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("second void: %v", err)
	}
}

func TestApplyAndBalance(t *testing.T) {
	e := clitest.New(t, nil)
	st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"}, ledger.Customer{ID: "b", Currency: "KWD"})
	issued(t, st, "a", 2500, "USD", "")
	issued(t, st, "b", 1250, "KWD", "")

	if err := clitest.Run(NewCmdApply(e.F, nil), "1 --amount 10"); err == nil || !strings.Contains(err.Error(), "--invoice is required") {
		t.Fatalf("missing invoice: %v", err)
	}
	if err := clitest.Run(NewCmdApply(e.F, nil), "1 --amount 10.00 --invoice in_1"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "$15.00 remains") {
		t.Fatalf("stderr %q", e.Stderr.String())
	}
	err := clitest.Run(NewCmdApply(e.F, nil), "1 --amount 15.01 --invoice in_2")
	if err == nil || !strings.Contains(err.Error(), "--amount: $15.01 is more than the $15.00 that remains") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("over-apply: %v", err)
	}
	if err := clitest.Run(NewCmdApply(e.F, nil), "2 --amount 1.2345 --invoice in_3"); err == nil || !strings.Contains(err.Error(), "KWD allows (3)") {
		t.Fatalf("KWD decimals: %v", err)
	}

	e.Stdout.Reset()
	if err := clitest.Run(NewCmdBalance(e.F, nil), "--csv"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "customer,currency,balance,balance_minor\na,USD,15.00,1500\nb,KWD,1.250,1250\n" {
		t.Fatalf("balance CSV:\n%s", got)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdBalance(e.F, nil), "--customer b --json"); err != nil {
		t.Fatal(err)
	}
	var bs []map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &bs); err != nil || len(bs) != 1 || bs[0]["balance"] != "1.250" || bs[0]["balance_minor"] != 1250.0 {
		t.Fatalf("balance JSON %s", e.Stdout.String())
	}
	if err := clitest.Run(NewCmdBalance(e.F, nil), "--customer nobody"); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("unknown customer: %v", err)
	}
}
