package cmdutil

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the actual output")

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, *update)
}

func terminal(width int) (*iostreams.IOStreams, *bytes.Buffer) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(width)
	return ios, out
}

// credits is a credit list as it looks in a real ledger: ids, amounts in
// two currencies, a long note and a gesture.
func credits(ios *iostreams.IOStreams, wide bool) *Table {
	t := NewTable(ios, false, "ID", "CUSTOMER", "AMOUNT", "STATUS", "REMAINING", "ISSUED", "DETAIL").
		Numeric("AMOUNT", "REMAINING").FreeText("DETAIL").Wide(wide)
	t.Append("12", "cus_NffrFeUfNV2Hib", "$1,250.00", "open", "$1,250.00", "2026-11-24",
		"outage: EU cluster down for nine hours on Monday; the customer lost a day of invoicing")
	t.Append("3", "kenji", "¥2,500", "applied", "¥0", "2026-11-20", "delay")
	t.Append("2", "alice@example.com", "gesture", "given", "", "2026-11-19", "goodwill: a handwritten card: for being with us")
	return t
}

func TestTableAt80Columns(t *testing.T) {
	ios, out := terminal(80)
	if err := credits(ios, false).Render(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tables/credits-80.golden", out.String())
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if w := twwidth.Width(line); w > 80 {
			t.Errorf("line of %d columns: %q", w, line)
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
	for _, whole := range []string{"cus_NffrFeUfNV2Hib", "$1,250.00", "2026-11-24", "¥2,500"} {
		if !strings.Contains(out.String(), whole) {
			t.Errorf("%q was cut:\n%s", whole, out)
		}
	}
}

func TestTableWide(t *testing.T) {
	ios, out := terminal(80)
	if err := credits(ios, true).Render(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tables/credits-wide.golden", out.String())
	if !strings.Contains(out.String(), "lost a day of invoicing") {
		t.Errorf("--wide cut the note:\n%s", out)
	}
}

// TestTableCutsTheWidestFreeTextFirst: of two free-text columns, the wider
// gives way first, and neither goes below its header.
func TestTableCutsTheWidestFreeTextFirst(t *testing.T) {
	ios, out := terminal(60)
	tbl := NewTable(ios, false, "ID", "TITLE", "STATUS", "CUSTOMERS").FreeText("TITLE", "CUSTOMERS")
	tbl.Append("1", "Login outage after Monday's deploy broke sessions", "open", "alice@example.com, bob@example.com")
	tbl.Append("2", "Slow exports", "fixed", "carol")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "tables/two-free-text-60.golden", out.String())
}

// TestTableTooNarrowKeepsIDs: when the fixed columns alone are wider than
// the terminal, free text stops at its floor and nothing else is cut.
func TestTableTooNarrowKeepsIDs(t *testing.T) {
	ios, out := terminal(30)
	tbl := NewTable(ios, false, "CUSTOMER", "AMOUNT", "NOTE").Numeric("AMOUNT").FreeText("NOTE")
	tbl.Append("a-very-long-customer-id@example.com", "$25.00", "a long note that has to give way")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	want := "CUSTOMER                             AMOUNT  NOTE\n" +
		"a-very-long-customer-id@example.com  $25.00  a lon…\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

// TestTableEscapes: a name holding terminal escape sequences reaches the
// terminal, the pipe and the cut as visible text, never as an escape.
func TestTableEscapes(t *testing.T) {
	evil := "Mallory\x1b[2J\x1b]0;pwned\a\u202e"
	ios, out := terminal(80)
	tbl := NewTable(ios, false, "ID", "NAME").FreeText("NAME")
	tbl.Append("m", evil)
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	if want := "ID  NAME\nm   Mallory^[[2J^[]0;pwned^G\\u202e\n"; out.String() != want {
		t.Errorf("terminal: got %q, want %q", out, want)
	}

	ios, out = terminal(80)
	ios.SetStdoutTTY(false)
	tbl = NewTable(ios, false, "id", "name")
	tbl.Append("m", evil+"\tsecond\nline")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	if want := "m\tMallory^[[2J^[]0;pwned^G\\u202e second line\n"; out.String() != want {
		t.Errorf("piped: got %q, want %q", out, want)
	}
}

// TestTableCSV: CSV keeps text as it is (a spreadsheet shows no escapes)
// but neutralizes formulas.
func TestTableCSV(t *testing.T) {
	ios, out := terminal(80)
	tbl := NewTable(ios, true, "id", "name")
	tbl.Append("=cmd|' /C calc'!A0", "Zoë")
	tbl.Append("-2", "+1")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	if want := "id,name\n'=cmd|' /C calc'!A0,Zoë\n'-2,'+1\n"; out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestTableUnknownColumn(t *testing.T) {
	ios, _ := terminal(80)
	if err := NewTable(ios, false, "ID").FreeText("NOTE").Render(); err == nil {
		t.Fatal("a column that is not there was accepted")
	}
}

func TestLabels(t *testing.T) {
	l := NewLabels(8)
	l.Add("id", "3")
	l.Add("empty", "")
	l.Add("what", "First line\x1b[1m\n\nthird")
	want := "id:      3\nwhat:    First line^[[1m\n\n         third\n"
	if l.String() != want {
		t.Errorf("got %q, want %q", l.String(), want)
	}
}

// TestWriteJSONEscapesControls: what JSON leaves raw is escaped, and the
// text decodes back exactly.
func TestWriteJSONEscapesControls(t *testing.T) {
	in := map[string]string{"note": "a\x1b[2Jb\u009bc\u202ed\u2066e — ok"}
	var b bytes.Buffer
	if err := WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	if want := `"a\u001b[2Jb\u009bc\u202ed\u2066e — ok"`; !strings.Contains(b.String(), want) {
		t.Fatalf("got %s, want %s in it", b.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["note"] != in["note"] {
		t.Fatalf("decoded %q (%v), want %q", back["note"], err, in["note"])
	}
}
