package ptytest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// screen is what a terminal of rows x cols would show after the output
// seen so far: the cells the program's text landed in, moved about by the
// cursor movements and erasures that an inline bubbletea program uses
// (CR, LF, CUU/CUD/CUF/CUB, CHA, CUP, EL, ED). It lets a test count what is
// on screen now, which the text stream cannot say: a redraw repeats what
// the previous frame showed, and skips lines it leaves unchanged. Colours
// and modes are ignored; every rune is taken to be one column wide, as the
// forms' box drawing and check marks are.
//
// charmbracelet/x/vt is a full emulator, but it needs newer x/ansi and
// colorprofile than the forms are built with, and a test helper must not
// change what the shipped binary renders.
type screen struct {
	rows, cols int
	cells      [][]rune
	row, col   int
	utf8       []byte // a rune's bytes cut by a read
}

func newScreen(rows, cols int) *screen {
	s := &screen{rows: rows, cols: cols, cells: make([][]rune, rows)}
	for i := range s.cells {
		s.cells[i] = blank(cols)
	}
	return s
}

func blank(n int) []rune {
	r := make([]rune, n)
	for i := range r {
		r[i] = ' '
	}
	return r
}

// print puts one byte of text at the cursor.
func (s *screen) print(b byte) {
	s.utf8 = append(s.utf8, b)
	if !utf8.FullRune(s.utf8) {
		return
	}
	r, _ := utf8.DecodeRune(s.utf8)
	s.utf8 = s.utf8[:0]
	if s.col >= s.cols { // autowrap, deferred as terminals do
		s.col = 0
		s.lineFeed()
	}
	s.cells[s.row][s.col] = r
	s.col++
}

// control handles a C0 control character.
func (s *screen) control(b byte) {
	switch b {
	case '\r':
		s.col = 0
	case '\n':
		s.lineFeed()
	case '\b':
		if s.col > 0 {
			s.col--
		}
	case '\t':
		s.col = min((s.col/8+1)*8, s.cols-1)
	}
}

func (s *screen) lineFeed() {
	if s.row < s.rows-1 {
		s.row++
		return
	}
	copy(s.cells, s.cells[1:])
	s.cells[s.rows-1] = blank(s.cols)
}

// csi handles a control sequence, ESC [ params final.
func (s *screen) csi(seq string) {
	body := strings.TrimPrefix(seq, "\x1b[")
	if body == "" {
		return
	}
	final := body[len(body)-1]
	params := body[:len(body)-1]
	if params != "" && strings.ContainsAny(params[:1], "?<=>") {
		return // private modes: cursor visibility, bracketed paste, …
	}
	var ns []int
	for _, p := range strings.Split(params, ";") {
		n, _ := strconv.Atoi(p)
		ns = append(ns, n)
	}
	arg := func(i, def int) int {
		if i < len(ns) && ns[i] != 0 {
			return ns[i]
		}
		return def
	}
	clampRow := func(r int) int { return max(0, min(r, s.rows-1)) }
	clampCol := func(c int) int { return max(0, min(c, s.cols-1)) }
	switch final {
	case 'A':
		s.row = clampRow(s.row - arg(0, 1))
	case 'B', 'e':
		s.row = clampRow(s.row + arg(0, 1))
	case 'C', 'a':
		s.col = clampCol(s.col + arg(0, 1))
	case 'D':
		s.col = clampCol(s.col - arg(0, 1))
	case 'E':
		s.row, s.col = clampRow(s.row+arg(0, 1)), 0
	case 'F':
		s.row, s.col = clampRow(s.row-arg(0, 1)), 0
	case 'G', '`':
		s.col = clampCol(arg(0, 1) - 1)
	case 'd':
		s.row = clampRow(arg(0, 1) - 1)
	case 'H', 'f':
		s.row, s.col = clampRow(arg(0, 1)-1), clampCol(arg(1, 1)-1)
	case 'K':
		line := s.cells[s.row]
		switch arg(0, 0) {
		case 0:
			copy(line[min(s.col, s.cols):], blank(s.cols))
		case 1:
			copy(line, blank(min(s.col+1, s.cols)))
		case 2:
			copy(line, blank(s.cols))
		}
	case 'J':
		switch arg(0, 0) {
		case 0:
			copy(s.cells[s.row][min(s.col, s.cols):], blank(s.cols))
			for r := s.row + 1; r < s.rows; r++ {
				s.cells[r] = blank(s.cols)
			}
		case 1:
			for r := 0; r < s.row; r++ {
				s.cells[r] = blank(s.cols)
			}
			copy(s.cells[s.row], blank(min(s.col+1, s.cols)))
		case 2, 3:
			for r := range s.cells {
				s.cells[r] = blank(s.cols)
			}
		}
	}
}

// String is the screen's lines, each without trailing blanks.
func (s *screen) String() string {
	lines := make([]string, s.rows)
	for i, l := range s.cells {
		lines[i] = strings.TrimRight(string(l), " ")
	}
	return strings.Join(lines, "\n")
}
