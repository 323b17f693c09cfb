package cmdutil

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/iostreams"
)

// OutputFlags are the machine-output switches of a command.
type OutputFlags struct {
	JSON bool
	CSV  bool
}

// AddJSONFlag adds --json to a command that prints one record.
func AddJSONFlag(cmd *cobra.Command, o *OutputFlags) {
	cmd.Flags().BoolVar(&o.JSON, "json", false, "Print JSON")
}

// AddListFlags adds --json and --csv to a command that prints a list.
func AddListFlags(cmd *cobra.Command, o *OutputFlags) {
	AddJSONFlag(cmd, o)
	cmd.Flags().BoolVar(&o.CSV, "csv", false, "Print CSV with a header row")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
}

// WriteJSON prints v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// Table collects rows and prints them as a bordered table on a terminal,
// tab-separated rows when piped, or CSV with a header when asked.
type Table struct {
	io      *iostreams.IOStreams
	csv     bool
	headers []string
	rows    [][]string
	flex    int // column that shrinks to fit the terminal; -1 for none
}

// NewTable starts a table with the given column headers.
func NewTable(ios *iostreams.IOStreams, csv bool, headers ...string) *Table {
	return &Table{io: ios, csv: csv, headers: headers, flex: -1}
}

// Flex names the column (a free-text one, such as a note) that is cut so
// the table fits the terminal, instead of every column being squeezed.
func (t *Table) Flex(col int) { t.flex = col }

// Append adds a row; it must have as many cells as there are headers.
func (t *Table) Append(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows appended.
func (t *Table) Len() int { return len(t.rows) }

// Render prints the table to stdout.
func (t *Table) Render() error {
	w := t.io.Out
	switch {
	case t.csv:
		cw := csv.NewWriter(w)
		if err := cw.Write(t.headers); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
		if err := cw.WriteAll(t.rows); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
		return nil
	case !t.io.IsStdoutTTY():
		// Piped output is for cut, awk and while-read loops: no header, no
		// decoration, and no tabs or newlines inside a field.
		for _, r := range t.rows {
			clean := make([]string, len(r))
			for i, c := range r {
				clean[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
			}
			if _, err := fmt.Fprintln(w, strings.Join(clean, "\t")); err != nil {
				return fmt.Errorf("write rows: %w", err)
			}
		}
		return nil
	}
	t.fitFlex()
	tbl := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
	)
	tbl.Header(toAny(t.headers)...)
	for _, r := range t.rows {
		if err := tbl.Append(toAny(r)...); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// fitFlex cuts the flex column's cells to what the other columns leave of
// the terminal's width.
func (t *Table) fitFlex() {
	if t.flex < 0 || t.flex >= len(t.headers) {
		return
	}
	widths := make([]int, len(t.headers))
	for i, h := range t.headers {
		widths[i] = runewidth.StringWidth(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], runewidth.StringWidth(c))
			}
		}
	}
	used := 1 + 3*len(widths) // borders and padding: "│ a │ b │"
	for i, w := range widths {
		if i != t.flex {
			used += w
		}
	}
	room := max(t.io.TerminalWidth()-used, 8)
	for _, r := range t.rows {
		if t.flex < len(r) {
			r[t.flex] = Truncate(r[t.flex], room)
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Truncate cuts s to at most n runes, marking the cut with an ellipsis, and
// flattens line breaks so a cell stays on one line.
func Truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if runewidth.StringWidth(s) <= n {
		return s
	}
	return runewidth.Truncate(s, n, "…")
}
