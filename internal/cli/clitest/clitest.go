// Package clitest builds Factories for command tests: buffer streams, a
// real SQLite ledger in a temporary directory, a fixed clock.
package clitest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/shlex"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
)

// Now is the clock of every test Factory.
var Now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// Env is a test Factory with its buffers.
type Env struct {
	F      *cmdutil.Factory
	IO     *iostreams.IOStreams
	Stdin  *bytes.Buffer
	Stdout *bytes.Buffer
	Stderr *bytes.Buffer
}

// New returns a Factory on a fresh ledger. Streams are not terminals until
// the test says so; env supplies the environment (nil for none).
func New(t *testing.T, env map[string]string) *Env {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "HOME" {
			return dir
		}
		return env[k]
	}
	v := viper.New()
	v.Set("db", filepath.Join(dir, "ledger.db"))
	f := &cmdutil.Factory{IOStreams: ios, Viper: v, Getenv: getenv, Clock: func() time.Time { return Now }}
	t.Cleanup(func() { f.Close() })
	return &Env{F: f, IO: ios, Stdin: in, Stdout: out, Stderr: errOut}
}

// Terminal makes stdin and stdout terminals, so commands may prompt.
func (e *Env) Terminal() {
	e.IO.SetStdinTTY(true)
	e.IO.SetStdoutTTY(true)
	e.IO.SetStderrTTY(true)
}

// Run executes cmd with a shell-like argument line and returns its error.
func Run(cmd *cobra.Command, args string) error {
	argv, err := shlex.Split(args)
	if err != nil {
		return err
	}
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	_, err = cmd.ExecuteC()
	return err
}

// Lines splits output into non-empty lines.
func Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
