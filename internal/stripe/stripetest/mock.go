package stripetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Mock is a running stripe-mock, Stripe's own mock of its API, built and run
// by `go tool stripe-mock` (a tool directive in go.mod pins the version), so
// any machine with Go runs it without downloading a binary.
type Mock struct {
	// URL is its plain HTTP address, http://127.0.0.1:PORT.
	URL string
	cmd *exec.Cmd
}

var listening = regexp.MustCompile(`Listening for HTTP at address: (127\.0\.0\.1:\d+)`)

// StartMock starts stripe-mock with its HTTP and HTTPS listeners on
// 127.0.0.1 at ports the system picks, from dir (any directory of this
// module), and waits until it listens. Stop ends it.
func StartMock(ctx context.Context, dir string) (*Mock, error) {
	// stripe-mock is a tool of this module (go.mod's tool line), so the go
	// command that runs the tests runs it too; it is looked up on PATH
	// (runtime.GOROOT is deprecated and wrong for a trimmed binary).
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("stripe-mock needs the go command on PATH: %w", err)
	}
	cmd := exec.Command(gobin, "tool", "stripe-mock", "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	cmd.Dir = dir
	// Its own process group, so that Stop ends stripe-mock and not only
	// the go command that started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	m := &Mock{cmd: cmd}
	found := make(chan string, 1)
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if seen.Len() < 8<<10 {
				seen.WriteString(line + "\n")
			}
			if mm := listening.FindStringSubmatch(line); mm != nil {
				found <- mm[1]
				break
			}
		}
		close(found)
		io.Copy(io.Discard, out)
	}()
	// Building it the first time on a cold cache takes a while.
	timeout := time.NewTimer(5 * time.Minute)
	defer timeout.Stop()
	select {
	case addr, ok := <-found:
		if !ok {
			m.Stop()
			return nil, fmt.Errorf("stripe-mock exited before listening:\n%s", seen.String())
		}
		m.URL = "http://" + addr
		return m, nil
	case <-timeout.C:
	case <-ctx.Done():
	}
	m.Stop()
	return nil, fmt.Errorf("stripe-mock did not start listening")
}

// Stop ends stripe-mock and waits for it.
func (m *Mock) Stop() {
	if m.cmd.Process != nil {
		syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	}
	m.cmd.Wait()
}
