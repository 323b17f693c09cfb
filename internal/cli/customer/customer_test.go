package customer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt/prompttest"
)

func store(t *testing.T, e *clitest.Env) ledger.Store {
	t.Helper()
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAddFlags(t *testing.T) {
	e := clitest.New(t, nil)
	err := clitest.Run(NewCmdAdd(e.F, func(*AddOptions) error { return nil }), "--name x")
	if err == nil || !strings.Contains(err.Error(), "ID argument is required when not running interactively") {
		t.Fatalf("err %v", err)
	}
	var got *AddOptions
	err = clitest.Run(NewCmdAdd(e.F, func(o *AddOptions) error { got = o; return nil }),
		"cus_1 --name 'A B' --tag vip --tag early --advocate 4 --period year")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "cus_1" || got.Fields.Name != "A B" || strings.Join(got.Fields.Tags, ",") != "vip,early" ||
		got.Fields.Advocate != 4 || got.Fields.Period != "year" || !got.Changed("tag") || got.Changed("email") {
		t.Fatalf("opts %+v", got)
	}
}

func TestAddEveryField(t *testing.T) {
	e := clitest.New(t, nil)
	err := clitest.Run(NewCmdAdd(e.F, nil), "alice@example.com --name 'Alice Liddell' --email alice@example.com "+
		"--plan pro --price 49.00 --currency usd --period year --since 2023-11-20 --locale pt-br --tag vip --tag vip --tag beta --advocate 3 --json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "alice@example.com", "name": "Alice Liddell", "email": "alice@example.com", "plan": "pro",
		"price": "49.00", "price_minor": 4900.0, "currency": "USD", "period": "year", "since": "2023-11-20",
		"locale": "pt-BR", "advocate": 3.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if tags, _ := got["tags"].([]any); len(tags) != 2 || tags[0] != "vip" || tags[1] != "beta" {
		t.Errorf("tags = %v", got["tags"])
	}
	if v, ok := got["stripe_id"]; !ok || v != nil {
		t.Errorf("stripe_id = %#v, want null", v)
	}
	if len(got) != 13 {
		t.Errorf("keys %d, want 13: %v", len(got), got)
	}
}

func TestAddBadInput(t *testing.T) {
	for args, field := range map[string]string{
		"'bad\x1bid'":                          "ID",
		"a --email 'not an address'":           "--email",
		"a --price 49.999 --currency USD":      "--price",
		"a --price 49":                         "--price",
		"a --currency dollars":                 "--currency",
		"a --period week":                      "--period",
		"a --since 2023-02-30":                 "--since",
		"a --locale 'x y'":                     "--locale",
		"a --advocate 11":                      "--advocate",
		"a --tag 'a,b'":                        "--tag",
		"a --name 'two\nlines'":                "--name",
		"a --name " + strings.Repeat("n", 501): "--name",
	} {
		e := clitest.New(t, nil)
		err := clitest.Run(NewCmdAdd(e.F, nil), args)
		if err == nil || !strings.Contains(err.Error(), field) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: err = %v, want it to name %s with exit 2", args, err, field)
			continue
		}
		if cs, _ := store(t, e).Customers(context.Background()); len(cs) != 0 {
			t.Errorf("%q wrote %v", args, cs)
		}
	}
}

func TestAddDuplicateIsConflict(t *testing.T) {
	e := clitest.New(t, nil)
	if err := clitest.Run(NewCmdAdd(e.F, nil), "a"); err != nil {
		t.Fatal(err)
	}
	err := clitest.Run(NewCmdAdd(e.F, nil), "a --name other")
	if err == nil || !strings.Contains(err.Error(), "customer edit") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("err %v", err)
	}
}

func TestAddInteractiveAsksForID(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{
		{Title: "Customer ID", Value: "bob"}, {Title: "Name", Value: "Bob"}, {Title: "Email", Value: "bob@example.com"},
	}}
	if err := clitest.Run(NewCmdAdd(e.F, nil), "--currency EUR"); err != nil {
		t.Fatal(err)
	}
	c, err := store(t, e).Customer(context.Background(), "bob")
	if err != nil || c.Name != "Bob" || c.Email != "bob@example.com" || c.Currency != "EUR" {
		t.Fatalf("%+v %v", c, err)
	}
	if e.Stdout.String() != "Added customer Bob (bob).\n" {
		t.Fatalf("stdout %q", e.Stdout.String())
	}
}

func TestEditChangesOnlyGivenFields(t *testing.T) {
	e := clitest.New(t, nil)
	if err := clitest.Run(NewCmdAdd(e.F, nil), "a --name Alice --plan pro --price 10 --currency USD --tag x"); err != nil {
		t.Fatal(err)
	}
	if err := clitest.Run(NewCmdEdit(e.F, nil), "a"); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("edit without fields: %v", err)
	}
	if err := clitest.Run(NewCmdEdit(e.F, nil), "a --plan team --price 99.50 --tag y"); err != nil {
		t.Fatal(err)
	}
	c, err := store(t, e).Customer(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Alice" || c.Plan != "team" || c.PriceMinor != 9950 || c.Currency != "USD" || strings.Join(c.Tags, ",") != "y" {
		t.Fatalf("after edit %+v", c)
	}
	if err := clitest.Run(NewCmdEdit(e.F, nil), "nobody --plan x"); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("edit unknown: %v", err)
	}
}

func TestListAndShow(t *testing.T) {
	e := clitest.New(t, nil)
	for _, args := range []string{"b --name Bob --price 100 --currency JPY", "a --name Alice --price 49 --currency USD --since 2023-11-20 --tag vip"} {
		if err := clitest.Run(NewCmdAdd(e.F, nil), args); err != nil {
			t.Fatal(err)
		}
	}
	st := store(t, e)
	c, _, err := st.IssueCredit(context.Background(), ledger.NewCredit{Customer: "a", AmountMinor: 2500, Currency: "USD",
		Reason: "outage", Note: "down", IssuedAt: clitest.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ApplyCredit(context.Background(), ledger.Apply{Credit: c.ID, AmountMinor: 500, Invoice: "in_7", At: clitest.Now.Add(1)}); err != nil {
		t.Fatal(err)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdList(e.F, nil), "--csv"); err != nil {
		t.Fatal(err)
	}
	if got := e.Stdout.String(); got != "id,name,email,plan,price,currency,period,since,tags,advocate,locale,stripe_id\n"+
		"a,Alice,,,49.00,USD,month,2023-11-20,vip,0,,\nb,Bob,,,100,JPY,month,,,0,,\n" {
		t.Fatalf("list CSV:\n%s", got)
	}
	e.Stdout.Reset()
	if err := clitest.Run(NewCmdShow(e.F, nil), "a --json"); err != nil {
		t.Fatal(err)
	}
	var got ShowJSON
	if err := json.Unmarshal(e.Stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "a" || len(got.Balances) != 1 || got.Balances[0].Balance != "20.00" || len(got.History) != 2 ||
		got.History[0].Kind != "apply" || got.History[0].Amount == nil || *got.History[0].Amount != "-5.00" || got.History[1].Kind != "issue" {
		t.Fatalf("show JSON %+v", got)
	}
	e.Stdout.Reset()
	e.Terminal()
	if err := clitest.Run(NewCmdShow(e.F, nil), "a"); err != nil {
		t.Fatal(err)
	}
	out := e.Stdout.String()
	for _, want := range []string{"Alice", "$49.00/month", "balance:   $20.00", "History, newest first", "in_7", "-$5.00"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show lacks %q:\n%s", want, out)
		}
	}
	if err := clitest.Run(NewCmdShow(e.F, nil), "zzz"); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("show unknown: %v", err)
	}
}
