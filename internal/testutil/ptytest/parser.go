package ptytest

import (
	"bytes"
	"strings"
)

// parser splits terminal output into text and escape sequences. It keeps
// its state between reads, so a sequence cut in two by the read buffer is
// still recognised whole.
type parser struct {
	state int
	seq   []byte
	scr   *screen // what the terminal shows; nil when not kept
}

const (
	ground  = iota
	escape  // after ESC
	csi     // ESC [ ... up to a final byte
	str     // OSC, DCS, SOS, PM or APC, up to BEL or ESC \
	strEsc  // an ESC inside a string: ST if followed by '\'
	escTail // ESC followed by intermediates (e.g. ESC ( B), up to a final byte
)

// reply is what a terminal answers to a query programs send it. termenv
// (through lipgloss, from bubbletea's init) asks for the background colour
// and then the cursor position, and waits several seconds for an answer: a
// real terminal answers at once, so the console does too. The colour is
// dark; the cursor position is not tracked and reported as the top left
// corner.
func reply(query string) (string, bool) {
	switch query {
	case "\x1b]10;?":
		return "\x1b]10;rgb:ffff/ffff/ffff\x1b\\", true
	case "\x1b]11;?":
		return "\x1b]11;rgb:1c1c/1c1c/1c1c\x1b\\", true
	case "\x1b[6n":
		return "\x1b[1;1R", true
	case "\x1b[c", "\x1b[0c":
		return "\x1b[?62;22c", true
	}
	return "", false
}

// feed parses p, appends its text to text and returns the replies owed to
// the queries it contained. Carriage returns and other control characters
// are dropped; cursor movements become line breaks so that text drawn on
// different lines never runs together.
func (ps *parser) feed(p []byte, text *bytes.Buffer) []string {
	var out []string
	done := func() {
		seq := string(ps.seq)
		// OSC queries end in BEL or ST; compare without the terminator.
		key := strings.TrimSuffix(strings.TrimSuffix(seq, "\x07"), "\x1b\\")
		if r, ok := reply(key); ok {
			out = append(out, r)
		}
		if ps.state == csi && strings.ContainsAny(seq[len(seq)-1:], "ABEFHfd") {
			text.WriteByte('\n')
		}
		if ps.state == csi && ps.scr != nil {
			ps.scr.csi(seq)
		}
		ps.seq = ps.seq[:0]
		ps.state = ground
	}
	for _, b := range p {
		switch ps.state {
		case ground:
			switch {
			case b == 0x1b:
				ps.state = escape
				ps.seq = append(ps.seq[:0], b)
			case b == '\n' || b == '\t' || b >= 0x20 && b != 0x7f:
				text.WriteByte(b)
			}
			if ps.scr != nil && b != 0x1b && b != 0x7f {
				if b < 0x20 {
					ps.scr.control(b)
				} else {
					ps.scr.print(b)
				}
			}
		case escape:
			ps.seq = append(ps.seq, b)
			switch {
			case b == '[':
				ps.state = csi
			case b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_':
				ps.state = str
			case b >= 0x20 && b <= 0x2f:
				ps.state = escTail
			default:
				done()
			}
		case csi:
			ps.seq = append(ps.seq, b)
			if b >= 0x40 && b <= 0x7e {
				done()
			}
		case escTail:
			ps.seq = append(ps.seq, b)
			if b >= 0x30 && b <= 0x7e {
				done()
			}
		case str:
			ps.seq = append(ps.seq, b)
			switch b {
			case 0x07:
				done()
			case 0x1b:
				ps.state = strEsc
			}
		case strEsc:
			ps.seq = append(ps.seq, b)
			if b == '\\' {
				done()
			} else {
				ps.state = str
			}
		}
	}
	return out
}
