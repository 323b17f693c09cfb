package apology

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultRulesValid(t *testing.T) {
	r := DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(r.BlameShifting) == 0 || len(r.StockPhrases) == 0 || len(r.PassiveVoice) == 0 || len(r.Hedging) == 0 {
		t.Fatal("empty default lists")
	}
	for _, p := range slices.Concat(r.BlameShifting, r.StockPhrases, r.PassiveVoice, r.Hedging) {
		if p.Suggestion == "" {
			t.Errorf("%q has no suggestion", p.Pattern)
		}
	}
}

func TestHonestApologyIsClean(t *testing.T) {
	for _, text := range []string{
		`Hi Ana,

On Tuesday from 09:10 to 11:40 UTC nobody could sign in. We shipped a bug in
the login form; that is on us. It was fixed at 11:40 and we've added a test so
it can't come back. We've credited $25.00 to your account, which covers your
next invoice.

Thank you for telling us so quickly — it helped us fix it fast.

Sam`,
		"Sign-in was down for two hours due to a bug we shipped. It's fixed, and we're sorry.",
		"The outage was due to a mistake in our deploy. We have rolled it back.",
	} {
		if got := Check(text, DefaultRules()); len(got) != 0 {
			t.Errorf("Check(%q) = %v, want clean", text, got)
		}
	}
	if got := Check("Sorry.", DefaultRules()); got == nil {
		t.Error("Check returned nil; JSON wants []")
	}
}

// Nothing to send is not a clean apology.
func TestEmptyTextIsAFinding(t *testing.T) {
	for _, text := range []string{"", "   \n\n  ", "\ufeff", "\t\r\n"} {
		got := Check(text, DefaultRules())
		if len(got) != 1 || got[0].Kind != KindEmpty || got[0].Line != 1 || got[0].Col != 1 {
			t.Errorf("Check(%q) = %v, want one empty finding at 1:1", text, got)
			continue
		}
		if s := got[0].String(); !strings.HasPrefix(s, "1:1: empty — there is nothing to send") {
			t.Errorf("Check(%q) prints %q", text, s)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // Finding.String() without the suggestion
	}{
		{
			name: "a supplier",
			text: "The delay came from a supplier.",
			want: []string{"1:23: blame-shifting: supplier"},
		},
		{
			name: "our provider",
			text: "Sorry — our provider had an outage.",
			want: []string{"1:9: blame-shifting: our provider"},
		},
		{
			name: "hosting provider",
			text: "Our hosting provider was down.",
			want: []string{"1:1: blame-shifting: Our hosting provider"},
		},
		{
			name: "vendor",
			text: "A vendor pushed a bad update.",
			want: []string{"1:3: blame-shifting: vendor"},
		},
		{
			name: "third party, spelled three ways",
			text: "a third party\na third-party\nThird   party, again",
			want: []string{
				"1:3: blame-shifting: third party",
				"2:3: blame-shifting: third-party",
				"3:1: blame-shifting: Third party",
			},
		},
		{
			name: "another team or department",
			text: "Another team owns billing. The billing department will look.",
			want: []string{
				"1:1: blame-shifting: Another team",
				"1:40: blame-shifting: department",
			},
		},
		{
			name: "circumstances beyond our control",
			text: "Due to circumstances beyond our control, sign-in failed.",
			want: []string{"1:1: blame-shifting: Due to circumstances beyond our control"},
		},
		{
			name: "beyond our control alone",
			text: "This was beyond our control.",
			want: []string{"1:10: blame-shifting: beyond our control"},
		},
		{
			name: "due to an issue with our",
			text: "It failed due to an issue with our database.",
			want: []string{"1:11: blame-shifting: due to an issue with"},
		},
		{
			name: "due to a problem at",
			text: "Emails bounced due to a problem at the data center.",
			want: []string{"1:16: blame-shifting: due to a problem at"},
		},
		{
			name: "due to the provider",
			text: "Payments failed due to the provider.",
			want: []string{"1:17: blame-shifting: due to the provider"},
		},
		{
			name: "due to does not reach past three words",
			text: "Due to a long and complicated bug, our sync stopped; the provider is fine.",
			want: []string{"1:58: blame-shifting: provider"},
		},
		{
			name: "we apologize for any inconvenience",
			text: "Hello,\nWe apologize for any inconvenience.",
			want: []string{"2:1: stock-phrase: We apologize for any inconvenience"},
		},
		{
			name: "sorry for any inconvenience this may have caused",
			text: "We are sorry for any inconvenience this may have caused.",
			want: []string{"1:8: stock-phrase: sorry for any inconvenience this may have caused"},
		},
		{
			name: "really sorry that you had to experience that",
			text: "FIXED. Really sorry that you had to experience that…",
			want: []string{"1:8: stock-phrase: Really sorry that you had to experience that"},
		},
		{
			name: "sorry that you had to experience that",
			text: "We're so sorry that you had to experience that.",
			want: []string{"1:10: stock-phrase: sorry that you had to experience that"},
		},
		{
			name: "we value your business",
			text: "We value your business and your call is important to us.",
			want: []string{
				"1:1: stock-phrase: We value your business",
				"1:28: stock-phrase: your call is important to us",
			},
		},
		{
			name: "case and punctuation variants",
			text: "WE APOLOGISE FOR ANY INCONVENIENCE!!! we-value-your-business",
			want: []string{
				"1:1: stock-phrase: WE APOLOGISE FOR ANY INCONVENIENCE",
				"1:39: stock-phrase: we-value-your-business",
			},
		},
		{
			name: "phrase split across a line break, start reported",
			text: "Thanks for writing. We apologize for any\ninconvenience. Our\nhosting provider had a bad day.",
			want: []string{
				"1:21: stock-phrase: We apologize for any inconvenience",
				"2:16: blame-shifting: Our hosting provider",
			},
		},
		{
			name: "columns count runes, not bytes",
			text: "Olá — ¡perdón! Our provider broke.",
			want: []string{"1:16: blame-shifting: Our provider"},
		},
		{
			name: "a sentence end breaks a phrase",
			text: "It was partly our fault. Partner teams helped. We value. Your business matters.",
			want: nil,
		},
		{
			name: "a blank line breaks a phrase",
			text: "we value your\n\nbusiness",
			want: nil,
		},
		{
			name: "overlapping rules give one finding",
			text: "This happened due to our provider.",
			want: []string{"1:15: blame-shifting: due to our provider"},
		},
		{
			name: "tabs and CRLF",
			text: "Hi,\r\n\tour vendor\r\nfailed",
			want: []string{"2:2: blame-shifting: our vendor"},
		},
		{
			name: "byte-order mark is not a column",
			text: "\ufeffour provider",
			want: []string{"1:1: blame-shifting: our provider"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range Check(tt.text, DefaultRules()) {
				if f.Suggestion == "" {
					t.Errorf("%v has no suggestion", f)
				}
				got = append(got, strings.SplitN(f.String(), " — ", 2)[0])
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Check(%q)\n got: %q\nwant: %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{Line: 3, Col: 12, Kind: KindBlameShifting, Phrase: "our provider",
		Suggestion: "say what happened and that it is yours to fix"}
	want := "3:12: blame-shifting: our provider — say what happened and that it is yours to fix"
	if f.String() != want {
		t.Errorf("got %q", f.String())
	}
	f.Suggestion = ""
	if f.String() != "3:12: blame-shifting: our provider" {
		t.Errorf("got %q", f.String())
	}
}

func TestCustomRules(t *testing.T) {
	r := Rules{
		BlameShifting: []Phrase{{Pattern: "the intern", Suggestion: "it is the company's mistake"}},
		StockPhrases:  []Phrase{{Pattern: "at your ... convenience", Suggestion: "be specific"}},
	}
	got := Check("The intern broke it. Reply at your earliest convenience.", r)
	if len(got) != 2 || got[0].Kind != KindBlameShifting || got[0].Col != 1 ||
		got[1].Kind != KindStockPhrase || got[1].Phrase != "at your earliest convenience" || got[1].Col != 28 {
		t.Errorf("got %v", got)
	}
}

func TestValidate(t *testing.T) {
	r := Rules{
		BlameShifting: []Phrase{{Pattern: "fine"}, {Pattern: "  "}},
		StockPhrases:  []Phrase{{Pattern: "... leading"}, {Pattern: "trailing ..."}, {Pattern: "a ... ... b"}, {Pattern: "--- *"}},
	}
	err := r.Validate()
	if err == nil {
		t.Fatal("invalid rules accepted")
	}
	for _, key := range []string{"blame_shifting[1]", "stock_phrases[0]", "stock_phrases[1]", "stock_phrases[2]", "stock_phrases[3]"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error lacks %s: %v", key, err)
		}
	}
	if strings.Contains(err.Error(), "blame_shifting[0]") {
		t.Errorf("valid pattern reported: %v", err)
	}
	// Check skips what Validate rejects instead of failing.
	if got := Check("fine leading", r); len(got) != 1 || got[0].Phrase != "fine" {
		t.Errorf("got %v", got)
	}
}

func TestPatternGap(t *testing.T) {
	r := Rules{StockPhrases: []Phrase{{Pattern: "a ... b", Suggestion: "s"}}}
	for text, want := range map[string]int{
		"a b":         1,
		"a x b":       1,
		"a x y z b":   1,
		"a w x y z b": 0, // four words is past MaxGap
		"a x. b":      0,
		"a x\nb":      1,
	} {
		if got := Check(text, r); len(got) != want {
			t.Errorf("Check(%q) = %v, want %d findings", text, got, want)
		}
	}
}

// FuzzCheck: any text, no panic, findings in order and inside the text.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "our provider", "due to an issue with\nour vendor", "\ufeff\r\n…", "a\u0301 third-party"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Count(text, "\n") + 1
		prev := Finding{Line: 1}
		for _, fd := range Check(text, DefaultRules()) {
			if fd.Line < prev.Line || fd.Line == prev.Line && fd.Col < prev.Col {
				t.Fatalf("out of order: %v after %v", fd, prev)
			}
			if fd.Line > lines || fd.Col < 1 || (fd.Phrase == "") != (fd.Kind == KindEmpty) || strings.ContainsAny(fd.Phrase, "\n\r") {
				t.Fatalf("bad finding %+v in %q", fd, text)
			}
			prev = fd
		}
	})
}
