package credit

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
)

// ImportsOptions holds `credit imports`'s inputs.
type ImportsOptions struct {
	IO     *iostreams.IOStreams
	Store  func(context.Context) (ledger.Store, error)
	Output cmdutil.OutputFlags
}

// NewCmdImports builds `credit imports`.
func NewCmdImports(f *cmdutil.Factory, runF func(*ImportsOptions) error) *cobra.Command {
	opts := &ImportsOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "imports",
		Short: "List the files imported into the ledger, newest first",
		Long: `List every successful import, newest first: credit files (credit issue
--from-file) and customer files (customer import), with when, how many rows,
how many were written or already recorded, who ran it, and the file's
SHA-256. A table at a terminal; tab-separated rows (id, kind, at, source,
rows, written, already_recorded, operator, sha256) when piped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return importsRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddListFlags(cmd, &opts.Output)
	return cmd
}

func importsRun(ctx context.Context, opts *ImportsOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	imps, err := st.Imports(ctx)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		return cmdutil.WriteJSONList(opts.IO.Out, imps, view.NewImport)
	}
	if opts.IO.IsStdoutTTY() && !opts.Output.CSV {
		if len(imps) == 0 {
			_, err := fmt.Fprintln(opts.IO.ErrOut, "No imports yet.")
			return err
		}
		// Rows less written is what was already recorded, so the table
		// leaves that column to --wide and the JSON; the file's source
		// comes last, to give way.
		headers := []string{"ID", "KIND", "AT", "ROWS", "WRITTEN", "OPERATOR", "SHA-256", "SOURCE"}
		if opts.Output.Wide {
			headers = slices.Insert(headers, 5, "ALREADY")
		}
		t := cmdutil.NewTable(opts.IO, false, headers...).
			Numeric("ROWS", "WRITTEN").FreeText("OPERATOR", "SOURCE").Wide(opts.Output.Wide)
		for _, imp := range imps {
			cells := []string{fmt.Sprint(imp.ID), imp.Kind, view.HumanTime(imp.At), fmt.Sprint(imp.Rows), fmt.Sprint(imp.Written),
				imp.Operator, imp.SHA256[:8], imp.Source}
			if opts.Output.Wide {
				t.Numeric("ALREADY")
				cells = slices.Insert(cells, 5, fmt.Sprint(imp.AlreadyRecorded))
				cells[7] = imp.SHA256
			}
			t.Append(cells...)
		}
		return t.Render()
	}
	t := cmdutil.NewTable(opts.IO, opts.Output.CSV, "id", "kind", "at", "source", "rows", "written", "already_recorded", "operator", "sha256")
	for _, imp := range imps {
		v := view.NewImport(imp)
		t.Append(fmt.Sprint(v.ID), v.Kind, v.At, v.Source, fmt.Sprint(v.Rows), fmt.Sprint(v.Written),
			fmt.Sprint(v.AlreadyRecorded), imp.Operator, v.SHA256)
	}
	return t.Render()
}
