package thanks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/ledger"
)

func TestListFlags(t *testing.T) {
	for _, tt := range []struct{ args, wantErr string }{
		{"--occasion birthday", `--occasion: unknown occasion "birthday"`},
		{"--limit -1", "--limit: must not be negative"},
		{"--customer ' x'", "--customer: must not start or end with spaces"},
		{"--json --csv", "none of the others can be"},
	} {
		e := newEnv(t)
		wantExit(t, clitest.Run(NewCmdList(e.F, func(*ListOptions) error { return nil }), tt.args), 2, tt.wantErr)
	}
	e := newEnv(t)
	var got *ListOptions
	if err := clitest.Run(NewCmdList(e.F, func(o *ListOptions) error { got = o; return nil }),
		"--customer a --occasion 'milestone:10k  Customers' --limit 3 --csv"); err != nil {
		t.Fatal(err)
	}
	if got.filter != (ledger.ThanksFilter{Customer: "a", Occasion: "milestone", Key: "milestone:10k customers", Limit: 3}) || !got.Output.CSV {
		t.Fatalf("filter %+v", got.filter)
	}
}

func list(e *clitest.Env, args string) error {
	e.Stdout.Reset()
	e.Stderr.Reset()
	return clitest.Run(NewCmdList(e.F, nil), args)
}

func TestListHistory(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, cy)
	for _, n := range []ledger.NewThankYouNote{
		{Customer: "ana", Occasion: "anniversary", Key: "anniversary:3", Via: "smtp", Status: "failed", Error: "550 no such user", Subject: "3 years", At: clitest.Now},
		{Customer: "ana", Occasion: "anniversary", Key: "anniversary:3", Via: "smtp", Status: "sent", MessageID: "<m1@x>", Subject: "3 years", At: clitest.Now,
			Credit: &ledger.NewCredit{Customer: "ana", AmountMinor: 500, Currency: "USD", Reason: "goodwill", IssuedAt: clitest.Now}},
		{Customer: "cy", Occasion: "milestone", Key: "milestone:launch", Via: "print", Status: "sent", Subject: "launch", At: clitest.Now},
	} {
		if _, err := st.RecordThankYou(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	if err := list(e, ""); err != nil {
		t.Fatal(err)
	}
	want := "3\tcy\tmilestone\tmilestone:launch\tprint\tsent\t\t\t2026-11-24T10:00:00Z\tlaunch\n" +
		"2\tana\tanniversary\tanniversary:3\tsmtp\tsent\t<m1@x>\t1\t2026-11-24T10:00:00Z\t3 years (+$5.00)\n" +
		"1\tana\tanniversary\tanniversary:3\tsmtp\tfailed\t\t\t2026-11-24T10:00:00Z\t550 no such user\n"
	if e.Stdout.String() != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", e.Stdout, want)
	}
	if err := list(e, "--customer ana --limit 1 --csv"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "id,customer,occasion,key,via,status,message_id,credit_id,at,detail\n2,ana,anniversary,anniversary:3,smtp,sent,<m1@x>,1,2026-11-24T10:00:00Z,3 years (+$5.00)\n" {
		t.Fatalf("csv:\n%s", got)
	}
	if err := list(e, "--occasion milestone:Launch --json"); err != nil {
		t.Fatal(err)
	}
	var got []view.ThankYouNote
	decodeJSON(t, e.Stdout.String(), &got)
	if len(got) != 1 || got[0].ID == nil || *got[0].ID != 3 || got[0].Via != "print" || got[0].MessageID != nil || got[0].Credit != nil {
		t.Fatalf("json %+v", got)
	}
	if err := list(e, "--occasion anniversary --json"); err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	decodeJSON(t, e.Stdout.String(), &raw)
	if len(raw) != 2 || strings.Join(keys(raw[0]), ",") != "at,credit,customer,error,id,key,message_id,occasion,status,subject,via" {
		t.Fatalf("json %v", raw)
	}
	credit := raw[0]["credit"].(map[string]any)
	if credit["id"] != 1.0 || credit["amount"] != "5.00" || credit["amount_minor"] != 500.0 || credit["currency"] != "USD" {
		t.Fatalf("credit %v", credit)
	}
	if raw[1]["error"] != "550 no such user" || raw[1]["status"] != "failed" || raw[1]["credit"] != nil {
		t.Fatalf("failed note %v", raw[1])
	}

	e.Terminal()
	e.IO.SetTerminalWidth(120)
	if err := list(e, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CUSTOMER", "OCCASION", "anniversary:3", "550 no such user", "3 years (+$5.00)"} {
		if !strings.Contains(e.Stdout.String(), want) {
			t.Fatalf("table lacks %q:\n%s", want, e.Stdout)
		}
	}
	if err := list(e, "--customer nobody"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("--customer nobody: %v, want not found", err)
	}
	if err := list(e, "--customer cy --occasion welcome"); err != nil {
		t.Fatal(err)
	}
	if e.Stderr.String() != "No thank-you notes match.\n" {
		t.Fatalf("stderr %q", e.Stderr)
	}
}
