package export

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/prompt/prompttest"
	"github.com/makegood/makegood/internal/report/reporttest"
)

func TestFlags(t *testing.T) {
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command { return NewCmdExport(f, func(*Options) error { return nil }) },
		map[string]string{
			"":                         "--format is required when not running interactively",
			"--format xlsx":            `--format: "xlsx" is not a format; use one of hledger, beancount, csv, json`,
			"--format csv --to 2026-2": "--to",
		})
	e := clitest.New(t, nil)
	var got *Options
	if err := clitest.Run(NewCmdExport(e.F, func(o *Options) error { got = o; return nil }), "--format beancount --to 2026-06-30 -o b.beancount"); err != nil {
		t.Fatal(err)
	}
	if got.Format != "beancount" || got.Output != "b.beancount" || !got.to.Equal(time.Date(2026, 6, 30, 23, 59, 59, 999999000, time.UTC)) {
		t.Errorf("options %+v", got)
	}
}

// TestAsksForTheFormatAtATerminal: at a terminal without --format, the
// format is chosen from a list; Ctrl-C writes nothing.
func TestAsksForTheFormatAtATerminal(t *testing.T) {
	e := clitest.New(t, nil)
	e.Terminal()
	e.F.Clock = func() time.Time { return reporttest.Now }
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reporttest.Fill(t, st)
	p := &prompttest.Prompter{Answers: []prompttest.Answer{{Title: "Format", Value: "csv"}}}
	e.F.Prompter = p
	if err := clitest.Run(NewCmdExport(e.F, nil), ""); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Stdout.String(), "txn,date,at,kind,") {
		t.Errorf("output %.80q", e.Stdout.String())
	}
	e.Stdout.Reset()
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{{Title: "Format", Abort: true}}}
	err = clitest.Run(NewCmdExport(e.F, nil), "")
	if !errors.Is(err, prompt.ErrAborted) || e.Stdout.Len() != 0 {
		t.Errorf("cancelled: err %v, output %q", err, e.Stdout.String())
	}
}
