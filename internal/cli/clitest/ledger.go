package clitest

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
)

// Seed opens e's ledger and adds customers to it, created at Now, billed
// monthly unless they say otherwise.
func Seed(t *testing.T, e *Env, customers ...ledger.Customer) ledger.Store {
	t.Helper()
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		c.CreatedAt, c.UpdatedAt = Now, Now
		if c.Period == "" {
			c.Period = ledger.PeriodMonth
		}
		if err := st.AddCustomer(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// UsageErrors runs each argument line against a command built on a fresh
// Factory and checks that it fails with exit status 2 and an error that
// contains the wanted text. build gets a runF-free command where the test
// wants flag checks only, or a real one where the check happens at run time.
func UsageErrors(t *testing.T, build func(*cmdutil.Factory) *cobra.Command, cases map[string]string) {
	t.Helper()
	for args, want := range cases {
		e := New(t, nil)
		err := Run(build(e.F), args)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%s: err = %v (exit %d), want %q and exit 2", args, err, cmdutil.ExitCode(err), want)
		}
	}
}
