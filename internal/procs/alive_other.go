//go:build !unix

package procs

import "os"

// alive reports whether pid is a running process. On Windows FindProcess
// opens the process, which fails once it is gone.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
