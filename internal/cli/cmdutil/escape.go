package cmdutil

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes text from the ledger safe to print to a terminal or a
// tab-separated line. The ledger can hold anything another tool wrote (the
// sqlite3 shell, a shared ledger, an import), and a raw ESC in a name is a
// terminal escape sequence: it can recolour, move the cursor, retitle the
// window or hide what follows. So every control character becomes visible:
//
//   - tab, line feed, carriage return (and the Unicode line and paragraph
//     separators) become a space, so a cell or a line stays one line;
//   - other C0 controls and DEL are written in caret notation, as cat -v
//     and gh do: ESC is ^[, BEL ^G, DEL ^?;
//   - C1 controls (U+0080–U+009F; U+009B is a one-character CSI on some
//     terminals) and the invisible bidirectional controls that reorder what
//     is shown (U+202E and friends) are written as \u009b, \u202e;
//   - a byte that is not UTF-8 is written as \x9b.
//
// JSON needs none of this: encoding/json escapes control characters itself.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case isC1(r) || isBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape is the fast path: most text has nothing to escape.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return true
			}
			// Multi-byte: decode the rest of the string rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || isC1(r) || isBidi(r) || r == '\u2028' || r == '\u2029' {
					return true
				}
			}
			return false
		}
	}
	return false
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// isBidi reports the explicit directional marks, embeddings, overrides and
// isolates: invisible, and able to make "cus_1" display as something else.
func isBidi(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// EscapeLines is Escape for a value printed over several lines (the "what"
// of an incident): each line escaped on its own, line breaks kept.
func EscapeLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return lines
}

// EscapeText is EscapeLines joined again: text of several lines (an
// apology, a draft) shown whole, each line escaped, the line breaks kept.
func EscapeText(s string) string { return strings.Join(EscapeLines(s), "\n") }

// csvTriggers are the first characters that make a spreadsheet read a cell
// as a formula (OWASP, "CSV Injection"): = + - @, tab and carriage return.
const csvTriggers = "=+-@\t\r"

// NeutralizeCell keeps a spreadsheet from running a CSV cell as a formula:
// a cell whose first character (after any leading single quotes) is one of
// = + - @ tab CR gets a single quote in front, OWASP's rule. A spreadsheet
// shows such a cell as text, without the quote. Counting the quotes already
// there makes the rule reversible: a cell "'=x" gets a second quote, so
// UnneutralizeCell gives back exactly what was written, and a customer list
// --csv read back by customer import is unchanged.
func NeutralizeCell(s string) string {
	if isTriggered(s) {
		return "'" + s
	}
	return s
}

// UnneutralizeCell undoes NeutralizeCell, for reading makegood's own CSV:
// one leading quote goes when quotes are followed by a trigger character.
func UnneutralizeCell(s string) string {
	if strings.HasPrefix(s, "'") && isTriggered(s) {
		return s[1:]
	}
	return s
}

func isTriggered(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return rest != "" && strings.IndexByte(csvTriggers, rest[0]) >= 0
}
