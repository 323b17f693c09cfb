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
