package cmdutil

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
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

// WriteJSONList prints items as a JSON array, each shaped by shape: the
// --json output of every list command. An empty list prints [], not null.
func WriteJSONList[T, V any](w io.Writer, items []T, shape func(T) V) error {
	out := make([]V, len(items))
	for i, it := range items {
		out[i] = shape(it)
	}
	return WriteJSON(w, out)
}

// Table collects rows and prints them as a bordered table on a terminal,
// tab-separated rows when piped, or CSV with a header when asked.
type Table struct {
	io      *iostreams.IOStreams
	csv     bool
	headers []string
	rows    [][]string
}

// NewTable starts a table with the given column headers.
func NewTable(ios *iostreams.IOStreams, csv bool, headers ...string) *Table {
	return &Table{io: ios, csv: csv, headers: headers}
}

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
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
	}
	if widths := fitWidths(t.headers, t.rows, t.io.TerminalWidth()); widths != nil {
		opts = append(opts, tablewriter.WithColumnWidths(widths))
	}
	tbl := tablewriter.NewTable(w, opts...)
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

// fitWidths returns column widths that fit the table in width characters by
// narrowing the last column, then the widest, or nil when it fits as it is. Short
// columns such as dates and amounts stay whole: tablewriter's WithMaxWidth
// gives every column an equal share instead, which cut "2026-11-24 10:00"
// and customer ids in half on a 100-column terminal.
func fitWidths(headers []string, rows [][]string, width int) tw.Mapper[int, int] {
	// A cell is its text plus a space either side; a column never shrinks
	// below minCell, so it still shows the start of its text.
	const pad, minCell = 2, 8
	cols := make([]int, len(headers))
	for i, h := range headers {
		cols[i] = twwidth.Width(h) + pad
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(cols) {
				cols[i] = max(cols[i], twwidth.Width(c)+pad)
			}
		}
	}
	// One border character before each column and one after the last.
	total := len(cols) + 1
	for _, c := range cols {
		total += c
	}
	if total <= width {
		return nil
	}
	// The last column is by convention free text (a note, a reason): it
	// gives way first, so ids, amounts and dates stay whole.
	last := len(cols) - 1
	if shrink := min(total-width, cols[last]-minCell); shrink > 0 {
		cols[last] -= shrink
		total -= shrink
	}
	for total > width {
		widest := 0
		for i, c := range cols {
			if c > cols[widest] {
				widest = i
			}
		}
		if cols[widest] <= minCell {
			break
		}
		cols[widest]--
		total--
	}
	m := tw.NewMapper[int, int]()
	for i, c := range cols {
		m.Set(i, c)
	}
	return m
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
