// Package goodwill implements `makegood goodwill`: what to give a customer
// after something went wrong (suggest), and the policy behind it (policy).
// The judgement itself is pkg/goodwill; this package feeds it the ledger's
// history and the configured policy, and records the choice.
package goodwill

import (
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
)

// NewCmdGoodwill builds `makegood goodwill` and its verbs.
func NewCmdGoodwill(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "goodwill <command>",
		Short: "Suggest what to give after an incident, and show the policy behind it",
		Long: `goodwill suggest works out what to give a customer after something went
wrong: make-whole (the pro-rata price of the time lost), an SLA credit,
enough to cover the next invoice, and gestures without money, with a
recommendation that restores and then adds something extra. Every number
comes from the goodwill.* configuration; goodwill policy prints it.`,
	}
	cmd.AddCommand(
		NewCmdSuggest(f, nil),
		NewCmdPolicy(f, nil),
	)
	return cmd
}
