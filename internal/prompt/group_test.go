package prompt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineReader hands out one line per Read, as a terminal in line mode does:
// huh's accessible mode starts a new scanner for every question, and a
// scanner given all the input at once would swallow the later answers.
type lineReader struct{ lines []string }

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

func accessibleStep(t *testing.T, lines ...string) (*Huh, *bytes.Buffer) {
	t.Helper()
	out := &bytes.Buffer{}
	return NewHuh(&lineReader{lines: lines}, out, true), out
}

func TestGroupAccessibleAnswersEveryField(t *testing.T) {
	h, out := accessibleStep(t, "Login failed", "2", "", "y", "1")
	title, kind, keep := "", "bug", false
	what := "draft"
	back, err := h.Group(context.Background(), "Step 1 of 5 · What happened", []Field{
		Note("Open incidents", "none yet"),
		InputField("Title", &title, nil),
		SelectField("Kind", []Option{{Label: "Outage", Value: "outage"}, {Label: "Bug", Value: "bug"}}, &kind),
		TextField("What happened", &what, nil),
		ConfirmField("Keep it?", &keep),
	}, true)
	if err != nil || back {
		t.Fatalf("back %v err %v; output:\n%s", back, err, out)
	}
	if title != "Login failed" || kind != "bug" || what != "draft" || !keep {
		t.Fatalf("answers title %q kind %q what %q keep %v", title, kind, what, keep)
	}
	for _, want := range []string{"Step 1 of 5 · What happened", "Open incidents", "none yet", "1. Outage", "← Back to the previous step"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGroupAccessibleBack(t *testing.T) {
	h, _ := accessibleStep(t, "typed", "2")
	v := ""
	back, err := h.Group(context.Background(), "Step 2 of 5 · Apologize", []Field{InputField("Apology", &v, nil)}, true)
	if err != nil || !back {
		t.Fatalf("back %v err %v", back, err)
	}
	if v != "typed" {
		t.Fatalf("answer before going back is lost: %q", v)
	}
}

func TestGroupAccessibleWithoutBackOffersNoChoice(t *testing.T) {
	h, out := accessibleStep(t, "x")
	v := ""
	back, err := h.Group(context.Background(), "Step 1 of 5", []Field{InputField("Title", &v, nil)}, false)
	if err != nil || back || v != "x" {
		t.Fatalf("back %v err %v v %q", back, err, v)
	}
	if strings.Contains(out.String(), "Back") {
		t.Fatalf("the first step offers to go back:\n%s", out)
	}
}

func TestGroupAccessibleAsksAgainUntilValid(t *testing.T) {
	h, out := accessibleStep(t, "", "Login failed")
	v := ""
	_, err := h.Group(context.Background(), "Step 1", []Field{InputField("Title", &v, func(s string) error {
		if s == "" {
			return errors.New("is required")
		}
		return nil
	})}, false)
	if err != nil || v != "Login failed" {
		t.Fatalf("v %q err %v", v, err)
	}
	if !strings.Contains(out.String(), "Title: is required") {
		t.Fatalf("the problem is not shown:\n%s", out)
	}
}

func TestGroupAccessibleEndOfInputIsNotAnAnswer(t *testing.T) {
	h, _ := accessibleStep(t) // Ctrl-D at once
	ok := true
	_, err := h.Group(context.Background(), "Step 5 of 5 · Confirm", []Field{ConfirmField("Record and send?", &ok)}, true)
	if !errors.Is(err, ErrInputEnded) {
		t.Fatalf("err %v, want ErrInputEnded", err)
	}
}

func TestGroupAccessibleInterrupt(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	h := NewHuh(pr, io.Discard, true)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }() // SIGINT cancels the command's context
	v := ""
	_, err := h.Group(ctx, "Step 1", []Field{InputField("Title", &v, nil)}, false)
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("err %v, want ErrAborted", err)
	}
}

// screen collects what a full-screen form draws.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

// keys feeds a full-screen form: bubbletea reads keys from any reader, so
// the real huh form runs here without a terminal (PTY tests of the whole
// walk live with the command). Each key is sent once the form has drawn the
// effect of the one before, so a slow machine cannot reorder them.
type keys struct {
	pr *io.PipeReader
	pw *io.PipeWriter
}

func newKeys(scr *screen, seq ...string) *keys {
	pr, pw := io.Pipe()
	go func() {
		for _, s := range seq {
			settle(scr)
			before := scr.len()
			if _, err := pw.Write([]byte(s)); err != nil {
				return
			}
			// A key that changes nothing on screen (shift+tab on a first step)
			// draws nothing to wait for.
			for deadline := time.Now().Add(500 * time.Millisecond); scr.len() == before && time.Now().Before(deadline); {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	return &keys{pr: pr, pw: pw}
}

// settle waits until the form has stopped drawing for a moment.
func settle(scr *screen) {
	last := -1
	for n := scr.len(); n != last; n = scr.len() {
		last = n
		time.Sleep(25 * time.Millisecond)
	}
}

func (k *keys) Read(p []byte) (int, error) { return k.pr.Read(p) }

func TestGroupFullScreen(t *testing.T) {
	const shiftTab, esc, enter = "\x1b[Z", "\x1b", "\r"
	tests := []struct {
		name       string
		keys       []string
		back       bool
		err        error
		wantFirst  string
		wantSecond string
	}{
		{name: "answers", keys: []string{"x", enter, "y", enter}, wantFirst: "x", wantSecond: "y"},
		{name: "shift+tab on the first field goes back", keys: []string{shiftTab}, back: true},
		{name: "shift+tab on the second field goes to the first", keys: []string{enter, "z", shiftTab, "a", enter, enter}, wantFirst: "a", wantSecond: "z"},
		{name: "esc cancels", keys: []string{"x", esc}, err: ErrAborted},
		{name: "ctrl+c cancels", keys: []string{"\x03"}, err: ErrAborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scr := &screen{}
			k := newKeys(scr, tt.keys...)
			defer k.pw.Close()
			h := NewHuh(k, scr, false)
			first, second := "", ""
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			back, err := h.Group(ctx, "Step 2 of 5 · Apologize", []Field{
				InputField("First", &first, nil), InputField("Second", &second, nil),
			}, true)
			if !errors.Is(err, tt.err) || back != tt.back {
				t.Fatalf("back %v err %v, want %v %v", back, err, tt.back, tt.err)
			}
			if tt.err == nil && !tt.back && (first != tt.wantFirst || second != tt.wantSecond) {
				t.Fatalf("first %q second %q, want %q %q", first, second, tt.wantFirst, tt.wantSecond)
			}
		})
	}
}

func TestGroupFullScreenFirstStepCannotGoBack(t *testing.T) {
	scr := &screen{}
	k := newKeys(scr, "\x1b[Z", "x", "\r")
	defer k.pw.Close()
	v := ""
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	back, err := NewHuh(k, scr, false).Group(ctx, "Step 1 of 5", []Field{InputField("Title", &v, nil)}, false)
	if err != nil || back || v != "x" {
		t.Fatalf("back %v err %v v %q", back, err, v)
	}
}
