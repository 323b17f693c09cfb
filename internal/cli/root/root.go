// Package root assembles the makegood command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/apology"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/credit"
	"github.com/makegood/makegood/internal/cli/customer"
	"github.com/makegood/makegood/internal/cli/db"
	"github.com/makegood/makegood/internal/cli/export"
	"github.com/makegood/makegood/internal/cli/goodwill"
	"github.com/makegood/makegood/internal/cli/incident"
	reportcmd "github.com/makegood/makegood/internal/cli/report"
	"github.com/makegood/makegood/internal/cli/resolve"
	"github.com/makegood/makegood/internal/cli/thanks"
	"github.com/makegood/makegood/internal/cli/version"
)

const long = `makegood keeps a local ledger of what you give customers when something goes
wrong for them — credits toward their next invoice — and helps you apologize,
fix and make good.

Every command works at a terminal, where missing values are asked for, and
from scripts with flags alone (--no-input, or MAKEGOOD_NO_INPUT=1, or when
stdin/stdout is not a terminal). Data goes to stdout, messages to stderr.

Configuration, highest precedence first: flags, MAKEGOOD_* environment
variables (MAKEGOOD_DB, MAKEGOOD_CURRENCY, …), the config file
($XDG_CONFIG_HOME/makegood/config.yaml or --config), defaults. The ledger
defaults to $XDG_DATA_HOME/makegood/ledger.db.

Exit status:
  0  success
  1  failure at run time (database, network, cancelled)
  2  usage error or invalid input; nothing was written`

// NewCmdRoot builds the command tree on f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "makegood <command>",
		Short:         "Apologize, fix, and make good: a credit ledger for subscription founders",
		Long:          long,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version.String(f.Version, f.Commit),
	}
	cmd.SetVersionTemplate("makegood {{.Version}}\n")
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })

	pf := cmd.PersistentFlags()
	pf.String("db", "", "Ledger file (env MAKEGOOD_DB; default $XDG_DATA_HOME/makegood/ledger.db)")
	pf.String("config", "", "Config file (env MAKEGOOD_CONFIG; default $XDG_CONFIG_HOME/makegood/config.yaml)")
	pf.Bool("no-input", false, "Never prompt; a missing value is an error (env MAKEGOOD_NO_INPUT)")
	for key, flag := range map[string]string{"db": "db", "config": "config", "no_input": "no-input"} {
		// BindPFlag only fails for a nil flag, which would be a bug here.
		if err := f.Viper.BindPFlag(key, pf.Lookup(flag)); err != nil {
			panic(err)
		}
	}

	cmd.AddCommand(
		customer.NewCmdCustomer(f),
		credit.NewCmdCredit(f),
		goodwill.NewCmdGoodwill(f),
		incident.NewCmdIncident(f),
		apology.NewCmdApology(f),
		thanks.NewCmdThanks(f),
		resolve.NewCmdResolve(f, nil),
		reportcmd.NewCmdReport(f, nil),
		export.NewCmdExport(f, nil),
		db.NewCmdDB(f),
		version.NewCmdVersion(f),
	)
	rejectUnknownSubcommands(cmd)
	return cmd
}

// rejectUnknownSubcommands makes each noun (a command that only groups
// verbs) fail on an unknown verb. cobra checks this only on the root, so
// `makegood credit isue` would otherwise print help and exit 0, and a
// script would carry on as if the credit had been issued.
func rejectUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if sub.HasSubCommands() && !sub.Runnable() {
			sub.Args = cobra.NoArgs
			sub.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		rejectUnknownSubcommands(sub)
	}
}

// Main runs makegood with the process's arguments and returns the exit
// status.
func Main(ver, commit string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f := cmdutil.New(ver, commit)
	cmd := NewCmdRoot(f)
	err := cmd.ExecuteContext(ctx)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close ledger: %w", cerr)
	}
	return report(f, cmd, err)
}

func report(f *cmdutil.Factory, cmd *cobra.Command, err error) int {
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	var ec *cmdutil.ExitCodeError
	if errors.Is(err, cmdutil.SilentError) || errors.As(err, &ec) {
		return code
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "makegood: %v\n", err)
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) || cmdutil.IsCobraUsageError(err) {
		path := cmd.CommandPath()
		if c, _, ferr := cmd.Find(os.Args[1:]); ferr == nil && c != nil {
			path = c.CommandPath()
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "Run '%s --help' for usage.\n", path)
	}
	return code
}
