// Package stripe implements `makegood stripe`: customers from Stripe's API,
// credits pushed as Customer Balance Transactions, what invoices used pulled
// back, and a status that compares the two.
package stripe

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/pkg/money"
)

const long = `Keep makegood's credits and Stripe's customer balances in step.

A credit reaches the customer's next invoice as a Customer Balance
Transaction: push sends each open credit (and the reversal of a pushed
credit that was voided or expired) with a fixed Idempotency-Key, so nothing
is ever pushed twice; pull brings back what invoices used as apply entries;
status compares the balances and explains any difference.

The API key comes from STRIPE_API_KEY (or MAKEGOOD_STRIPE_API_KEY, or
stripe.api_key in the config file), never from a flag, and is never printed.
A restricted key needs Customers: write (balance transactions) and
Subscriptions: read. stripe.api_base (MAKEGOOD_STRIPE_API_BASE) points makegood
at another server, such as stripe-mock; stripe.timeout (default 30s) bounds
each attempt and stripe.max_retries (default 3) the retries of a 429, a 5xx
or a network failure, each with the same Idempotency-Key.`

// NewCmdStripe builds `makegood stripe` and its verbs.
func NewCmdStripe(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stripe <command>",
		Short: "Push credits to Stripe and pull back what invoices used",
		Long:  long,
		Example: `  makegood stripe customers import
  makegood stripe push
  makegood stripe pull
  makegood stripe status`,
	}
	customers := &cobra.Command{Use: "customers <command>", Short: "Customers from Stripe"}
	customers.AddCommand(NewCmdCustomersImport(f, nil))
	cmd.AddCommand(customers, NewCmdPush(f, nil), NewCmdPull(f, nil), NewCmdStatus(f, nil))
	return cmd
}

// Syncer opens the ledger and the Stripe client for a command.
func Syncer(f *cmdutil.Factory) func(context.Context) (*stripe.Sync, error) {
	return func(ctx context.Context) (*stripe.Sync, error) {
		cfg, err := Config(f)
		if err != nil {
			return nil, err
		}
		api, err := stripe.NewClient(cfg)
		if err != nil {
			return nil, cmdutil.FlagErrorf("%v", err)
		}
		st, err := f.Store(ctx)
		if err != nil {
			return nil, err
		}
		l, ok := st.(stripe.Ledger)
		if !ok {
			return nil, fmt.Errorf("this ledger's engine cannot sync with Stripe")
		}
		return &stripe.Sync{Ledger: l, API: api, Now: f.Now}, nil
	}
}

// Config reads the Stripe settings. The key is looked up, in order, in
// MAKEGOOD_STRIPE_API_KEY, STRIPE_API_KEY (the Stripe CLI's variable) and
// stripe.api_key in the config file. Errors name the setting, never the
// key.
func Config(f *cmdutil.Factory) (stripe.Config, error) {
	v, err := f.Config()
	if err != nil {
		return stripe.Config{}, err
	}
	getenv := f.Getenv
	key := getenv("MAKEGOOD_STRIPE_API_KEY")
	if key == "" {
		key = getenv("STRIPE_API_KEY")
	}
	if key == "" {
		key = v.GetString("stripe.api_key")
	}
	cfg := stripe.Config{APIKey: strings.TrimSpace(key), APIBase: strings.TrimSpace(v.GetString("stripe.api_base"))}
	if cfg.APIBase != "" && !strings.HasPrefix(cfg.APIBase, "http://") && !strings.HasPrefix(cfg.APIBase, "https://") {
		return cfg, cmdutil.FlagErrorf("config: stripe.api_base %q is not an http:// or https:// URL", cfg.APIBase)
	}
	if s := strings.TrimSpace(v.GetString("stripe.timeout")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return cfg, cmdutil.FlagErrorf("config: stripe.timeout %q is not a duration such as 30s", s)
		}
		cfg.Timeout = d
	}
	if s := strings.TrimSpace(v.GetString("stripe.max_retries")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 10 {
			return cfg, cmdutil.FlagErrorf("config: stripe.max_retries %q is not a number from 0 to 10", s)
		}
		cfg.MaxRetries = n
		if n == 0 {
			cfg.MaxRetries = -1
		}
	}
	return cfg, nil
}

// jsonMoney is money in the JSON of every stripe command.
func amountJSON(minor int64, currency string) string { return money.DecimalString(minor, currency) }

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return ledger.ParseTime("--since", s)
}
