package root

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
)

// run executes the whole command tree the way main does, returning the exit
// status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New("v1.2.3", "abc")
	f.IOStreams = ios
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	ran, err := cmd.ExecuteC()
	if cerr := f.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	return report(f, ran, err), out.String(), errOut.String()
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("MAKEGOOD_DB", "")
	t.Setenv("MAKEGOOD_CURRENCY", "")
	cfgDir := filepath.Join(dir, "config", "makegood")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	fileDB := filepath.Join(dir, "from-file.db")
	if err := os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte("db: "+fileDB+"\ncurrency: EUR\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Config file beats the default.
	if code, _, stderr := run(t, "customer", "add", "a"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(fileDB); err != nil {
		t.Fatalf("config file's db not used: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "makegood", "ledger.db")); err == nil {
		t.Fatal("default ledger created although the config file names another")
	}

	// Environment beats the config file.
	envDB := filepath.Join(dir, "from-env.db")
	t.Setenv("MAKEGOOD_DB", envDB)
	t.Setenv("MAKEGOOD_CURRENCY", "GBP")
	if code, _, stderr := run(t, "credit", "issue", "--customer", "b", "--amount", "1", "--new-customer"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, out, _ := run(t, "credit", "list", "--json")
	if !strings.Contains(out, `"currency": "GBP"`) {
		t.Fatalf("MAKEGOOD_CURRENCY did not beat the config file: %s", out)
	}

	// The flag beats the environment.
	flagDB := filepath.Join(dir, "from-flag.db")
	if code, _, stderr := run(t, "--db", flagDB, "customer", "add", "c"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, out, _ = run(t, "--db", flagDB, "customer", "list")
	if out != "c\t\t\t\t\t\tmonth\t\t\t0\t\t\n" {
		t.Fatalf("--db did not beat MAKEGOOD_DB: %q", out)
	}
	_, out, _ = run(t, "customer", "list")
	if out != "b\t\t\t\t0.00\tGBP\tmonth\t\t\t0\t\t\n" {
		t.Fatalf("MAKEGOOD_DB ledger: %q", out)
	}
}

func TestExitStatuses(t *testing.T) {
	t.Setenv("MAKEGOOD_DB", filepath.Join(t.TempDir(), "l.db"))
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"credit", "list", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"credit", "issue", "--amount", "5"}, 2, "--customer is required when not running interactively"},
		{[]string{"credit", "show", "99"}, 2, `credit 99 not found`},
		{[]string{"--config", "/nonexistent/config.yaml", "credit", "list"}, 2, "config: read /nonexistent/config.yaml"},
		{[]string{"credit", "show"}, 2, "credit show: missing credit id\nRun 'makegood credit show --help' for usage."},
		{[]string{"credit", "isue"}, 2, "unknown command \"isue\" for \"makegood credit\"\n\nDid you mean this?\n\tissue\n"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.stderr)
		}
	}
}

func TestHelpDocumentsExitStatus(t *testing.T) {
	code, out, _ := run(t, "--help")
	if code != 0 || !strings.Contains(out, "Exit status:") || !strings.Contains(out, "2  usage error or invalid input") {
		t.Fatalf("help:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		_, out, _ := run(t, args...)
		if out != "makegood v1.2.3 (commit abc)\n" {
			t.Errorf("%v: %q", args, out)
		}
		// The tree Main builds for these arguments says the same.
		ios, _, out2, _ := iostreams.Test()
		f := cmdutil.New("v1.2.3", "abc")
		f.IOStreams = ios
		cmd := newCmdRootFor(f, args)
		cmd.SetArgs(args)
		if _, err := cmd.ExecuteC(); err != nil || out2.String() != "makegood v1.2.3 (commit abc)\n" {
			t.Errorf("%v, the tree for the arguments: %v %q", args, err, out2.String())
		}
	}
	// --version is the root's alone, as cobra has it: after a command it
	// is an unknown flag, in the whole tree and in the one built for it.
	if code, _, errOut := run(t, "credit", "list", "--version"); code != 2 || !strings.Contains(errOut, "unknown flag: --version") {
		t.Errorf("credit list --version: exit %d, %q", code, errOut)
	}
}

// TestEveryArgumentIsNamed: every command that cannot run without an
// argument says which one is missing, and completes it or says why not.
func TestEveryArgumentIsNamed(t *testing.T) {
	f := cmdutil.New("v", "c")
	f.IOStreams, _, _, _ = iostreams.Test()
	root := NewCmdRoot(f)
	table := idArgs()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Args == nil || c.HasSubCommands() {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "makegood ")
		err := c.Args(c, nil)
		if err == nil {
			if _, ok := table[path]; ok {
				t.Errorf("%s runs without an argument but idArgs lists it", path)
			}
			return
		}
		a, ok := table[path]
		if !ok {
			t.Errorf("%s needs an argument (%v) that idArgs does not name", path, err)
			return
		}
		if want := path + ": missing " + a.what; err.Error() != want || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%s with no argument: %q (exit %d), want %q (exit 2)", path, err, cmdutil.ExitCode(err), want)
		}
		if a.complete != nil && c.ValidArgsFunction == nil {
			t.Errorf("%s does not complete its %s", path, a.what)
		}
	}
	walk(root)
}

// TestFlagsComplete: every --customer, --customers, --incident, --currency
// and --occasion flag completes from the ledger.
func TestFlagsComplete(t *testing.T) {
	f := cmdutil.New("v", "c")
	f.IOStreams, _, _, _ = iostreams.Test()
	root := NewCmdRoot(f)
	n := 0
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		for name := range flagCompleters(f) {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			n++
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				t.Errorf("%s --%s does not complete", c.CommandPath(), name)
			}
		}
	}
	walk(root)
	if n < 15 {
		t.Fatalf("only %d such flags found", n)
	}
}

// TestCommandsAreNamed: the names the lazy tree finds commands by are
// the commands' own, and the whole tree has exactly those below the root.
func TestCommandsAreNamed(t *testing.T) {
	f := cmdutil.New("v", "c")
	var names []string
	for _, c := range commands() {
		if got := c.build(f).Name(); got != c.name {
			t.Errorf("commands() calls %q the command named %q", c.name, got)
		}
		names = append(names, c.name)
	}
	var built []string
	for _, c := range NewCmdRoot(f).Commands() {
		built = append(built, c.Name())
	}
	slices.Sort(names) // as cobra lists them
	if strings.Join(built, " ") != strings.Join(names, " ") {
		t.Errorf("the root has %v, commands() lists %v", built, names)
	}
}

// TestFirstWord: the command a line runs is found past the root's flags,
// as cobra finds it.
func TestFirstWord(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"credit", "list"}, "credit"},
		{[]string{"--db", "x.db", "credit", "list"}, "credit"},
		{[]string{"--db=x.db", "--no-input", "credit"}, "credit"},
		{[]string{"--config", "credit", "list"}, "list"},
		{[]string{"--no-input", "-h"}, ""},
		{[]string{"--", "credit"}, ""},
		{nil, ""},
	} {
		if got := firstWord(c.args); got != c.want {
			t.Errorf("firstWord(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// TestLazyTreeRunsAsTheWholeTree: every command's help, and each kind of
// mistake, reads the same from the tree built for the command line as
// from the whole tree.
func TestLazyTreeRunsAsTheWholeTree(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("MAKEGOOD_DB", filepath.Join(dir, "ledger.db"))
	exec := func(lazy bool, args []string) string {
		ios, _, out, errOut := iostreams.Test()
		f := cmdutil.New("v1.2.3", "abc")
		f.IOStreams = ios
		cmd := NewCmdRoot(f)
		if lazy {
			cmd = newCmdRootFor(f, args)
		}
		cmd.SetArgs(args)
		ran, err := cmd.ExecuteC()
		f.Close()
		return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", report(f, ran, err), out, errOut)
	}
	var lines [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			p := append(slices.Clone(path), sub.Name())
			lines = append(lines, append(slices.Clone(p), "--help"))
			walk(sub, p)
		}
	}
	walk(NewCmdRoot(cmdutil.New("v", "c")), nil)
	lines = append(lines,
		[]string{"--help"}, []string{"credit"}, []string{"credit", "isue"}, []string{"crdit", "list"},
		[]string{"credit", "show"}, []string{"credit", "list", "--bogus"}, []string{"--bogus", "credit", "list"},
		[]string{"--db", filepath.Join(dir, "other.db"), "--no-input", "credit", "list", "--help"},
		[]string{"version"}, []string{"completion", "bash"}, []string{"__complete", "credit", "l"})
	for _, args := range lines {
		if whole, lazy := exec(false, args), exec(true, args); whole != lazy {
			t.Errorf("makegood %s:\nthe whole tree:\n%s\nthe tree for the line:\n%s", strings.Join(args, " "), whole, lazy)
		}
	}
	if len(lines) < 50 {
		t.Errorf("only %d command lines compared", len(lines))
	}
}
