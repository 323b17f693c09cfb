// Package customer implements `makegood customer`: the people who pay you.
package customer

import (
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
)

// NewCmdCustomer builds `makegood customer` and its verbs.
func NewCmdCustomer(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "customer <command>",
		Short: "Add, edit, list and show customers",
	}
	cmd.AddCommand(
		NewCmdAdd(f, nil),
		NewCmdEdit(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdImport(f, nil),
	)
	return cmd
}
