package stripe

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe/stripetest"
)

const key = "sk_test_51CommandTestKeyNeverShown000"

func TestFlags(t *testing.T) {
	e := clitest.New(t, nil)
	var got *PushOptions
	cmd := NewCmdPush(e.F, func(o *PushOptions) error { got = o; return nil })
	if err := clitest.Run(cmd, "--customer cus_A --dry-run --json"); err != nil {
		t.Fatal(err)
	}
	if got.Customer != "cus_A" || !got.DryRun || !got.Output.JSON {
		t.Errorf("options = %+v", got)
	}
	for _, args := range []string{"--api-key sk_test_x", "--key x", "extra"} {
		err := clitest.Run(NewCmdPush(e.F, func(*PushOptions) error { return nil }), args)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("push %s: %v, want a usage error", args, err)
		}
	}
	var pull *PullOptions
	if err := clitest.Run(NewCmdPull(e.F, func(o *PullOptions) error { pull = o; return nil }), "--since 2026-11-01T00:00:00Z --json"); err != nil {
		t.Fatal(err)
	}
	if pull.Since != "2026-11-01T00:00:00Z" || !pull.Output.JSON {
		t.Errorf("pull options = %+v", pull)
	}
	err := clitest.Run(NewCmdPull(e.F, func(*PullOptions) error { return nil }), "--since yesterday")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--since") {
		t.Errorf("pull --since yesterday: %v", err)
	}
	var imp *CustomersImportOptions
	if err := clitest.Run(NewCmdCustomersImport(e.F, func(o *CustomersImportOptions) error { imp = o; return nil }), "--dry-run"); err != nil || !imp.DryRun {
		t.Errorf("customers import --dry-run: %+v, %v", imp, err)
	}
}

func TestConfigKeyPrecedence(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		file string
		want string
	}{
		{map[string]string{"MAKEGOOD_STRIPE_API_KEY": "sk_a", "STRIPE_API_KEY": "sk_b"}, "sk_c", "sk_a"},
		{map[string]string{"STRIPE_API_KEY": "sk_b"}, "sk_c", "sk_b"},
		{nil, "sk_c", "sk_c"},
	} {
		e := clitest.New(t, tc.env)
		e.F.Viper.Set("stripe.api_key", tc.file)
		cfg, err := Config(e.F)
		if err != nil || cfg.APIKey != tc.want {
			t.Errorf("%v: key %q, %v; want %q", tc.env, cfg.APIKey, err, tc.want)
		}
	}
	e := clitest.New(t, nil)
	for setting, value := range map[string]string{"stripe.api_base": "ftp://x", "stripe.timeout": "soon", "stripe.max_retries": "-3"} {
		e.F.Viper.Set(setting, value)
		_, err := Config(e.F)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), setting) {
			t.Errorf("%s=%s: %v", setting, value, err)
		}
		e.F.Viper.Set(setting, "")
	}
	_, err := Syncer(e.F)(context.Background())
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "STRIPE_API_KEY") {
		t.Errorf("no key: %v", err)
	}
}

func TestPushJSON(t *testing.T) {
	fake := stripetest.New(t)
	fake.Key = key
	fake.AddCustomer("cus_A", "a@example.com", "A", time.Now(), "jpy")
	e := clitest.New(t, map[string]string{"STRIPE_API_KEY": key})
	e.F.Viper.Set("stripe.api_base", fake.URL)
	ctx := context.Background()
	st, err := e.F.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddCustomer(ctx, ledger.Customer{ID: "cus_A", Currency: "JPY", Period: "month", CreatedAt: clitest.Now, UpdatedAt: clitest.Now}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "cus_A", AmountMinor: 1500, Currency: "JPY", Reason: "outage",
		IssuedAt: clitest.Now}); err != nil {
		t.Fatal(err)
	}
	if err := clitest.Run(NewCmdPush(e.F, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Stdout.String(), key) || strings.Contains(e.Stderr.String(), key) {
		t.Fatal("the key was printed")
	}
	var out map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	pushes := out["pushes"].([]any)
	p := pushes[0].(map[string]any)
	want := map[string]any{"credit_id": 1.0, "customer": "cus_A", "stripe_customer": "cus_A", "kind": "credit", "amount": "-1500",
		"amount_minor": -1500.0, "currency": "JPY", "stripe_amount": -1500.0, "how": "sent"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	for _, k := range []string{"description", "idempotency_key", "transaction_id"} {
		if s, _ := p[k].(string); s == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if out["dry_run"] != false || len(out["problems"].([]any)) != 0 {
		t.Errorf("out = %v", out)
	}
}
