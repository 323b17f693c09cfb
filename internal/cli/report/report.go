// Package report implements `makegood report`: what was given, how fast,
// who is hurting and what is owed, as terminal charts, plain tables, JSON
// or one HTML page.
package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	thanksshared "github.com/makegood/makegood/internal/cli/thanks/shared"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/pkg/money"
)

// Options holds `report`'s inputs.
type Options struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Now    func() time.Time
	Getenv func(string) string

	From     string
	To       string
	Currency string
	HTML     string
	Output   cmdutil.OutputFlags

	build report.Options // worked out from the flags and the config
}

// NewCmdReport builds `makegood report`.
func NewCmdReport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: f.Store, Now: f.Now, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "See how you make good: goodwill, speed, repeat incidents, what is owed",
		Long: `One screen of charts: goodwill credited per month against monthly recurring
revenue (MRR, from customers' prices; a yearly price counts for a twelfth),
what is owed to customers and how it moved (used, voided, expired), time to
apology and to fix per incident (median and 90th percentile per month,
against the rule of thumb: minutes, not days), incidents per month by
severity, customers with repeat incidents in the last 12 months, thank-you
notes sent and who is due one now.

The last 12 months by default. --from and --to take a date (--to includes
that whole day) or an RFC 3339 time. --currency keeps one currency's money.

At a terminal the figures are drawn as charts; piped, or with NO_COLOR or
TERM=dumb, they are plain tables. --json prints every figure; --html FILE
writes one self-contained page (no scripts, nothing fetched) that opens
offline, on a phone and prints well (--html - writes it to stdout).

Config: report.apology_target (default 1m) and report.fix_target (15m) set
the rule of thumb; thanks.* windows decide who is due a note.`,
		Example: `  makegood report
  makegood report --from 2026-01-01 --to 2026-06-30 --currency EUR
  makegood report --html report.html
  makegood report --json | jq '.goodwill[] | select(.currency == "USD")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if opts.build, err = opts.parse(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "First day (or RFC 3339 time) covered; default the start of the month 11 months before --to")
	fl.StringVar(&opts.To, "to", "", "Last day covered, inclusive (or an RFC 3339 time); default now")
	fl.StringVar(&opts.Currency, "currency", "", "Only this currency's money (ISO 4217)")
	fl.StringVar(&opts.HTML, "html", "", "Write the report as one HTML page to this file (- for stdout)")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	cmd.MarkFlagsMutuallyExclusive("json", "html")
	return cmd
}

// parse checks the flags and reads the config, naming the flag or key
// that is wrong.
func (o *Options) parse(cfg *viper.Viper) (report.Options, error) {
	now := o.Now()
	b := report.Options{Now: now, ApologyTarget: report.DefaultApologyTarget, FixTarget: report.DefaultFixTarget}
	var err error
	if b.To, err = report.ParseTo("--to", o.To, now); err != nil {
		return b, err
	}
	if o.From != "" {
		if b.From, err = ledger.ParseTime("--from", o.From); err != nil {
			return b, err
		}
	} else {
		y, m, _ := b.To.Date()
		b.From = time.Date(y, m-11, 1, 0, 0, 0, 0, time.UTC)
	}
	if b.From.After(b.To) {
		return b, ledger.Fieldf("--from", "%s is after --to %s", b.From.Format(time.RFC3339), b.To.Format(time.RFC3339))
	}
	if o.Currency != "" {
		if b.Currency, err = money.NormalizeCurrency(o.Currency); err != nil {
			return b, &ledger.FieldError{Field: "--currency", Err: err}
		}
	}
	b.RepeatSince = b.To.AddDate(0, -report.RepeatWindow, 0)
	b.RecoveredSince = now.AddDate(-1, 0, 0)
	if c := cfg.GetString("currency"); c != "" {
		if b.DefaultCurrency, err = money.NormalizeCurrency(c); err != nil {
			return b, cmdutil.FlagErrorf("config: currency: %v", err)
		}
	}
	for _, t := range []struct {
		key string
		dst *time.Duration
	}{{"report.apology_target", &b.ApologyTarget}, {"report.fix_target", &b.FixTarget}} {
		s := strings.TrimSpace(cfg.GetString(t.key))
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > 365*24*time.Hour {
			return b, cmdutil.FlagErrorf("config: %s %q is not a duration such as 90s, 15m or 2h", t.key, s)
		}
		*t.dst = d
	}
	// thanks' windows, as thanks due reads them, so the report's "due"
	// is the same list.
	if b.Windows, err = thanksshared.Windows(cfg); err != nil {
		return b, err
	}
	return b, nil
}

func run(ctx context.Context, opts *Options) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	src, ok := st.(report.Source)
	if !ok {
		return errors.New("report: this ledger's engine cannot answer a report")
	}
	facts, err := src.ReportFacts(ctx, opts.build.Query)
	if err != nil {
		return err
	}
	r := report.Build(facts, opts.build)
	switch {
	case opts.Output.JSON:
		return cmdutil.WriteJSON(opts.IO.Out, r)
	case opts.HTML == "-":
		return report.HTML(opts.IO.Out, r)
	case opts.HTML != "":
		if err := writePrivate(opts.HTML, func(f *os.File) error { return report.HTML(f, r) }); err != nil {
			return err
		}
		_, err := fmt.Fprintf(opts.IO.ErrOut, "Wrote %s\n", opts.HTML)
		return err
	case opts.charts():
		return report.Screen(opts.IO.Out, r, opts.IO.TerminalWidth(), cmdutil.Escape)
	default:
		return report.Plain(opts.IO.Out, r, cmdutil.Escape)
	}
}

// charts: a terminal that takes colour. NO_COLOR (any value) and
// TERM=dumb ask for plain text.
func (o *Options) charts() bool {
	return o.IO.IsStdoutTTY() && o.Getenv("NO_COLOR") == "" && o.Getenv("TERM") != "dumb"
}

// writePrivate writes a file with mode 0600 (it holds customers' ids and
// names) by way of a temporary file beside it, so a failure leaves no half
// page and an existing file keeps no wider mode.
func writePrivate(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("--html: %w", err)
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	return nil
}
