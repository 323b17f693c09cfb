package credit

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/importutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/rows"
	"github.com/makegood/makegood/pkg/money"
)

// BulkOptions are credit issue's options for --from-file.
type BulkOptions struct {
	FromFile     string
	NewCustomers bool
	importutil.Flags
	Operator string
}

// The columns of a credit file, in the order the help lists them.
const (
	colCustomer = iota
	colAmount
	colCurrency
	colReason
	colNote
	colExpires
	colKey
)

func creditSchema() rows.Schema {
	return rows.Schema{
		Columns:  []string{"customer", "amount", "currency", "reason", "note", "expires", "idempotency_key"},
		Required: []string{"customer", "amount"},
	}
}

const bulkHelp = `

With --from-file FILE (- for stdin), issue one credit per row of a CSV file
with a header row, or of a JSON Lines file (chosen by the extension, by
--format, or by a first character of {). Columns: customer, amount,
currency, reason, note, expires, idempotency_key; only customer and amount
are required. Empty cells take --currency (else the customer's currency,
else the configured one), --reason, --note and --expires.

The whole file is one transaction: if any row is invalid, nothing is
written and every problem is listed by line. Rows whose idempotency_key is
already recorded with the same values are skipped; a file imported before
is refused unless --allow-repeat. --dry-run checks everything and writes
nothing. The summary goes to stdout (--json for scripts).`

// addBulkFlags registers --from-file and its companions on credit issue.
func addBulkFlags(cmd *cobra.Command, o *BulkOptions) {
	cmd.Long += bulkHelp
	cmd.Example += `
  makegood credit issue --from-file outage.csv --reason outage --expires 90d
  query-affected-customers | makegood credit issue --from-file - --dry-run`
	fl := cmd.Flags()
	fl.StringVar(&o.FromFile, "from-file", "", "Issue one credit per row of a CSV or JSON Lines file (- for stdin)")
	fl.StringVar(&o.Format, "format", "", "Format of --from-file: csv or jsonl (default: by extension)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "With --from-file: check every row and print the summary, write nothing")
	fl.BoolVar(&o.AllowRepeat, "allow-repeat", false, "With --from-file: import a file even if the same file was imported before")
	fl.BoolVar(&o.NewCustomers, "new-customers", false, "With --from-file: add customers the ledger doesn't know")
}

// bulkRunE is credit issue's RunE when --from-file is given.
func bulkRunE(cmd *cobra.Command, opts *IssueOptions, cfg *viper.Viper, getenv func(string) string, runF func(*IssueOptions) error) error {
	fl := cmd.Flags()
	for _, single := range []string{"customer", "amount", "idempotency-key", "new-customer"} {
		if fl.Changed(single) {
			return cmdutil.FlagErrorf("--%s cannot be used with --from-file: give it as a column of the file", single)
		}
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	opts.Bulk.Operator = importutil.Operator(cfg.GetString("operator"), getenv)
	if runF != nil {
		return runF(opts)
	}
	return bulkRun(cmd.Context(), opts)
}

// rowDefaults are what empty cells take.
type rowDefaults struct {
	currency, reason, note, expires string // as typed; currency "" means customer's, then config
	configCurrency                  string
	allowOther                      bool // --allow-other-currency
	now                             time.Time
}

func bulkRun(ctx context.Context, opts *IssueOptions) error {
	b := opts.Bulk
	d := rowDefaults{currency: opts.Currency, reason: opts.Reason, note: opts.Note, expires: opts.Expires,
		configCurrency: opts.DefaultCurrency, allowOther: opts.AllowOtherCurrency, now: opts.Now()}
	// Flags are checked once here, so a bad default is one error rather
	// than one per row.
	if d.currency != "" {
		if _, err := money.NormalizeCurrency(d.currency); err != nil {
			return &ledger.FieldError{Field: "--currency", Err: err}
		}
	}
	if err := ledger.ValidateReason("--reason", d.reason); err != nil {
		return err
	}
	if err := ledger.ValidateText("--note", d.note, ledger.MaxNoteLen); err != nil {
		return err
	}
	if d.expires != "" {
		if _, err := ledger.ParseExpiry("--expires", d.expires, d.now); err != nil {
			return err
		}
	}

	in, err := importutil.Open("--from-file", b.FromFile, opts.IO)
	if err != nil {
		return err
	}
	defer in.Close()
	format, err := in.Format(b.Format)
	if err != nil {
		return err
	}
	rd, err := rows.NewReader(in, format)
	if err != nil {
		return err
	}
	if err := rd.Bind(creditSchema()); err != nil {
		return err
	}

	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	imp, err := st.BeginCreditImport(ctx)
	if err != nil {
		return err
	}
	defer imp.Rollback()

	// The file is read, hashed and checked on one goroutine while the
	// store writes on this one (importutil.Pipe): the two are about a
	// fifth and four fifths of an import's CPU, so wall time is nearer
	// the store's alone than their sum.
	var problems ledger.Problems
	err = importutil.Pipe(ctx, rd, func(row rows.Row) (rowCredit, error) { return decodeCredit(row, d), nil },
		func(ctx context.Context, r importutil.Decoded[rowCredit]) error {
			err := r.Err
			if err == nil {
				var nc ledger.NewCredit
				if nc, err = r.Val.resolve(ctx, imp, d, b.NewCustomers); err == nil {
					err = imp.Add(ctx, r.Line, nc)
				}
			}
			if err != nil {
				if !importutil.IsRowProblem(err) {
					return err
				}
				problems.Add(err)
			}
			return nil
		})
	if err != nil {
		return err
	}
	// Rows are checked against each other and the ledger as a set; the
	// credits are written only if no row had a problem.
	res, err := imp.Finish(ctx, problems.Len() == 0 && !b.DryRun, func(line int, err error) {
		problems.Add(importutil.AtLine(line, "idempotency_key", err))
	})
	if err != nil {
		return err
	}
	if err := importutil.Complete(ctx, imp, in, rd, &problems, b.Flags, ledger.Import{Kind: ledger.ImportCredits, At: d.now,
		Written: res.Issued, AlreadyRecorded: res.AlreadyRecorded, Operator: b.Operator}); err != nil {
		return err
	}
	return printCreditImport(opts, view.NewCreditImport(res.Issued, res.AlreadyRecorded, res.Totals), b.DryRun)
}

// rowCredit is a row checked as far as it can be without the ledger
// (decodeCredit, on the reader's goroutine); resolve finishes it with the
// customer. The checks run in one order, the row's first problem is the
// one reported: the customer id, the customer, the currency, the amount,
// the reason, the note, the expiry, the idempotency key. decodeCredit
// works out ahead of time what does not hang on the customer, and resolve
// reports it in its turn.
type rowCredit struct {
	line  int
	nc    ledger.NewCredit // with all but AmountMinor and Currency
	idErr error            // the customer id's problem

	currencyCell, amountCell string
	// With a currency in the row or --currency, the customer's is never
	// consulted for it, so the currency and the amount are known here.
	early       bool
	cur, field  string
	curErr      error
	amountMinor int64
	amountErr   error

	lateErr error // the first problem of reason, note, expires, idempotency_key
}

// decodeCredit checks what a row says on its own.
func decodeCredit(row rows.Row, d rowDefaults) rowCredit {
	at := func(err error) error { return importutil.AtLine(row.Line, "row", err) }
	r := rowCredit{line: row.Line, currencyCell: row.Get(colCurrency), amountCell: row.Get(colAmount)}
	id := row.Get(colCustomer)
	if err := ledger.ValidateID("customer", id); err != nil {
		r.idErr = at(err)
		return r
	}
	if r.currencyCell != "" || d.currency != "" {
		r.early = true
		r.cur, r.field, r.curErr = ledger.CreditCurrency(ledger.Customer{}, "",
			ledger.CurrencyGiven{Currency: r.currencyCell, Field: "currency"}, ledger.CurrencyGiven{Currency: d.currency, Field: "--currency"})
		if r.curErr == nil {
			r.amountMinor, r.amountErr = parseAmount(r.amountCell, r.cur)
		}
	}
	r.nc = ledger.NewCredit{Customer: id, IssuedAt: d.now,
		Reason: orDefault(row.Get(colReason), d.reason), Note: orDefault(row.Get(colNote), d.note),
		IdempotencyKey: row.Get(colKey)}
	r.lateErr = checkLate(&r.nc, row.Get(colExpires), d)
	if r.lateErr != nil {
		r.lateErr = at(r.lateErr)
	}
	return r
}

// checkLate checks the row's reason, note, expiry and key, setting the
// credit's expiry.
func checkLate(nc *ledger.NewCredit, expires string, d rowDefaults) error {
	if err := ledger.ValidateReason("reason", nc.Reason); err != nil {
		return err
	}
	if err := ledger.ValidateText("note", nc.Note, ledger.MaxNoteLen); err != nil {
		return err
	}
	if exp := orDefault(expires, d.expires); exp != "" {
		t, err := ledger.ParseExpiry("expires", exp, d.now)
		if err != nil {
			return err
		}
		nc.ExpiresAt = &t
	}
	if nc.IdempotencyKey != "" {
		if err := ledger.ValidateID("idempotency_key", nc.IdempotencyKey); err != nil {
			return err
		}
	}
	return nil
}

func parseAmount(cell, cur string) (int64, error) {
	amt, err := money.Parse(cell, cur)
	if err != nil {
		return 0, &ledger.FieldError{Field: "amount", Err: err}
	}
	return amt.Minor, nil
}

// resolve finishes the row's checks with its customer, adding the
// customer when addNew says to.
func (r *rowCredit) resolve(ctx context.Context, imp ledger.CreditImport, d rowDefaults, addNew bool) (ledger.NewCredit, error) {
	at := func(err error) error { return importutil.AtLine(r.line, "row", err) }
	if r.idErr != nil {
		return ledger.NewCredit{}, r.idErr
	}
	id := r.nc.Customer
	known, custCurrency, err := imp.Customer(ctx, id)
	if err != nil {
		return ledger.NewCredit{}, err
	}
	if !known {
		if !addNew {
			return ledger.NewCredit{}, at(ledger.Fieldf("customer", "%q is not in the ledger; add it first (makegood customer import), or pass --new-customers", id))
		}
		if err := imp.AddCustomer(ctx, ledger.Customer{ID: id, Period: ledger.PeriodMonth, CreatedAt: d.now, UpdatedAt: d.now}); err != nil {
			return ledger.NewCredit{}, err
		}
	}

	cust := ledger.Customer{ID: id, Currency: custCurrency}
	cur, field, curErr := r.cur, r.field, r.curErr
	if !r.early {
		cur, field, curErr = ledger.CreditCurrency(cust, d.configCurrency)
	}
	if curErr != nil {
		return ledger.NewCredit{}, at(curErr)
	}
	if cur == "" {
		return ledger.NewCredit{}, at(ledger.NoCurrency("currency", cust))
	}
	if err := ledger.CheckCreditCurrency(field, cust, cur, d.allowOther); err != nil {
		return ledger.NewCredit{}, at(err)
	}
	minor, amtErr := r.amountMinor, r.amountErr
	if !r.early {
		minor, amtErr = parseAmount(r.amountCell, cur)
	}
	if amtErr != nil {
		return ledger.NewCredit{}, at(amtErr)
	}
	nc := r.nc
	nc.AmountMinor, nc.Currency = minor, cur
	if r.lateErr != nil {
		return nc, r.lateErr
	}
	return nc, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func printCreditImport(opts *IssueOptions, v view.CreditImport, dryRun bool) error {
	if dryRun {
		fmt.Fprintln(opts.IO.ErrOut, "Dry run: every row is valid; nothing was written.")
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, v)
	}
	verb := "Issued"
	if dryRun {
		verb = "Would issue"
	}
	line := fmt.Sprintf("%s %s", verb, cmdutil.Plural(v.Issued, "credit", "credits"))
	if len(v.Totals) > 0 {
		totals := make([]string, len(v.Totals))
		for i, t := range v.Totals {
			totals[i] = money.Format(t.AmountMinor, t.Currency)
		}
		line += " totalling " + strings.Join(totals, " + ")
	}
	if v.AlreadyRecorded > 0 {
		line += fmt.Sprintf("; %s already recorded", cmdutil.Plural(v.AlreadyRecorded, "was", "were"))
	}
	_, err := fmt.Fprintln(opts.IO.Out, line+".")
	return err
}
