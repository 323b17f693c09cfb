package procs

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// TestMain lets the test run itself as a child that waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("PROCS_TEST_CHILD") == "1" {
		select {}
	}
	os.Exit(m.Run())
}

func TestLiveness(t *testing.T) {
	self := Self()
	alive := Liveness(self)
	check := func(name string, c ledger.Claimer, wantRunning, wantKnown bool) {
		t.Helper()
		running, known := alive(c)
		if running != wantRunning || known != wantKnown {
			t.Errorf("%s: running %t, known %t; want %t, %t", name, running, known, wantRunning, wantKnown)
		}
	}
	check("this run", self, true, true)
	other := self
	other.Run = "someoneelse"
	check("an earlier process with this pid", other, false, true)
	far := self
	far.Host = "elsewhere.example"
	check("another host", far, false, false)

	// A real child process: running while it runs, gone once killed and
	// reaped, and gone while it is a zombie (killed, not yet reaped).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "PROCS_TEST_CHILD=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child := ledger.Claimer{Host: self.Host, PID: cmd.Process.Pid, Run: "child"}
	check("a running child", child, true, true)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		// Not reaped yet: once the kernel has ended it, it is a zombie,
		// which kill(2) still finds.
		deadline := time.Now().Add(10 * time.Second)
		for !zombie(child.PID) {
			if time.Now().After(deadline) {
				t.Fatal("the killed child never became a zombie")
			}
			time.Sleep(time.Millisecond)
		}
		check("a killed, unreaped child", child, false, true)
	}
	_ = cmd.Wait()
	check("a killed child", child, false, true)
}
