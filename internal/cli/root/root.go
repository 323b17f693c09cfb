// Package root assembles the makegood command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"

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
	stripecmd "github.com/makegood/makegood/internal/cli/stripe"
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

// command is one command below the root, built when it is needed.
type command struct {
	name  string // its Use's first word (TestCommandsAreNamed)
	build func(*cmdutil.Factory) *cobra.Command
}

// commands are the root's commands (help lists them sorted).
func commands() []command {
	return []command{
		{"customer", customer.NewCmdCustomer},
		{"credit", credit.NewCmdCredit},
		{"goodwill", goodwill.NewCmdGoodwill},
		{"incident", incident.NewCmdIncident},
		{"apology", apology.NewCmdApology},
		{"thanks", thanks.NewCmdThanks},
		{"resolve", func(f *cmdutil.Factory) *cobra.Command { return resolve.NewCmdResolve(f, nil) }},
		{"stripe", stripecmd.NewCmdStripe},
		{"report", func(f *cmdutil.Factory) *cobra.Command { return reportcmd.NewCmdReport(f, nil) }},
		{"export", func(f *cmdutil.Factory) *cobra.Command { return export.NewCmdExport(f, nil) }},
		{"db", db.NewCmdDB},
		{"version", version.NewCmdVersion},
	}
}

// NewCmdRoot builds the whole command tree on f.
//
// Only the whole tree has the root's --version: it is the root's own
// flag, not inherited, so cobra can reach it only when no command is
// named, and that is when newCmdRootFor builds the whole tree. Working
// out the version line costs a runtime/debug.ReadBuildInfo (parsing the
// list of every module linked in) in builds without the release ldflags,
// which the command trees of `credit list` and the like need not pay.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := newRoot(f, commands())
	cmd.Version = version.String(f.Version, f.Commit)
	return cmd
}

// newCmdRootFor builds the tree for running args: when their first word
// names one of the root's commands, the root with that command alone
// (the root's flags and settings, and the command's whole subtree),
// which is all that parsing and running args can reach; otherwise
// (help, completion, a word that names no command, no word at all) the
// whole tree. Building the forty-odd commands and their flags was about
// a twentieth of a command's start-up, and a command uses one.
func newCmdRootFor(f *cmdutil.Factory, args []string) *cobra.Command {
	word := firstWord(args)
	for _, c := range commands() {
		if c.name == word {
			return newRoot(f, []command{c})
		}
	}
	return NewCmdRoot(f)
}

// firstWord is the first argument that is not a root flag or its value,
// as cobra finds the command: the root's flags that take a value (--db,
// --config) take the next argument unless written --flag=value.
func firstWord(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case a == "--db" || a == "--config":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

// newRoot builds the root with cmds below it.
func newRoot(f *cmdutil.Factory, cmds []command) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "makegood <command>",
		Short:         "Apologize, fix, and make good: a credit ledger for subscription founders",
		Long:          long,
		SilenceErrors: true,
		SilenceUsage:  true,
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

	for _, c := range cmds {
		cmd.AddCommand(c.build(f))
	}
	rejectUnknownSubcommands(cmd)
	requireIDs(cmd, f)
	completeFlags(cmd, f)
	return cmd
}

// rejectUnknownSubcommands makes each noun (a command that only groups
// verbs) fail on an unknown verb, with cobra's "Did you mean this?". cobra
// checks this only on the root, so `makegood credit isue` would otherwise
// print help and exit 0, and a script would carry on as if the credit had
// been issued.
func rejectUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if sub.HasSubCommands() && !sub.Runnable() {
			sub.SuggestionsMinimumDistance = 2
			sub.Args = unknownVerb
			sub.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		rejectUnknownSubcommands(sub)
	}
}

// unknownVerb words the error the way cobra does for the root.
func unknownVerb(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return cmdutil.FlagErrorf("%s", msg)
}

// idArg is what the one argument of a command is, to say it is missing
// ("credit show: missing credit id") and to complete it.
type idArg struct {
	what     string
	complete cmdutil.Completer
}

// idArgs is every command that takes an id (or a file) as its argument,
// by path below the root. TestEveryArgumentIsNamed checks none is missing.
func idArgs() map[string]idArg {
	return map[string]idArg{
		"credit show":     {"credit id", cmdutil.CompleteCredits},
		"credit void":     {"credit id", cmdutil.CompleteOpenCredits},
		"credit apply":    {"credit id", cmdutil.CompleteOpenCredits},
		"customer show":   {"customer id", cmdutil.CompleteCustomers},
		"customer edit":   {"customer id", cmdutil.CompleteCustomers},
		"customer import": {"file to import (- for stdin)", nil},
		"incident show":   {"incident id", cmdutil.CompleteIncidents},
		"incident fix":    {"incident id", cmdutil.CompleteIncidents},
		"apology send":    {"apology id", cmdutil.CompleteApologies},
		"db backup":       {"file to write the backup to", nil},
		"db restore":      {"backup file to restore", nil},
	}
}

// requireIDs names the missing argument of each command in idArgs: cobra
// would say "accepts 1 arg(s), received 0", which does not say what to
// give.
func requireIDs(root *cobra.Command, f *cmdutil.Factory) {
	for path, a := range idArgs() {
		words := strings.Fields(path)
		if !hasCommand(root, words[0]) && slices.ContainsFunc(commands(), func(c command) bool { return c.name == words[0] }) {
			continue // a tree built for another command (newCmdRootFor)
		}
		c, _, err := root.Find(words)
		if err != nil || c == root {
			panic(fmt.Sprintf("idArgs names %q, which is not a command", path))
		}
		orig, what, path := c.Args, a.what, path
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("%s: missing %s", path, what)
			}
			if orig == nil {
				return nil
			}
			return orig(cmd, args)
		}
		if a.complete != nil {
			complete := f.CompleteWith(a.complete)
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return complete(cmd, args, toComplete)
			}
		}
	}
}

func hasCommand(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

// flagCompleters complete flags by name, the same on every command: a
// --customer is a customer id wherever it appears.
func flagCompleters(f *cmdutil.Factory) map[string]cobra.CompletionFunc {
	return map[string]cobra.CompletionFunc{
		"customer":  f.CompleteWith(cmdutil.CompleteCustomers),
		"customers": f.CompleteList(cmdutil.CompleteCustomers),
		"incident":  f.CompleteWith(cmdutil.CompleteIncidents),
		"currency":  f.CompleteWith(cmdutil.CompleteCurrencies),
		"occasion":  f.CompleteWith(cmdutil.CompleteOccasions),
	}
}

// completeFlags registers flagCompleters on every command that has such
// a flag, so a new command gets them without a line of its own.
func completeFlags(c *cobra.Command, f *cmdutil.Factory) {
	byName := flagCompleters(f)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range byName {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			if _, ok := c.GetFlagCompletionFunc(name); ok {
				continue // the command completes it its own way
			}
			// Registering fails only for a flag that is not there or
			// already has a function, both checked above.
			_ = c.RegisterFlagCompletionFunc(name, fn)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(c)
}

// Main runs makegood with the process's arguments and returns the exit
// status.
func Main(ver, commit string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f := cmdutil.New(ver, commit)
	ran, err := newCmdRootFor(f, os.Args[1:]).ExecuteContextC(ctx)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close ledger: %w", cerr)
	}
	return report(f, ran, err)
}

// report prints err for the command that ran (or was being found) and
// returns the exit status. Only a usage mistake ends with the pointer to
// --help; a config or ledger error is not cured by reading it.
func report(f *cmdutil.Factory, ran *cobra.Command, err error) int {
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	var ec *cmdutil.ExitCodeError
	if errors.Is(err, cmdutil.ErrSilent) || errors.As(err, &ec) {
		return code
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "makegood: %v\n", err)
	var fe *cmdutil.FlagError
	if (errors.As(err, &fe) || cmdutil.IsCobraUsageError(err)) && ran != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "Run '%s --help' for usage.\n", ran.CommandPath())
	}
	return code
}
