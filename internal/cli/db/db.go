// Package db implements `makegood db`: back the ledger up while others
// write, check it (the engine's integrity and the ledger's own sums),
// restore it from a backup, and copy it whole to another engine.
package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store"
)

// NewCmdDB builds `makegood db` and its verbs.
func NewCmdDB(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db <command>",
		Short: "Back up, check, restore and copy the ledger",
		Long: `Keep the ledger safe: an online backup that others may keep writing
through, a check that proves it intact, a restore that keeps the old
ledger beside the new one, and a copy of the whole ledger to another
engine (a SQLite file to PostgreSQL, or back). Backups and restored
ledgers have mode 0600. A PostgreSQL ledger is backed up with pg_dump.`,
	}
	cmd.AddCommand(NewCmdBackup(f, nil), NewCmdCheck(f, nil), NewCmdRestore(f, nil), NewCmdCopy(f, nil))
	return cmd
}

// BackupOptions holds `db backup`'s inputs.
type BackupOptions struct {
	IO     *iostreams.IOStreams
	Ledger func(context.Context) (ledger.Maintainer, error)
	File   string
	Force  bool
}

// NewCmdBackup builds `db backup`.
func NewCmdBackup(f *cmdutil.Factory, runF func(*BackupOptions) error) *cobra.Command {
	opts := &BackupOptions{IO: f.IOStreams, Ledger: f.Maintainer}
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the ledger to FILE, consistently, while others write",
		Long: `Write a consistent copy of the ledger to FILE (mode 0600) with SQLite's
VACUUM INTO: one snapshot, taken without stopping anyone writing (cron,
another terminal). The copy is checked as "db check" does before it takes
FILE's name, so FILE is never a half-written or unsound backup. An existing
FILE is replaced only with --force.

A PostgreSQL ledger is backed up with pg_dump (or copied to a SQLite file
with "db copy --to FILE"); db backup says so.`,
		Example: `  makegood db backup ~/backups/ledger-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return backupRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Replace FILE if it exists")
	return cmd
}

func backupRun(ctx context.Context, opts *BackupOptions) error {
	st, err := opts.Ledger(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := st.Backup(ctx, opts.File, opts.Force)
	var exists *ledger.ExistsError
	if errors.As(err, &exists) {
		return cmdutil.FlagErrorf("%s; use --force to replace it", exists.Error())
	}
	if errors.Is(err, ledger.ErrUnsupported) {
		// The engine was chosen by --db (or MAKEGOOD_DB).
		return ledger.Fieldf("--db", "%v", err)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "Backed up %d credits to %s in %s; checked: sound (schema version %d).\n",
		res.Credits, opts.File, time.Since(start).Round(time.Millisecond), res.SchemaVersion)
	return err
}

// CheckOptions holds `db check`'s inputs.
type CheckOptions struct {
	IO       *iostreams.IOStreams
	Location func() (store.Location, error)
	Output   cmdutil.OutputFlags
}

// NewCmdCheck builds `db check`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams, Location: f.Location}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Prove the ledger intact: the engine's integrity and the ledger's own sums",
		Long: `Check the ledger without changing it:

  integrity       SQLite's integrity_check and foreign_key_check; on
                  PostgreSQL, every foreign key's rows (foreign_key)
  schema_version  the ledger's schema is one this makegood knows
  trigger, index  every trigger and index the migrations make is there,
                  unchanged (found by applying the migrations to an empty
                  database, so the list follows new migrations); on
                  PostgreSQL tables and functions too, and a trigger
                  disabled is a finding
  issue_entry     each credit has one issue entry, for its amount
  remaining_below_zero, void_sum, entry_sign, entry_copy, orphan_entry,
  gesture_money   what each credit's entries add up to agrees with its status
  kept_balance    each kept balance (per customer, currency and expiry) is
                  the sum of its entries, and every such sum is kept

Exit status 0 when sound; 1 with each finding on its own line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

// CheckJSON is `db check --json`.
type CheckJSON struct {
	OK            bool          `json:"ok"`
	Path          string        `json:"path"`
	SchemaVersion int           `json:"schema_version"`
	LatestVersion int           `json:"latest_schema_version"`
	Triggers      int           `json:"triggers"`
	Credits       int64         `json:"credits"`
	Entries       int64         `json:"entries"`
	Findings      []FindingJSON `json:"findings"`
}

// FindingJSON is one finding.
type FindingJSON struct {
	Check  string `json:"check"`
	Detail string `json:"detail"`
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	loc, err := opts.Location()
	if err != nil {
		return err
	}
	path := loc.String()
	if ok, err := store.Exists(ctx, loc); err != nil {
		return err
	} else if !ok {
		return cmdutil.FlagErrorf("--db: there is no ledger at %s", path)
	}
	res, err := store.Check(ctx, loc)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		out := CheckJSON{OK: res.Sound(), Path: path, SchemaVersion: res.SchemaVersion, LatestVersion: res.Latest,
			Triggers: res.Triggers, Credits: res.Credits, Entries: res.Entries, Findings: []FindingJSON{}}
		for _, f := range res.Findings {
			out.Findings = append(out.Findings, FindingJSON{Check: f.Check, Detail: f.Detail})
		}
		if err := cmdutil.WriteJSON(opts.IO.Out, out); err != nil {
			return err
		}
	} else {
		for _, f := range res.Findings {
			if _, err := fmt.Fprintln(opts.IO.Out, f.String()); err != nil {
				return err
			}
		}
	}
	if !res.Sound() {
		fmt.Fprintf(opts.IO.ErrOut, "%s is not sound: %s.\n", path, cmdutil.Plural(len(res.Findings), "finding", "findings"))
		return &cmdutil.ExitCodeError{Code: cmdutil.ExitFailure}
	}
	if !opts.Output.JSON {
		_, err = fmt.Fprintf(opts.IO.ErrOut, "%s is sound: integrity ok, schema version %d, %d triggers, %d credits and %d entries add up.\n",
			path, res.SchemaVersion, res.Triggers, res.Credits, res.Entries)
	}
	return err
}

// RestoreOptions holds `db restore`'s inputs.
type RestoreOptions struct {
	IO       *iostreams.IOStreams
	Location func() (store.Location, error)
	Now      func() time.Time
	File     string
	Force    bool
}

// NewCmdRestore builds `db restore`.
func NewCmdRestore(f *cmdutil.Factory, runF func(*RestoreOptions) error) *cobra.Command {
	opts := &RestoreOptions{IO: f.IOStreams, Location: f.Location, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the ledger with a backup",
		Long: `Replace the ledger with a copy of FILE, a backup made by "db backup". FILE
is checked first (as "db check" does) and refused if it is not sound. A
ledger that holds anything is replaced only with --force, and is then kept
beside the new one as <ledger>.before-restore-<time>, a copy of it as it
was just before. The restore is made in place, under the ledger's write
lock: other processes (cron jobs) may keep running; they wait for it as for
any write, then work on the restored ledger.`,
		Example: `  makegood db restore ~/backups/ledger-2026-11-24.db --force`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return restoreRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Replace a ledger that is not empty (it is kept beside the new one)")
	return cmd
}

func restoreRun(ctx context.Context, opts *RestoreOptions) error {
	loc, err := opts.Location()
	if err != nil {
		return err
	}
	path := loc.String()
	// A ledger that is not a file cannot be restored from one, whatever
	// FILE is: say so first.
	if _, isFile := loc.File(); isFile {
		if _, err := os.Stat(opts.File); err != nil {
			return cmdutil.FlagErrorf("FILE: %v", err)
		}
	}
	kept, res, err := store.Restore(ctx, opts.File, loc, opts.Force, opts.Now())
	var notEmpty *ledger.NotEmptyError
	switch {
	case errors.As(err, &notEmpty):
		return cmdutil.FlagErrorf("%s; use --force to replace it (the old ledger is kept beside it)", notEmpty.Error())
	case errors.Is(err, ledger.ErrUnsound):
		return &cmdutil.FlagError{Err: err}
	case err != nil:
		return err
	}
	if kept != "" {
		fmt.Fprintf(opts.IO.ErrOut, "Kept the old ledger as %s.\n", kept)
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "Restored %s from %s: %d credits, schema version %d, sound.\n",
		path, opts.File, res.Credits, res.SchemaVersion)
	return err
}
