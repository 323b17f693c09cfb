// Package incident implements `makegood incident`: opening, fixing, listing
// and showing incidents, with time-to-fix and, per affected customer,
// time-to-apology and what was given.
package incident

import (
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
)

// NewCmdIncident builds `makegood incident` and its verbs.
func NewCmdIncident(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident <command>",
		Short: "Open, fix, list and show incidents",
		Long: `An incident is something that went wrong: what happened, when it started,
when it was reported, when it was fixed, and who it affected. Credits,
gestures and apologies name the incident they are for, so that incident show
can tell how fast you fixed it, how fast each customer heard from you, and
what each was given.

Incidents are append-only like the rest of the ledger: a fix is recorded
once, and nothing is edited or deleted.`,
	}
	cmd.AddCommand(
		NewCmdOpen(f, nil),
		NewCmdFix(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
	)
	return cmd
}

func parseID(s string) (int64, error) { return ledger.ParseIncidentID("ID", s) }
