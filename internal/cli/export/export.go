// Package export implements `makegood export`: the whole credit ledger as
// books for an accountant, in hledger or Beancount, or as CSV or JSON.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/report"
)

// Options holds `export`'s inputs.
type Options struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Now       func() time.Time
	CanPrompt bool
	Prompt    func() prompt.Prompter

	Format string
	To     string
	Output string

	to time.Time
}

// NewCmdExport builds `makegood export`.
func NewCmdExport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: f.Store, Now: f.Now, Prompt: f.Prompt}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the credit ledger as books: hledger, Beancount, CSV or JSON",
		Long: `Write every credit as double-entry books, each event dated when it happened:

  issue    Expenses:Goodwill:<Reason>  to  Liabilities:Goodwill:<customer>
  use      Liabilities:Goodwill:<customer>  to  Assets:Receivable:<customer>
           (the credit pays part of the customer's invoice)
  void     reverses the issue's expense for what remained
  expiry   Liabilities:Goodwill:<customer>  to  Income:Breakage
  gesture  a transaction (hledger, CSV, JSON) or note (Beancount) without postings

So each Liabilities:Goodwill:<customer> account balances to minus what
"makegood credit balance" shows, to the minor unit, in every currency.

Account names: a customer id that is a capital letter followed by letters
and digits is used as it is; any other is written "X-" and the id with each
byte other than an ASCII letter or digit as "-" and two hex digits
(cus_123 becomes X-cus-5F123). Reasons are capitalised (Outage). Each
account is declared with the customer's id beside it.

--to keeps only what happened up to that day (inclusive) or RFC 3339 time;
default now. The export streams: memory stays flat however big the ledger.
--output writes a file with mode 0600 instead of stdout.`,
		Example: `  makegood export --format hledger --output credits.journal
  hledger -f credits.journal bal Liabilities
  makegood export --format beancount --to 2026-12-31 --output credits.beancount
  bean-check credits.beancount && bean-report credits.beancount balances`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.CanPrompt = f.CanPrompt()
			var err error
			if opts.to, err = report.ParseTo("--to", opts.To, opts.Now()); err != nil {
				return err
			}
			if opts.Format != "" && !slices.Contains(report.Formats(), opts.Format) {
				return ledger.Fieldf("--format", "%q is not a format; use one of %s", opts.Format, strings.Join(report.Formats(), ", "))
			}
			if opts.Format == "" && !opts.CanPrompt {
				return cmdutil.RequiredError("--format")
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "", "hledger, beancount, csv or json")
	fl.StringVar(&opts.To, "to", "", "Only events up to this day (inclusive) or RFC 3339 time; default now")
	fl.StringVarP(&opts.Output, "output", "o", "", "Write to this file (mode 0600) instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	if opts.Format == "" {
		var choices []prompt.Option
		for _, f := range report.Formats() {
			choices = append(choices, prompt.Option{Label: f, Value: f})
		}
		var err error
		if opts.Format, err = opts.Prompt().Select(ctx, "Format", choices, report.FormatHledger); err != nil {
			return err
		}
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	src, ok := st.(report.BookSource)
	if !ok {
		return errors.New("export: this ledger's engine cannot export books")
	}
	write := func(w io.Writer) error {
		bw, err := report.NewBookWriter(opts.Format, w)
		if err != nil {
			return err
		}
		if err := src.ExportBooks(ctx, opts.to, bw.Header, bw.Event); err != nil {
			return err
		}
		if err := bw.Close(); err != nil {
			return fmt.Errorf("write books: %w", err)
		}
		return nil
	}
	if opts.Output == "" || opts.Output == "-" {
		return write(opts.IO.Out)
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.Output), "."+filepath.Base(opts.Output)+".*")
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := os.Rename(tmp.Name(), opts.Output); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "Wrote %s\n", opts.Output)
	return err
}
