package rows

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeAll reads every row of in, checking what must hold for any input:
// no panic, reading ends, lines only move forward, accepted values are
// UTF-8. It returns the accepted rows' values in schema order, and which
// of them the row gave.
func decodeAll(t *testing.T, in []byte, f Format) ([][]string, [][]bool) {
	r, err := NewReader(bytes.NewReader(in), f, MaxRowBytes(4096))
	if err != nil {
		return nil, nil
	}
	if err := r.Bind(testSchema); err != nil {
		return nil, nil
	}
	var (
		out  [][]string
		has  [][]bool
		last int
	)
	for calls := 0; ; calls++ {
		if calls > len(in)+2 {
			t.Fatalf("Next did not reach io.EOF after %d calls on %d bytes", calls, len(in))
		}
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, has
		}
		if err != nil {
			continue
		}
		if row.Line <= last {
			t.Fatalf("row on line %d follows one on line %d", row.Line, last)
		}
		last = row.Line
		vals := make([]string, len(testSchema.Columns))
		given := make([]bool, len(vals))
		for i := range vals {
			given[i] = row.Has(i)
			vals[i] = row.Get(i)
			if !utf8.ValidString(vals[i]) {
				t.Fatalf("line %d: accepted invalid UTF-8 %q", row.Line, vals[i])
			}
			if !row.Has(i) && vals[i] != "" {
				t.Fatalf("line %d: column %d absent but has value %q", row.Line, i, vals[i])
			}
		}
		out = append(out, vals)
		has = append(has, given)
	}
}

// FuzzCSV decodes arbitrary bytes as CSV, then checks that what it accepted
// survives being written out and read back.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("customer,amount\nalice,25.00\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, _ := decodeAll(t, in, CSV)
		if len(got) == 0 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(testSchema.Columns)
		_ = w.WriteAll(got)
		again, _ := decodeAll(t, buf.Bytes(), CSV)
		sameRows(t, got, again)
	})
}

// FuzzJSONL decodes arbitrary bytes as JSON Lines and checks the accepted
// rows round-trip through encoding/json.
func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"customer":"alice","amount":"25.00"}` + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, given := decodeAll(t, in, JSONL)
		var buf bytes.Buffer
		for n, vals := range got {
			m := map[string]string{}
			for i, c := range testSchema.Columns {
				if given[n][i] {
					m[c] = vals[i]
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		if len(got) == 0 {
			return
		}
		again, _ := decodeAll(t, buf.Bytes(), JSONL)
		sameRows(t, got, again)
	})
}

// sameRows fails unless rows written out and read back are what they were.
func sameRows(t *testing.T, got, again [][]string) {
	t.Helper()
	if len(again) != len(got) {
		t.Fatalf("round trip: %d rows became %d", len(got), len(again))
	}
	for i := range got {
		for j := range got[i] {
			if again[i][j] != got[i][j] {
				t.Fatalf("round trip row %d col %d: %q became %q", i, j, got[i][j], again[i][j])
			}
		}
	}
}

// FuzzJSONLFlat checks the fast decoding of the usual JSON Lines row
// against encoding/json: whatever it accepts, encoding/json reads the same.
func FuzzJSONLFlat(f *testing.F) {
	for _, s := range []string{
		`{"customer":"alice","amount":"25.00"}`,
		` { "Customer" : "a" , "amount": -1.5e+3, "note": null } `,
		`{"customer":"a","amount":01}`,
		`{"customer":"a","customer":"b","amount":1}`,
		`{"customer":"caf\u00e9","amount":"1"}`,
		`{"customer":"a","amount":1,}`,
		`{}`,
		`{"amount":-}`,
		`{"amount":1.}`,
		`{"amount":nul}`,
		"{\"note\":\"tab\there\",\"amount\":1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if !utf8.Valid(line) {
			return
		}
		fast := &Reader{format: JSONL}
		if err := fast.Bind(testSchema); err != nil {
			t.Fatal(err)
		}
		if !fast.decodeFlat(line) {
			return
		}
		slow := &Reader{format: JSONL}
		if err := slow.Bind(testSchema); err != nil {
			t.Fatal(err)
		}
		if err := slow.decodeObject(1, line); err != nil {
			t.Fatalf("%q: decoded fast, but encoding/json says %v", line, err)
		}
		for i := range fast.vals {
			if fast.vals[i] != slow.vals[i] || fast.has[i] != slow.has[i] {
				t.Fatalf("%q column %d: fast %q (%v), encoding/json %q (%v)", line, i, fast.vals[i], fast.has[i], slow.vals[i], slow.has[i])
			}
		}
	})
}

// FuzzJSONLDuplicateKeys checks that no row is accepted with a key given
// twice, as columns match (without regard to case or spaces), by the fast
// path or by encoding/json's, and that such a line, otherwise valid, is
// refused naming its line.
func FuzzJSONLDuplicateKeys(f *testing.F) {
	for _, s := range []string{
		`{"customer":"a","amount":"1"}`,
		`{"customer":"a","amount":"1","amount":"1000"}`,
		`{"customer":"a","Amount":"1","amount":"1000"}`,
		`{"customer":"a","amount":1," AMOUNT ":2}`,
		`{"customer":"a","amount":1,"note":"x","NOTE":null}`,
		`{"customer":"a","amount":1,"note":"caf\u00e9","Note":"b"}`,
		`{"customer":"a","customer":"a","amount":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if !utf8.Valid(line) || bytes.ContainsAny(line, "\r\n") {
			return
		}
		r, err := NewReader(bytes.NewReader(append(line, '\n')), JSONL)
		if err != nil {
			return
		}
		if err := r.Bind(testSchema); err != nil {
			t.Fatal(err)
		}
		_, err = r.Next()
		dup := duplicatedColumn(line)
		switch {
		case err == nil && dup != "":
			t.Fatalf("%q: accepted with %s given twice", line, dup)
		case err != nil && dup != "" && !errors.Is(err, io.EOF):
			if !strings.HasPrefix(err.Error(), "line 1: ") {
				t.Fatalf("%q: %v does not name the line", line, err)
			}
		}
	})
}

// duplicatedColumn is a known column that an object gives twice, found
// with encoding/json's tokenizer rather than the package's code; "" when
// none is, or the line is no object.
func duplicatedColumn(line []byte) string {
	if !json.Valid(line) {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := t.(string)
		for _, c := range testSchema.Columns {
			if strings.EqualFold(strings.TrimSpace(k), c) {
				if seen[c] {
					return c
				}
				seen[c] = true
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
