//go:build linux || darwin || freebsd

package main

import (
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The queries termenv sends to learn the terminal's background: OSC 11,
// then a cursor position report, which every terminal answers.
const (
	backgroundQuery = "\x1b]11;?"
	cursorQuery     = "\x1b[6n"
)

// silentTerminal runs makegood on a pseudo-terminal that, like a bare pty
// (`script -qc`) or a serial console, never answers a query. It returns
// the exit code and everything the program wrote, once the terminal is
// closed. A program waiting for an answer would wait termenv's 5 s
// timeout; the bound below is only a guard, the assertions are on what the
// terminal received.
func silentTerminal(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("makegood", args...)
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	out := &ptyOutput{}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(out, tty) // ends with EIO once the program exits
		close(copied)
	}()
	exited := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	select {
	case code := <-exited:
		<-copied
		return code, out.String()
	case <-time.After(4 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("makegood %s did not exit within 4 s on a terminal that does not answer; it wrote:\n%q",
			strings.Join(args, " "), out.String())
	}
	return -1, ""
}

// A command that draws no form sends the terminal no query at all, so it
// neither scribbles escapes on a terminal nor waits for an answer that
// never comes (bubbletea v1 asks at package init; internal/quietinit
// stops it).
func TestPTYNoTerminalQueryWithoutAForm(t *testing.T) {
	env := ptyEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "makegood "},
		{[]string{"credit", "list"}, "No credits match."},
		{[]string{"credit", "balance", "--customer", "ana@example.com"}, "No open credits."},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out := silentTerminal(t, env, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0; the terminal shows:\n%q", code, out)
			}
			if strings.Contains(out, backgroundQuery) || strings.Contains(out, cursorQuery) {
				t.Errorf("the terminal was queried:\n%q", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("the terminal does not show %q:\n%q", tc.want, out)
			}
		})
	}
}

// confirmOn answers the form's background query with the colour rgb (as
// an xterm does), declines `thanks send --due`'s confirmation and returns
// what the terminal received.
func confirmOn(t *testing.T, env []string, rgb string) string {
	t.Helper()
	cmd, tty, out := startOnTerminal(t, env, "thanks", "send", "--due")
	out.waitFor(t, cursorQuery)
	if _, err := tty.Write([]byte("\x1b]11;rgb:" + rgb + "\x1b\\\x1b[1;1R")); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "Send 2 thank-you notes via outbox?")
	if _, err := tty.Write([]byte("n")); err != nil {
		t.Fatal(err)
	}
	if code := wait(t, cmd); code != 1 {
		t.Fatalf("declined: exit %d, want 1\n%q", code, out)
	}
	out.waitFor(t, "cancelled; nothing was written")
	return out.String()
}

var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(?:38|48);5;[0-9]+[0-9;]*m`)

// A form asks the terminal for its background once, before drawing, and
// draws in the colours for that background, in the colour profile of the
// real TERM (256 colours here).
func TestPTYFormAsksTheBackgroundOnce(t *testing.T) {
	env := ptyEnv(t)
	dark := confirmOn(t, env, "0000/0000/0000")
	light := confirmOn(t, env, "ffff/ffff/ffff")
	for name, out := range map[string]string{"dark": dark, "light": light} {
		if n := strings.Count(out, backgroundQuery); n != 1 {
			t.Errorf("%s terminal: %d background queries, want 1:\n%q", name, n, out)
		}
	}
	darkColours, lightColours := colours(dark), colours(light)
	if len(darkColours) == 0 {
		t.Fatalf("the form drew no 256-colour escapes with TERM=xterm-256color:\n%q", dark)
	}
	if slices.Equal(darkColours, lightColours) {
		t.Errorf("the form drew the same colours on a light terminal as on a dark one: %q", darkColours)
	}
}

// colours is the set of 256-colour escapes in out, sorted.
func colours(out string) []string {
	cs := colourSGR.FindAllString(out, -1)
	slices.Sort(cs)
	return slices.Compact(cs)
}
