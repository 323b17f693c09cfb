package cmdutil

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/iostreams"
)

// OutputFlags are the machine-output switches of a command.
type OutputFlags struct {
	JSON bool
	CSV  bool
	// Wide shows every table cell whole at a terminal instead of cutting
	// free text to fit.
	Wide bool
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
	AddWideFlag(cmd, o)
}

// AddWideFlag adds --wide to a command that prints a table at a terminal.
func AddWideFlag(cmd *cobra.Command, o *OutputFlags) {
	cmd.Flags().BoolVar(&o.Wide, "wide", false, "At a terminal, show every column whole instead of fitting the table to the width")
}

// WriteJSON prints v as indented JSON followed by a newline.
//
// encoding/json escapes C0 controls itself; the C1 controls and the
// bidirectional marks it leaves raw (valid JSON, but a U+009B is a CSI to
// some terminals) are written as \u escapes too, which decode to the same
// text, so JSON read at a terminal is as safe as a table.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	out := buf.Bytes()
	if bytes.IndexFunc(out, func(r rune) bool { return isC1(r) || isBidi(r) }) >= 0 {
		var esc bytes.Buffer
		for _, r := range string(out) {
			if isC1(r) || isBidi(r) {
				fmt.Fprintf(&esc, `\u%04x`, r)
				continue
			}
			esc.WriteRune(r)
		}
		out = esc.Bytes()
	}
	if _, err := w.Write(out); err != nil {
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

// Table collects rows and prints them the way the output goes: at a
// terminal a borderless table aligned like gh's (a header, then rows,
// columns two spaces apart, amounts right-aligned, free text cut with … so the
// table fits the terminal); when piped, tab-separated rows without a header;
// with --csv, CSV with a header for spreadsheets. Every cell from the
// ledger passes through Escape at a terminal and when piped, and through
// NeutralizeCell in CSV: this is the one writer of tables, so no command
// can forget either.
type Table struct {
	io      *iostreams.IOStreams
	csv     bool
	wide    bool
	headers []string
	numeric map[int]bool
	text    map[int]bool
	rows    [][]string
	err     error
}

// NewTable starts a table with the given column headers.
func NewTable(ios *iostreams.IOStreams, csv bool, headers ...string) *Table {
	return &Table{io: ios, csv: csv, headers: headers, numeric: map[int]bool{}, text: map[int]bool{}}
}

// Numeric marks columns of amounts and counts: right-aligned at a
// terminal, so digits line up, and never cut.
func (t *Table) Numeric(headers ...string) *Table { t.mark(t.numeric, headers); return t }

// FreeText marks the columns of free text (a note, a title, a name) that
// may be cut, with …, to fit the terminal. Every other column (ids, dates,
// amounts, statuses) is always shown whole.
func (t *Table) FreeText(headers ...string) *Table { t.mark(t.text, headers); return t }

// Wide turns off cutting: --wide shows every cell whole, however wide the
// table gets.
func (t *Table) Wide(on bool) *Table { t.wide = on; return t }

func (t *Table) mark(set map[int]bool, headers []string) {
	for _, h := range headers {
		i := slices.Index(t.headers, h)
		if i < 0 {
			t.err = fmt.Errorf("table has no column %q", h)
			continue
		}
		set[i] = true
	}
}

// Append adds a row; it must have as many cells as there are headers.
func (t *Table) Append(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows appended.
func (t *Table) Len() int { return len(t.rows) }

// Render prints the table to stdout.
func (t *Table) Render() error {
	if t.err != nil {
		return t.err
	}
	w := t.io.Out
	switch {
	case t.csv:
		cw := NewCSVWriter(w, t.io.IsStdoutTTY())
		if err := cw.Write(t.headers); err != nil {
			return err
		}
		for _, r := range t.rows {
			if err := cw.Write(r); err != nil {
				return err
			}
		}
		return cw.Flush()
	case !t.io.IsStdoutTTY():
		// Piped output is for cut, awk and while-read loops: no header, no
		// decoration, and no tabs, newlines or escapes inside a field.
		b := bufio.NewWriter(w)
		for _, r := range t.rows {
			for i, c := range r {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(Escape(c))
			}
			b.WriteByte('\n')
		}
		if err := b.Flush(); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
		return nil
	}
	return t.renderTerminal(w)
}

// columnGap is the space between columns, as in gh's tables.
const columnGap = "  "

func (t *Table) renderTerminal(w io.Writer) error {
	n := len(t.headers)
	if n == 0 {
		return nil
	}
	rows := make([][]string, len(t.rows))
	for i, r := range t.rows {
		rows[i] = make([]string, len(t.headers))
		for j := range rows[i] {
			if j < len(r) {
				rows[i][j] = Escape(r[j])
			}
		}
	}
	if !t.wide {
		widths := fitWidths(t.headers, rows, t.text, t.io.TerminalWidth())
		for _, r := range rows {
			for j := range r {
				r[j] = cut(r[j], widths[j])
			}
		}
	}

	align := make([]tw.Align, n)
	pad := make([]tw.Padding, n)
	for j := range n {
		align[j] = tw.AlignLeft
		if t.numeric[j] {
			align[j] = tw.AlignRight
		}
		pad[j] = tw.Padding{Right: columnGap, Overwrite: true}
	}
	pad[n-1] = tw.PaddingNone
	cells := tw.CellConfig{
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align},
		Padding:    tw.CellPadding{Global: tw.Padding{Right: columnGap, Overwrite: true}, PerColumn: pad},
		Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone, AutoFormat: tw.Off},
	}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithHeaderConfig(cells),
		tablewriter.WithRowConfig(cells),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tbl.Header(toAny(t.headers)...)
	for _, r := range rows {
		if err := tbl.Append(toAny(r)...); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	// The last column is padded to its width; a line ends where its text
	// does.
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	if _, err := io.WriteString(w, out.String()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// minTextWidth is as narrow as a free-text column gets: enough to show the
// start of the text ("Alice…") and its header.
const minTextWidth = 6

// fitWidths returns each column's width so the table fits in width
// characters: free-text columns give way, widest first, down to
// minTextWidth (or their header); every other column keeps its natural
// width. When even that does not fit, the table is as narrow as it can be
// and the terminal wraps it: an id or an amount is never cut.
func fitWidths(headers []string, rows [][]string, text map[int]bool, width int) []int {
	cols := make([]int, len(headers))
	floor := make([]int, len(headers))
	for j, h := range headers {
		cols[j] = twwidth.Width(h)
		floor[j] = max(cols[j], minTextWidth)
	}
	for _, r := range rows {
		for j, c := range r {
			cols[j] = max(cols[j], twwidth.Width(c))
		}
	}
	total := len(columnGap) * (len(cols) - 1)
	for _, c := range cols {
		total += c
	}
	for total > width {
		widest := -1
		for j, c := range cols {
			if text[j] && c > floor[j] && (widest < 0 || c > cols[widest]) {
				widest = j
			}
		}
		if widest < 0 {
			break
		}
		cols[widest]--
		total--
	}
	return cols
}

// cut shortens s to at most n columns of the terminal, ending in … when it
// had to cut.
func cut(s string, n int) string {
	if twwidth.Width(s) <= n {
		return s
	}
	const ellipsis = "…"
	budget := n - twwidth.Width(ellipsis)
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := twwidth.Width(string(r))
		if used+rw > budget {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	return strings.TrimRight(b.String(), " ") + ellipsis
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Plural is a count with its noun: "1 note", "3 notes".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// CSVWriter writes CSV meant for spreadsheets: every cell is neutralized
// (NeutralizeCell) so none runs as a formula. Every CSV makegood prints
// (--csv lists, the card sheets of thanks send --via print) goes through it.
type CSVWriter struct {
	w        *csv.Writer
	terminal bool
}

// NewCSVWriter writes CSV to w. On a terminal (a CSV looked at, not saved)
// cells are escaped too, as in a table; in a file they stay as they are,
// so the CSV reads back exactly.
func NewCSVWriter(w io.Writer, terminal bool) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), terminal: terminal}
}

// Write writes one record.
func (c *CSVWriter) Write(cells []string) error {
	safe := make([]string, len(cells))
	for i, s := range cells {
		if c.terminal {
			s = Escape(s)
		}
		safe[i] = NeutralizeCell(s)
	}
	if err := c.w.Write(safe); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// Flush writes what is buffered and reports any error of earlier writes.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// Labels builds the "key: value" lines of a show command, values aligned
// after the widest key a command uses. Empty values are left out; every
// value is escaped (Escape), and a value of several lines (an incident's
// "what") continues on indented lines.
type Labels struct {
	b     strings.Builder
	width int
}

// NewLabels starts a block whose keys, with their colon, are padded to
// width characters, then a space, then the value.
func NewLabels(width int) *Labels { return &Labels{width: width} }

// Add writes key: value, or nothing when value is empty.
func (l *Labels) Add(key, value string) {
	if value == "" {
		return
	}
	for i, line := range EscapeLines(value) {
		k := ""
		if i == 0 {
			k = key + ":"
		}
		l.b.WriteString(strings.TrimRight(fmt.Sprintf("%-*s %s", l.width, k, line), " "))
		l.b.WriteByte('\n')
	}
}

// String is the block, one line per field.
func (l *Labels) String() string { return l.b.String() }
