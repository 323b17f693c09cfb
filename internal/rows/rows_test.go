package rows

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

var testSchema = Schema{
	Columns:  []string{"customer", "amount", "currency", "note"},
	Required: []string{"customer", "amount"},
}

type got struct {
	line int
	vals map[string]string
}

// readAll decodes in and returns the rows and the problems, as the import
// commands see them.
func readAll(t *testing.T, in string, f Format, s Schema, opts ...Option) ([]got, []string) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), f, opts...)
	if err != nil {
		return nil, []string{err.Error()}
	}
	if err := r.Bind(s); err != nil {
		return nil, []string{err.Error()}
	}
	var (
		rows     []got
		problems []string
	)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, problems
		}
		if err != nil {
			var fe *ledger.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v is not a FieldError", err)
			}
			problems = append(problems, err.Error())
			continue
		}
		g := got{line: row.Line, vals: map[string]string{}}
		for i, c := range s.Columns {
			if row.Has(i) {
				g.vals[c] = row.Get(i)
			}
		}
		rows = append(rows, g)
	}
}

func TestCSV(t *testing.T) {
	in := "\ufeffCustomer, amount ,note\r\nalice,25.00,\"two\r\nlines\"\r\n\r\nbob,3,\r\n"
	rows, problems := readAll(t, in, CSV, testSchema)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2: %+v", len(rows), rows)
	}
	if rows[0].line != 2 || rows[0].vals["customer"] != "alice" || rows[0].vals["amount"] != "25.00" || rows[0].vals["note"] != "two\nlines" {
		t.Errorf("row 1 = %+v", rows[0])
	}
	if _, ok := rows[0].vals["currency"]; ok {
		t.Errorf("currency is not in the header but Has says it is")
	}
	// The quoted note spans lines 2-3 and line 5 is blank, so bob is on 5.
	if rows[1].line != 5 || rows[1].vals["customer"] != "bob" {
		t.Errorf("row 2 = %+v, want bob on line 5", rows[1])
	}
}

func TestJSONL(t *testing.T) {
	in := "{\"customer\":\"alice\",\"amount\":25.5,\"note\":null}\n\n  {\"customer\":\"bob\",\"amount\":\"3\",\"currency\":\"EUR\"}\r\n"
	rows, problems := readAll(t, in, JSONL, testSchema)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(rows) != 2 || rows[0].vals["amount"] != "25.5" || rows[1].line != 3 || rows[1].vals["currency"] != "EUR" {
		t.Fatalf("rows = %+v", rows)
	}
	if _, ok := rows[0].vals["note"]; ok {
		t.Errorf("a null note counts as given")
	}
}

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		f        Format
		want     []string
	}{
		{"empty", "", CSV, []string{"line 1: file: is empty"}},
		{"only a BOM", "\ufeff", CSV, []string{"line 1: file: is empty"}},
		{"empty jsonl", "", JSONL, []string{"line 1: file: is empty"}},
		{"missing header", "alice,25.00\n", CSV, []string{`line 1: header: unknown column "alice"`}},
		{"unknown column", "customer,amount,colour\n", CSV, []string{`line 1: header: unknown column "colour"`}},
		{"missing column", "customer,note\n", CSV, []string{`line 1: header: missing column "amount"`}},
		{"twice", "customer,amount,Amount\n", CSV, []string{`line 1: header: column "Amount" appears twice`}},
		{"unnamed", "customer,amount,\n", CSV, []string{"line 1: header: column 3 has no name"}},
		{"field count", "customer,amount\na,1\nb,2,3\nc\nd,4\n", CSV, []string{
			"line 3: row: has 3 fields; the header has 2", "line 4: row: has 1 fields; the header has 2"}},
		{"bad utf-8", "customer,amount,note\na,1,caf\xe9\n", CSV, []string{"line 2: note: is not valid UTF-8"}},
		{"bad quote", "customer,amount\na,1\nb,\"2\"x\nc,3\n", CSV, []string{"line 3: row: column"}},
		{"jsonl utf-8", "{\"customer\":\"caf\xe9\",\"amount\":\"1\"}\n", JSONL, []string{"line 1: row: is not valid UTF-8"}},
		{"jsonl unknown key", "{\"customer\":\"a\",\"amount\":\"1\"}\n{\"customer\":\"a\",\"amt\":\"1\"}\n", JSONL, []string{"line 2: amt: is not a known key"}},
		{"jsonl missing", "{\"customer\":\"a\"}\n", JSONL, []string{"line 1: amount: is missing"}},
		{"jsonl key twice", "{\"customer\":\"a\",\"amount\":\"1\",\"amount\":\"1000\"}\n", JSONL,
			[]string{`line 1: amount: is given "amount" twice; give each key once`}},
		{"jsonl key in two cases", "{\"customer\":\"a\",\"amount\":\"1\"}\n{\"customer\":\"a\",\"amount\":\"1\",\" Amount\":9}\n", JSONL,
			[]string{`line 2: amount: is given as "amount" and as " Amount"; give each key once`}},
		{"jsonl unknown key twice", "{\"customer\":\"a\",\"amount\":1,\"X\":1,\"x\":2}\n", JSONL,
			[]string{`line 1: x: is given as "X" and as "x"`}},
		{"jsonl bool", "{\"customer\":\"a\",\"amount\":true}\n", JSONL, []string{"line 1: amount: must be a string or a number"}},
		{"jsonl array", "[1]\n{\"customer\":\"a\",\"amount\":1}\nnope\n", JSONL, []string{"line 1: row: is not a JSON object", "line 3: row: is not a JSON object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := readAll(t, tc.in, tc.f, testSchema)
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %q, want %q", problems, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(problems[i], w) {
					t.Errorf("problem %d = %q, want prefix %q", i, problems[i], w)
				}
			}
		})
	}
}

func TestRowTooLong(t *testing.T) {
	long := strings.Repeat("x", 20000) // well past the limit and encoding/csv's 4 KiB read-ahead
	in := "customer,amount,note\na,1,short\nb,2,\"" + long + "\"\nc,3,short\n"
	rows, problems := readAll(t, in, CSV, testSchema, MaxRowBytes(1000))
	if len(rows) != 1 || len(problems) != 1 || !strings.HasPrefix(problems[0], "line 3: row: is longer than 1000 bytes") {
		t.Fatalf("%d rows, problems %q", len(rows), problems)
	}
	in = "{\"customer\":\"a\",\"amount\":1}\n{\"customer\":\"b\",\"amount\":1,\"note\":\"" + long + "\"}\n"
	rows, problems = readAll(t, in, JSONL, testSchema, MaxRowBytes(1000))
	if len(rows) != 1 || len(problems) != 1 || !strings.HasPrefix(problems[0], "line 2: row: is longer than 1000 bytes") {
		t.Fatalf("%d rows, problems %q", len(rows), problems)
	}
}

func TestIgnoreUnknown(t *testing.T) {
	s := testSchema
	s.IgnoreUnknown = true
	rows, problems := readAll(t, "id,customer,amount,Delinquent\n1,a,2,false\n", CSV, s)
	if len(problems) > 0 || len(rows) != 1 || rows[0].vals["amount"] != "2" {
		t.Fatalf("%d rows, problems %q", len(rows), problems)
	}
}

func TestFormats(t *testing.T) {
	for name, want := range map[string]Format{"a.csv": CSV, "B.CSV": CSV, "x.jsonl": JSONL, "x.ndjson": JSONL} {
		if f, ok := FormatOf(name); !ok || f != want {
			t.Errorf("FormatOf(%q) = %q, %v", name, f, ok)
		}
	}
	if _, ok := FormatOf("-"); ok {
		t.Errorf("stdin has a format")
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
}
