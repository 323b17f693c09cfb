package cmdutil

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"Alice Liddell":                   "Alice Liddell",
		"Zoë 日本 🎉":                        "Zoë 日本 🎉",
		"\x1b[31mred\x1b[0m":              "^[[31mred^[[0m",
		"\x1b]0;pwned\a":                  "^[]0;pwned^G",
		"a\tb\nc\r\nd":                    "a b c  d",
		"nul\x00del\x7f":                  "nul^@del^?",
		"csi\u009b2J":                     `csi\u009b2J`,
		"raw \x9b byte":                   `raw \x9b byte`,
		"cus_\u202eevil":                  `cus_\u202eevil`,
		"line\u2028sep":                   "line sep",
		"back\\slash stays":               "back\\slash stays",
		"\u200d joiner in 👩\u200d💻 stays": "\u200d joiner in 👩\u200d💻 stays",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscape: whatever the ledger holds, what Escape returns is valid
// UTF-8 with no control character and nothing that reorders text.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J", "\xff\xfe", "\u202e", "a\u0085b", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q: not UTF-8", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || isBidi(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Escape(%q) = %q keeps %U", s, got, r)
			}
		}
		if !needsEscape(s) && got != s {
			t.Fatalf("Escape(%q) = %q changed text that needed nothing", s, got)
		}
	})
}

func TestNeutralizeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1":                 "'+1",
		"-2":                 "'-2",
		"@x":                 "'@x",
		"\tx":                "'\tx",
		"\rx":                "'\rx",
		"'=x":                "''=x",
		"''+x":               "'''+x",
		"'quoted":            "'quoted",
		"'":                  "'",
		"Alice":              "Alice",
		"25.00":              "25.00",
		"a=b":                "a=b",
		"":                   "",
	} {
		got := NeutralizeCell(in)
		if got != want {
			t.Errorf("NeutralizeCell(%q) = %q, want %q", in, got, want)
		}
		if back := UnneutralizeCell(got); back != in {
			t.Errorf("UnneutralizeCell(%q) = %q, want %q back", got, back, in)
		}
	}
}

// FuzzNeutralize: every cell makegood writes reads back unchanged, and
// none starts with a character a spreadsheet takes for a formula.
func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{"=1+1", "'=1", "''", "-", "@", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NeutralizeCell(s)
		if n != "" && strings.ContainsRune(csvTriggers, rune(n[0])) {
			t.Fatalf("NeutralizeCell(%q) = %q starts with a formula character", s, n)
		}
		if back := UnneutralizeCell(n); back != s {
			t.Fatalf("round trip of %q: %q -> %q", s, n, back)
		}
	})
}

// TestCSVWriterNeutralizes reads the CSV back as a spreadsheet would get
// it: no cell starts with a formula character.
func TestCSVWriterNeutralizes(t *testing.T) {
	var b bytes.Buffer
	w := NewCSVWriter(&b, false)
	if err := w.Write([]string{"=cmd|' /C calc'!A0", "+1", "-2", "@x", "plain, with comma"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rec, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=cmd|' /C calc'!A0", "'+1", "'-2", "'@x", "plain, with comma"}
	if strings.Join(rec, "|") != strings.Join(want, "|") {
		t.Fatalf("cells %q, want %q", rec, want)
	}
}
