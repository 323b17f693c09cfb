package apology

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

// ListOptions holds `apology list`'s inputs.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Store    func(context.Context) (ledger.Store, error)
	Now      func() time.Time
	Customer string
	Incident string
	Limit    int
	Output   cmdutil.OutputFlags

	filter ledger.ApologyFilter
}

// NewCmdList builds `apology list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List recorded apologies, newest first",
		Long: `List the apologies recorded, newest first. A table at a terminal;
tab-separated rows (id, customer, incident, recorded_at, via, status, body
with line breaks as spaces) when piped; --json or --csv (body as written)
for scripts.

Status is where its delivery stands: queued (recorded, to be sent with
apology send), sending (a run is delivering it now), unknown (a run
claimed it and stopped without knowing whether it arrived: see apology
send --resend-unknown and --mark-sent), failed, in_outbox (written to the
outbox, to be sent from there) or sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.filter = ledger.ApologyFilter{Customer: opts.Customer, Limit: opts.Limit}
			if opts.Customer != "" {
				if err := ledger.ValidateID("--customer", opts.Customer); err != nil {
					return err
				}
			}
			if opts.Incident != "" {
				id, err := ledger.ParseIncidentID("--incident", opts.Incident)
				if err != nil {
					return err
				}
				opts.filter.Incident = id
			}
			if opts.Limit < 0 {
				return ledger.Fieldf("--limit", "must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Only apologies to this customer")
	fl.StringVar(&opts.Incident, "incident", "", "Only apologies for this incident")
	fl.IntVar(&opts.Limit, "limit", ledger.DefaultLimit, "At most this many apologies (0 for all)")
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if err := cmdutil.KnownFilters(ctx, st, opts.filter.Customer, opts.filter.Incident); err != nil {
		return err
	}
	as, err := st.Apologies(ctx, opts.filter)
	if err != nil {
		return err
	}
	cmdutil.LiveApologyStatuses(as, opts.Now())
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, as, view.NewApology)
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(as) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No apologies match.")
			return err
		}
		t := cmdutil.NewTable(opts.IO, false, "ID", "CUSTOMER", "INCIDENT", "SENT", "VIA", "STATUS", "TEXT").
			FreeText("TEXT").Wide(opts.Output.Wide)
		for _, a := range as {
			t.Append(fmt.Sprint(a.ID), a.Customer, fmt.Sprint(a.Incident), view.HumanTime(a.RecordedAt),
				a.Via, a.Status, strings.Join(strings.Fields(a.Body), " "))
		}
		return t.Render()
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "id", "customer", "incident", "recorded_at", "via", "status", "body")
	for _, a := range as {
		v := view.NewApology(a)
		body := v.Body
		if !opts.Output.CSV {
			body = strings.Join(strings.Fields(body), " ")
		}
		t.Append(fmt.Sprint(a.ID), a.Customer, fmt.Sprint(a.Incident), v.RecordedAt, a.Via, a.Status, body)
	}
	return t.Render()
}
