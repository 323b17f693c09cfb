package ptytest

import (
	"bytes"
	"reflect"
	"testing"
)

// The console must see text and queries whole however the program's output
// is split into reads, so every split point of one stream is tried.
func TestParserSplitAnywhere(t *testing.T) {
	stream := "\x1b]11;?\x1b\\\x1b[6n\x1b[?25l\x1b[1;38;5;99mAmount\x1b[0m in USD\r\n" +
		"\x1b[2A\x1b[K* \"12.345\" has more decimals\x1b]0;title\x07 \x1b(Bdone\x1b]10;?\x07"
	wantText := "Amount in USD\n\n* \"12.345\" has more decimals done"
	wantReplies := []string{"\x1b]11;rgb:1c1c/1c1c/1c1c\x1b\\", "\x1b[1;1R", "\x1b]10;rgb:ffff/ffff/ffff\x1b\\"}
	for cut := 0; cut <= len(stream); cut++ {
		var (
			p    parser
			text bytes.Buffer
		)
		got := p.feed([]byte(stream[:cut]), &text)
		got = append(got, p.feed([]byte(stream[cut:]), &text)...)
		if text.String() != wantText {
			t.Errorf("cut at %d: text %q, want %q", cut, text.String(), wantText)
		}
		if !reflect.DeepEqual(got, wantReplies) {
			t.Errorf("cut at %d: replies %q, want %q", cut, got, wantReplies)
		}
	}
}

// A redraw as bubbletea's inline renderer sends it: up to the frame's top,
// a line left as it was skipped with a cursor move, a changed line written
// over and erased to its end, the lines past the new frame erased.
func TestScreenRedraw(t *testing.T) {
	ps := parser{scr: newScreen(5, 20)}
	var text bytes.Buffer
	ps.feed([]byte("Amount\r\n> 12.345 ✗ too many\r\nenter submit\r\nhelp"), &text)
	ps.feed([]byte("\x1b[3A\r\x1b[B\x1b[1;31m> 12.34\x1b[0m ✓\x1b[K\r\n\x1b[K\x1b[J"), &text)
	want := "Amount\n> 12.34 ✓\n\n\n"
	if got := ps.scr.String(); got != want {
		t.Errorf("screen %q, want %q", got, want)
	}
	// Text past the bottom row scrolls the screen up.
	ps.feed([]byte("\x1b[5;1Hlast\r\nnext"), &text)
	if got := ps.scr.String(); got != "> 12.34 ✓\n\n\nlast\nnext" {
		t.Errorf("after scrolling: %q", got)
	}
}
