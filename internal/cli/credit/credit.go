// Package credit implements `makegood credit`: issuing, listing, voiding,
// applying and summing credits.
package credit

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
)

// NewCmdCredit builds `makegood credit` and its verbs.
func NewCmdCredit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credit <command>",
		Short: "Issue, list, void, apply and sum credits",
		Long: `Credits are money owed back to a customer, toward their next invoice. The
ledger is append-only: a void or a use is a new entry, never an edit.`,
	}
	cmd.AddCommand(
		NewCmdIssue(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdVoid(f, nil),
		NewCmdApply(f, nil),
		NewCmdBalance(f, nil),
		NewCmdImports(f, nil),
	)
	return cmd
}

// parseID reads a credit id argument.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ledger.Fieldf("ID", "%q is not a credit id (a positive number, as credit list shows)", s)
	}
	return id, nil
}
