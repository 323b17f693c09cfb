//go:build linux || darwin || freebsd

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyOutput collects what the program draws on its terminal.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls the terminal until it shows want; the deadline only guards
// against a hung program.
func (o *ptyOutput) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(o.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows:\n%q", want, o.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ptyEnv is a fresh HOME with a ledger holding two customers due a note.
func ptyEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), // testscript.Main put makegood there
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"TZ=UTC", "TERM=xterm-256color",
		"MAKEGOOD_NOW=2026-11-24T10:00:00Z",
		"MAKEGOOD_SENDER_EMAIL=zoe@makegood.example",
	}
	for _, args := range [][]string{
		{"customer", "add", "ana@example.com", "--name", "Ana", "--since", "2023-11-20"},
		{"customer", "add", "bo@example.com", "--name", "Bo", "--since", "2026-11-20"},
	} {
		makegood(t, env, args...)
	}
	return env
}

func makegood(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("makegood", args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("makegood %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startOnTerminal runs makegood with stdin, stdout and stderr on a real
// pseudo-terminal, as an operator at a shell would.
func startOnTerminal(t *testing.T, env []string, args ...string) (*exec.Cmd, *os.File, *ptyOutput) {
	t.Helper()
	cmd := exec.Command("makegood", args...)
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	out := &ptyOutput{}
	go func() { _, _ = io.Copy(out, tty) }()
	return cmd, tty, out
}

// answerQueries replies as a terminal emulator does when the form asks for
// the background colour and the cursor position; without a reply it waits
// five seconds before drawing.
func answerQueries(t *testing.T, tty *os.File, out *ptyOutput) {
	t.Helper()
	out.waitFor(t, "\x1b[6n")
	if _, err := tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[1;1R")); err != nil {
		t.Fatal(err)
	}
}

func wait(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("makegood did not exit")
	}
	return -1
}

// At a terminal, sending to several customers asks first; saying no sends
// and records nothing, saying yes sends with a progress bar.
func TestThanksSendConfirmsOnATerminal(t *testing.T) {
	env := ptyEnv(t)

	cmd, tty, out := startOnTerminal(t, env, "thanks", "send", "--due")
	answerQueries(t, tty, out)
	out.waitFor(t, "Send 2 thank-you notes via outbox?")
	if _, err := tty.Write([]byte("n")); err != nil {
		t.Fatal(err)
	}
	if code := wait(t, cmd); code != 1 {
		t.Fatalf("declined: exit %d, want 1\n%s", code, out)
	}
	out.waitFor(t, "cancelled; nothing was written")
	if got := makegood(t, env, "thanks", "list"); got != "" {
		t.Fatalf("declined, yet the ledger has notes:\n%s", got)
	}

	cmd, tty, out = startOnTerminal(t, env, "thanks", "send", "--due")
	answerQueries(t, tty, out)
	out.waitFor(t, "Send 2 thank-you notes via outbox?")
	if _, err := tty.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if code := wait(t, cmd); code != 0 {
		t.Fatalf("confirmed: exit %d\n%s", code, out)
	}
	out.waitFor(t, "Sent 2 thank-you notes via outbox; 0 skipped (already thanked); 0 failed.")
	screen := out.String()
	if !strings.Contains(screen, "Sending thank-you notes") {
		t.Errorf("no progress bar on the terminal:\n%q", screen)
	}
	if !strings.Contains(screen, "STATUS") || !strings.Contains(screen, "bo@example.com") {
		t.Errorf("no table of notes on the terminal:\n%q", screen)
	}
	list := makegood(t, env, "thanks", "list")
	if n := strings.Count(list, "\toutbox\tsent\t"); n != 2 {
		t.Fatalf("ledger after confirming:\n%s", list)
	}
}
