// Package ptytest drives a program through a real pseudo-terminal, the way
// expect(1) does: it reads what the program draws, waits for text to
// appear, and types keys. Tests use it to exercise prompts exactly as a
// person at a terminal would, with the program's own terminal handling
// (raw mode, redraws, Ctrl-C) in play.
package ptytest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Keys as a terminal sends them in raw mode.
const (
	Enter     = "\r"
	Tab       = "\t"
	Backspace = "\x7f"
	Escape    = "\x1b"
	CtrlC     = "\x03"
	Up        = "\x1b[A"
	Down      = "\x1b[B"
	Right     = "\x1b[C"
	Left      = "\x1b[D"
)

// DefaultTimeout bounds each Expect and Wait. It is generous for a loaded
// CI machine; a passing test waits only as long as the program needs.
const DefaultTimeout = 10 * time.Second

// Console is a program running on the slave side of a pseudo-terminal,
// seen from the master side.
type Console struct {
	t       testing.TB
	cmd     *exec.Cmd
	pty     *os.File
	Timeout time.Duration

	mu      sync.Mutex
	raw     bytes.Buffer // everything the program wrote, escapes included
	text    bytes.Buffer // the same with escape sequences removed
	pos     int          // offset in text just past the last Expect match
	parser  parser
	changed chan struct{} // closed and replaced whenever output arrives
	eof     bool          // the program closed the terminal (or exited)

	exited  chan struct{} // closed once the process has been reaped
	exitErr error
}

// Start runs cmd with a new pseudo-terminal (rows x cols) as its stdin,
// stdout and stderr and its controlling terminal. The process is killed
// when the test ends, if it is still running.
func Start(t testing.TB, cmd *exec.Cmd, rows, cols uint16) *Console {
	t.Helper()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatalf("start %s on a pty: %v", cmd.Path, err)
	}
	c := &Console{t: t, cmd: cmd, pty: f, Timeout: DefaultTimeout,
		changed: make(chan struct{}), exited: make(chan struct{})}
	c.parser.scr = newScreen(int(rows), int(cols))
	go c.read()
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = cmd.Process.Kill()
			<-c.exited
		}
		_ = f.Close()
	})
	return c
}

// read copies the program's output into the buffers until the terminal is
// closed, answering the queries a real terminal answers on the way.
func (c *Console) read() {
	buf := make([]byte, 4096)
	for {
		n, err := c.pty.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.raw.Write(buf[:n])
			replies := c.parser.feed(buf[:n], &c.text)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
			for _, r := range replies {
				// A failed reply shows up as the program's own timeout
				// or error in the output the test checks.
				_, _ = io.WriteString(c.pty, r)
			}
		}
		if err != nil {
			// Linux reports EIO once every slave descriptor is closed.
			c.mu.Lock()
			c.eof = true
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
			return
		}
	}
}

// Send types s, as if pasted: keys such as Enter and CtrlC are sent with
// the constants of this package.
func (c *Console) Send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.pty, s); err != nil {
		c.t.Fatalf("type %q: %v", s, err)
	}
}

// Expect waits until text appears in the program's output after the
// previous match, with escape sequences removed, and moves past it. It
// fails the test with the output seen so far if the text does not appear
// within the timeout or the program closes the terminal first.
func (c *Console) Expect(text string) {
	c.t.Helper()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		seen := c.text.String()[c.pos:]
		if i := strings.Index(seen, text); i >= 0 {
			c.pos += i + len(text)
			c.mu.Unlock()
			return
		}
		eof, changed := c.eof, c.changed
		c.mu.Unlock()
		if eof {
			c.t.Fatalf("the program closed the terminal before %q appeared; output since the last match:\n%s", text, seen)
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("%q did not appear within %s; output since the last match:\n%s", text, c.Timeout, seen)
		}
	}
}

// Answer waits for prompt, types text, waits until the program shows it,
// and presses Enter: one line of a form, as a person fills it in.
func (c *Console) Answer(prompt, text string) {
	c.t.Helper()
	c.Expect(prompt)
	c.Send(text)
	c.Expect(text)
	c.Send(Enter)
}

// Output is everything the program has written so far, escape sequences
// removed.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()
}

// Screen is what the terminal shows now: its rows, top to bottom, each
// without trailing blanks. Unlike Output, which holds every frame drawn,
// it says how often something is on screen, or that it is not.
func (c *Console) Screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parser.scr.String()
}

// ExpectScreen waits until ok says the screen is as the test waits for
// (what names that, for the failure message) and returns the screen. It
// fails the test with the screen as it is if that does not happen within
// the timeout or the program closes the terminal first.
func (c *Console) ExpectScreen(what string, ok func(screen string) bool) string {
	c.t.Helper()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		scr, eof, changed := c.parser.scr.String(), c.eof, c.changed
		c.mu.Unlock()
		if ok(scr) {
			return scr
		}
		if eof {
			c.t.Fatalf("the program closed the terminal before the screen %s; it shows:\n%s", what, scr)
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("the screen did not %s within %s; it shows:\n%s", what, c.Timeout, scr)
		}
	}
}

// Rest is the output after the last Expect match.
func (c *Console) Rest() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()[c.pos:]
}

// Wait waits for the program to exit and for its last output to be read,
// and returns its exit status. It fails the test if the program is still
// running after the timeout.
func (c *Console) Wait() int {
	c.t.Helper()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	select {
	case <-c.exited:
	case <-deadline.C:
		_ = c.cmd.Process.Kill()
		c.t.Fatalf("the program did not exit within %s; output since the last match:\n%s", c.Timeout, c.Rest())
	}
	c.drain(deadline.C)
	var ee *exec.ExitError
	switch {
	case c.exitErr == nil:
		return 0
	case errors.As(c.exitErr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			c.t.Fatalf("the program was killed by %v; output:\n%s", ws.Signal(), c.Output())
		}
		return ee.ExitCode()
	default:
		c.t.Fatalf("wait: %v", c.exitErr)
		return -1
	}
}

// drain waits until the reader has seen the terminal close, so that Rest
// and Output include the program's last words.
func (c *Console) drain(timeout <-chan time.Time) {
	c.t.Helper()
	for {
		c.mu.Lock()
		eof, changed := c.eof, c.changed
		c.mu.Unlock()
		if eof {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			c.t.Fatalf("the terminal stayed open after the program exited")
		}
	}
}

// Raw is everything the program wrote, escape sequences included, for
// debugging a test.
func (c *Console) Raw() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw.String()
}
