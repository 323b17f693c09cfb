package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
)

// ListOptions holds `incident list`'s inputs.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Now    func() time.Time
	Filter ledger.IncidentFilter
	Output cmdutil.OutputFlags
}

// NewCmdList builds `incident list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Long: `List incidents, newest first. A table at a terminal; tab-separated rows (id,
title, severity, status, started_at, reported_at, fixed_at,
time_to_fix_seconds, customers) when piped; --json or --csv for scripts.
Time to fix runs from the report to the fix.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := opts.Filter
			if fl.Customer != "" {
				if err := ledger.ValidateID("--customer", fl.Customer); err != nil {
					return err
				}
			}
			if fl.Status != "" && fl.Status != ledger.IncidentOpen && fl.Status != ledger.IncidentFixed {
				return ledger.Fieldf("--status", "%q is not an incident status; use open or fixed", fl.Status)
			}
			if fl.Limit < 0 {
				return ledger.Fieldf("--limit", "must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Filter.Customer, "customer", "", "Only incidents that affected this customer")
	fl.StringVar(&opts.Filter.Status, "status", "", "Only open or fixed incidents")
	fl.IntVar(&opts.Filter.Limit, "limit", ledger.DefaultLimit, "At most this many incidents (0 for all)")
	cmdutil.AddListFlags(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(
		[]string{ledger.IncidentOpen, ledger.IncidentFixed}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if err := cmdutil.KnownFilters(ctx, st, opts.Filter.Customer, 0); err != nil {
		return err
	}
	incs, err := st.Incidents(ctx, opts.Filter)
	if err != nil {
		return err
	}
	now := opts.Now()
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, incs, func(inc ledger.Incident) view.Incident { return view.NewIncident(inc, now) })
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(incs) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No incidents match.")
			return err
		}
		t := cmdutil.NewTable(opts.IO, false, "ID", "TITLE", "SEVERITY", "STATUS", "REPORTED", "TIME TO FIX", "CUSTOMERS").
			FreeText("TITLE", "CUSTOMERS").Wide(opts.Output.Wide)
		for _, inc := range incs {
			ttf := "open for " + view.Duration(now.Sub(inc.ReportedAt))
			if d, ok := inc.TimeToFix(); ok {
				ttf = view.Duration(d)
			}
			t.Append(fmt.Sprint(inc.ID), inc.Title, inc.Severity, inc.Status(), view.HumanTime(inc.ReportedAt), ttf,
				strings.Join(inc.Customers, ", "))
		}
		return t.Render()
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "id", "title", "severity", "status", "started_at", "reported_at",
		"fixed_at", "time_to_fix_seconds", "customers")
	for _, inc := range incs {
		v := view.NewIncident(inc, now)
		var fixed, ttf string
		if v.FixedAt != nil {
			fixed, ttf = *v.FixedAt, fmt.Sprint(*v.TimeToFixSeconds)
		}
		t.Append(fmt.Sprint(inc.ID), inc.Title, inc.Severity, v.Status, v.StartedAt, v.ReportedAt, fixed, ttf,
			strings.Join(inc.Customers, ","))
	}
	return t.Render()
}
