// Package procs names this process for the ledger's delivery claims and
// tells whether the process behind another claim is still running. It is
// the one place makegood looks at other processes.
package procs

import (
	"crypto/rand"
	"os"
	"strings"
	"sync"

	"github.com/makegood/makegood/internal/ledger"
)

// self is fixed the first time it is asked for and never changes: every
// claim a process makes must carry the same run id, or its own claims
// would look like an earlier process's that had the same pid. It is not
// worked out at start-up: reading the host name and random bytes cost
// every command, claims or none, a tenth of a millisecond before main.
var self = sync.OnceValue(func() ledger.Claimer {
	return ledger.Claimer{Host: hostname(), PID: os.Getpid(), Run: strings.ToLower(rand.Text()[:12])}
})

// Self is this process as a claimer.
func Self() ledger.Claimer { return self() }

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}

// Liveness checks claimers as seen from self. A claim by self is running.
// A claim from this host is running while its process id is alive (and
// not a zombie): a pid reused by an unrelated process keeps a dead claim
// looking alive until ledger.ClaimLease passes, which errs on the side of
// not sending. A claim from another host cannot be checked (known false).
func Liveness(self ledger.Claimer) ledger.Liveness {
	return func(c ledger.Claimer) (running, known bool) {
		if c.Host != self.Host {
			return false, false
		}
		if c.PID == self.PID {
			// Either this very run, or an earlier process whose pid this
			// one was given: the run id tells which.
			return c.Run == self.Run, true
		}
		return alive(c.PID), true
	}
}
