package apology

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Finding kinds.
const (
	KindBlameShifting = "blame-shifting"
	KindStockPhrase   = "stock-phrase"
	KindPassiveVoice  = "passive-voice"
	KindHedging       = "hedging"
	// KindEmpty is a text with no words: nothing to send is not a clean
	// apology.
	KindEmpty = "empty"
)

// emptySuggestion is what an empty text is told.
const emptySuggestion = "there is nothing to send: say what happened, that you are sorry, and what you did about it"

// MaxGap is how many words a "..." in a pattern may stand for. Three is
// enough for "due to a temporary issue with" and short enough that "due to"
// does not reach into the next clause.
const MaxGap = 3

// Rules are the phrase lists Check looks for. They are data: DefaultRules
// gives the built-in lists, and the tags let viper or YAML load others.
type Rules struct {
	BlameShifting []Phrase `json:"blame_shifting" yaml:"blame_shifting" mapstructure:"blame_shifting"`
	StockPhrases  []Phrase `json:"stock_phrases" yaml:"stock_phrases" mapstructure:"stock_phrases"`
	// PassiveVoice is passive voice that hides who did it ("mistakes were
	// made", "an error occurred").
	PassiveVoice []Phrase `json:"passive_voice" yaml:"passive_voice" mapstructure:"passive_voice"`
	// Hedging makes what happened smaller or less certain than it was
	// ("may have experienced", "some users", "a small number of").
	Hedging []Phrase `json:"hedging" yaml:"hedging" mapstructure:"hedging"`
}

// Phrase is one pattern and what to write instead. See the package
// documentation for the pattern syntax.
type Phrase struct {
	Pattern    string `json:"pattern" yaml:"pattern" mapstructure:"pattern"`
	Suggestion string `json:"suggestion" yaml:"suggestion" mapstructure:"suggestion"`
}

// Finding is one phrase found in a text.
type Finding struct {
	Line       int    `json:"line"` // 1-based
	Col        int    `json:"col"`  // 1-based, in runes
	Kind       string `json:"kind"` // KindBlameShifting or KindStockPhrase
	Phrase     string `json:"phrase"`
	Suggestion string `json:"suggestion"`
}

// String is the one-line form `apology check` prints:
// "3:12: blame-shifting: our provider — say what happened and that it is yours to fix".
func (f Finding) String() string {
	s := fmt.Sprintf("%d:%d: %s: %s", f.Line, f.Col, f.Kind, f.Phrase)
	if f.Phrase == "" {
		s = fmt.Sprintf("%d:%d: %s", f.Line, f.Col, f.Kind)
	}
	if f.Suggestion != "" {
		s += " — " + f.Suggestion
	}
	return s
}

// Validate reports patterns Check cannot use, naming each by its list and
// index ("stock_phrases[3].pattern"), so a bad configuration is caught when
// it is loaded rather than silently matching nothing.
func (r Rules) Validate() error {
	var errs []error
	for _, list := range r.lists() {
		for i, p := range list.phrases {
			if _, err := compile(p.Pattern); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d].pattern %q: %w", list.key, i, p.Pattern, err))
			}
		}
	}
	return errors.Join(errs...)
}

type list struct {
	key, kind string
	phrases   []Phrase
}

func (r Rules) lists() []list {
	return []list{
		{"blame_shifting", KindBlameShifting, r.BlameShifting},
		{"stock_phrases", KindStockPhrase, r.StockPhrases},
		{"passive_voice", KindPassiveVoice, r.PassiveVoice},
		{"hedging", KindHedging, r.Hedging},
	}
}

// Check finds the rules' phrases in text and returns them sorted by position.
// Patterns that do not compile (see Rules.Validate) are skipped. Where
// matches overlap, the one that starts first wins, then the longest, so
// "due to our provider" is one finding rather than two. A text of nothing
// but white space is one finding of KindEmpty at 1:1, with no phrase. The
// result is never nil, so that JSON shows [] for a clean text.
func Check(text string, r Rules) []Finding {
	if strings.TrimSpace(strings.TrimPrefix(text, "\uFEFF")) == "" {
		return []Finding{{Line: 1, Col: 1, Kind: KindEmpty, Suggestion: emptySuggestion}}
	}
	toks := tokenize(text)
	type match struct {
		start, end int // token indexes, end exclusive
		kind       string
		order      int // position of the rule across both lists
		phrase     Phrase
	}
	var matches []match
	order := 0
	for _, l := range r.lists() {
		for _, p := range l.phrases {
			order++
			pat, err := compile(p.Pattern)
			if err != nil {
				continue
			}
			for i := range toks {
				if end, ok := pat.match(toks, i, i); ok {
					matches = append(matches, match{i, end, l.kind, order, p})
				}
			}
		}
	}
	slices.SortFunc(matches, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end), cmp.Compare(a.order, b.order))
	})

	findings := []Finding{}
	next := 0 // first token not covered by a kept match
	for _, m := range matches {
		if m.start < next {
			continue
		}
		next = m.end
		first, last := toks[m.start], toks[m.end-1]
		findings = append(findings, Finding{
			Line:       first.line,
			Col:        first.col,
			Kind:       m.kind,
			Phrase:     strings.Join(strings.Fields(text[first.from:last.to]), " "),
			Suggestion: m.phrase.Suggestion,
		})
	}
	return findings
}

// token is a word of the text: a run of letters, digits and marks.
// Everything else (spaces, hyphens, apostrophes, punctuation) separates
// words, which is what makes matching tolerant of "third-party" against
// "third party" and of a phrase broken across lines.
type token struct {
	word      string // lower-cased
	from, to  int    // byte offsets in the text
	line, col int
	// brk says a sentence or paragraph ends between the previous word and
	// this one; a phrase never spans it, so "...it was ours. Provider
	// status..." is not "our provider".
	brk bool
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func tokenize(text string) []token {
	var toks []token
	line, col := 1, 0
	newlines, brk := 0, false
	inWord := false
	for i, r := range text {
		if i == 0 && r == '\uFEFF' {
			continue // a byte-order mark is not a column an editor shows
		}
		col++
		switch {
		case isWordRune(r):
			if !inWord {
				toks = append(toks, token{from: i, line: line, col: col, brk: brk || newlines > 1})
				inWord = true
				brk, newlines = false, 0
			}
			toks[len(toks)-1].to = i + utf8.RuneLen(r)
		default:
			inWord = false
			switch r {
			case '\n':
				line, col = line+1, 0
				newlines++
			case '.', '!', '?', ';':
				brk = true
			}
		}
	}
	for i := range toks {
		toks[i].word = strings.ToLower(text[toks[i].from:toks[i].to])
	}
	return toks
}

// pattern is a compiled Phrase.Pattern: words, prefix words ("provider*")
// and gaps ("...").
type pattern []elem

type elem struct {
	word   string
	prefix bool
	gap    bool
}

func compile(src string) (pattern, error) {
	var p pattern
	for field := range strings.FieldsSeq(src) {
		if field == "..." || field == "…" {
			if len(p) == 0 {
				return nil, errors.New(`"..." cannot start a pattern`)
			}
			if p[len(p)-1].gap {
				return nil, errors.New(`"..." twice in a row`)
			}
			p = append(p, elem{gap: true})
			continue
		}
		prefix := strings.HasSuffix(field, "*")
		words := tokenize(strings.TrimSuffix(field, "*"))
		if len(words) == 0 {
			return nil, fmt.Errorf("%q has no letters or digits", field)
		}
		for _, w := range words {
			p = append(p, elem{word: w.word})
		}
		p[len(p)-1].prefix = prefix
	}
	switch {
	case len(p) == 0:
		return nil, errors.New("pattern is empty")
	case p[len(p)-1].gap:
		return nil, errors.New(`"..." cannot end a pattern`)
	}
	return p, nil
}

// match reports whether p matches the tokens from i, as part of a match that
// began at start, and where it ends. Gaps try the fewest words first, so a
// match is as short as it can be.
func (p pattern) match(toks []token, start, i int) (end int, ok bool) {
	if len(p) == 0 {
		return i, true
	}
	if p[0].gap {
		for skip := 0; skip <= MaxGap && i+skip <= len(toks); skip++ {
			if skip > 0 && toks[i+skip-1].brk && i+skip-1 > start {
				break
			}
			if end, ok := p[1:].match(toks, start, i+skip); ok {
				return end, true
			}
		}
		return 0, false
	}
	if i >= len(toks) || (i > start && toks[i].brk) {
		return 0, false
	}
	w := toks[i].word
	if w != p[0].word && !(p[0].prefix && strings.HasPrefix(w, p[0].word)) {
		return 0, false
	}
	return p[1:].match(toks, start, i+1)
}
