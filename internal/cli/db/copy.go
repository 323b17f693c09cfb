package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store"
)

// CopyOptions holds `db copy`'s inputs.
type CopyOptions struct {
	IO       *iostreams.IOStreams
	Location func() (store.Location, error)
	Ledger   func(context.Context) (store.Ledger, error)
	Now      func() time.Time
	To       string
	DryRun   bool
	Output   cmdutil.OutputFlags
}

// NewCmdCopy builds `db copy`.
func NewCmdCopy(f *cmdutil.Factory, runF func(*CopyOptions) error) *cobra.Command {
	opts := &CopyOptions{IO: f.IOStreams, Location: f.Location, Ledger: f.Ledger, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "copy --to LOCATION",
		Short: "Copy the whole ledger to another place: a SQLite file to PostgreSQL, or back",
		Long: `Copy the whole ledger (--db) to --to, a PostgreSQL URL or a SQLite file:
every table, the Stripe sync's included, with every id kept and the
ledger's identity, so Stripe's Idempotency-Keys stay the same. The copy is
written in one transaction on --to, which must hold nothing (a new file,
an empty database, or a ledger never written to); afterwards every
table's count and every balance are compared with the ledger's.

Stop anything that writes to the ledger (cron jobs) while copying: what
it writes meanwhile is not copied, and the balances would differ.`,
		Example: `  makegood db copy --to 'postgres://makegood_owner@db.example.com/makegood'
  makegood db copy --db 'postgres://makegood_app@db.example.com/makegood' --to ledger-copy.db
  makegood db copy --to 'postgres://…' --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.To == "" {
				return cmdutil.FlagErrorf("--to is required: the PostgreSQL URL or SQLite file to copy the ledger to")
			}
			if runF != nil {
				return runF(opts)
			}
			return copyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "Where to copy the ledger: a postgres:// URL or a SQLite file")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Say what would be copied, and write nothing")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

// CopyJSON is `db copy --json`.
type CopyJSON struct {
	DryRun bool             `json:"dry_run"`
	From   string           `json:"from"`
	To     string           `json:"to"`
	Rows   int64            `json:"rows"`
	Tables map[string]int64 `json:"tables"`
	// TargetExists (dry run) says --to holds a ledger already.
	TargetExists bool `json:"target_exists"`
	// Balances is how many balances were compared (after a copy).
	Balances int `json:"balances"`
}

func copyRun(ctx context.Context, opts *CopyOptions) error {
	from, err := opts.Location()
	if err != nil {
		return err
	}
	to, err := store.Parse("--to", opts.To)
	if err != nil {
		return &cmdutil.FlagError{Err: err}
	}
	if samePlace(from, to) {
		return cmdutil.FlagErrorf("--to: %s is the ledger itself", to)
	}
	src, err := opts.Ledger(ctx)
	if err != nil {
		return err
	}
	identity, err := src.LedgerID(ctx)
	if err != nil {
		return err
	}
	out := CopyJSON{DryRun: opts.DryRun, From: from.String(), To: to.String()}
	if opts.DryRun {
		if out.Tables, err = src.Counts(ctx); err != nil {
			return err
		}
		if out.TargetExists, err = store.Exists(ctx, to); err != nil {
			return err
		}
		out.Rows = total(out.Tables)
		return printCopy(opts, out)
	}
	loaded, err := store.Load(ctx, to, identity, func(each func(store.Table, []any) error) error {
		return src.CopyOut(ctx, each)
	})
	var notEmpty *ledger.NotEmptyError
	if errors.As(err, &notEmpty) {
		return cmdutil.FlagErrorf("--to: %s; db copy writes only into a ledger that holds nothing", notEmpty.Error())
	}
	if err != nil {
		return err
	}
	out.Tables, out.Rows = loaded, total(loaded)
	if out.Balances, err = verifyCopy(ctx, src, to, identity, loaded, opts.Now()); err != nil {
		return err
	}
	return printCopy(opts, out)
}

// verifyCopy opens the copy and compares it with what was copied: every
// table's count, the identity, and every balance with the ledger's now.
// It returns how many balances it compared.
func verifyCopy(ctx context.Context, src store.Ledger, to store.Location, identity string, loaded map[string]int64, now time.Time) (int, error) {
	dst, err := store.Open(ctx, to)
	if err != nil {
		return 0, fmt.Errorf("db copy: open the copy: %w", err)
	}
	defer dst.Close()
	// A failure at run time (exit 1): the copy is written, and wrong.
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("db copy: the copy at %s does not match the ledger: %s", to, fmt.Sprintf(format, args...))
	}
	got, err := dst.Counts(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range store.Tables() {
		if got[t.Name] != loaded[t.Name] {
			return 0, mismatch("%s holds %d rows, %d were copied", t.Name, got[t.Name], loaded[t.Name])
		}
	}
	if id, err := dst.LedgerID(ctx); err != nil {
		return 0, err
	} else if id != identity {
		return 0, mismatch("its identity is %s, the ledger's %s", id, identity)
	}
	want, err := src.Balances(ctx, "", now)
	if err != nil {
		return 0, err
	}
	have, err := dst.Balances(ctx, "", now)
	if err != nil {
		return 0, err
	}
	if !slices.Equal(want, have) {
		return 0, mismatch("%d balances against the ledger's %d, or other amounts (was the ledger written to during the copy?)",
			len(have), len(want))
	}
	return len(want), nil
}

func total(n map[string]int64) int64 {
	var sum int64
	for _, c := range n {
		sum += c
	}
	return sum
}

// samePlace reports whether two locations name one ledger: the same URL,
// or the same file.
func samePlace(a, b store.Location) bool {
	if a.Engine.Name != b.Engine.Name {
		return false
	}
	pa, aFile := a.File()
	pb, bFile := b.File()
	if !aFile || !bFile {
		return a.DSN == b.DSN
	}
	if fa, err := os.Stat(pa); err == nil {
		if fb, err := os.Stat(pb); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	absA, errA := filepath.Abs(pa)
	absB, errB := filepath.Abs(pb)
	return errA == nil && errB == nil && absA == absB
}

func printCopy(opts *CopyOptions, out CopyJSON) error {
	all := map[string]int64{}
	for _, t := range store.Tables() {
		all[t.Name] = out.Tables[t.Name] // every table, 0 too: stable keys
	}
	out.Tables = all
	if opts.Output.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	var parts []string
	for _, t := range store.Tables() {
		if n := out.Tables[t.Name]; n > 0 && t.Name != store.IdentityTable {
			parts = append(parts, fmt.Sprintf("%s: %d", strings.ReplaceAll(t.Name, "_", " "), n))
		}
	}
	what := "nothing but its identity"
	if len(parts) > 0 {
		what = strings.Join(parts, ", ")
	}
	if out.DryRun {
		fmt.Fprintf(opts.IO.ErrOut, "Would copy %s from %s to %s (%d rows in all); nothing was written.\n", what, out.From, out.To, out.Rows)
		if out.TargetExists {
			fmt.Fprintf(opts.IO.ErrOut, "%s holds a ledger already: db copy writes only into one that holds nothing.\n", out.To)
		}
		return nil
	}
	_, err := fmt.Fprintf(opts.IO.ErrOut, "Copied %s from %s to %s (%d rows in all); every count and all %d balances match.\n",
		what, out.From, out.To, out.Rows, out.Balances)
	return err
}
