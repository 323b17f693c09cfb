// Package quietinit keeps bubbletea v1 from querying the terminal at
// package initialisation, so that a command that never draws a form
// (`version`, `credit list`) does not write OSC 11 and CSI 6n to the
// operator's terminal, nor wait termenv's 5 s timeout on one that does
// not answer (a bare pty, a serial console).
//
// bubbletea v1's tea_init.go calls lipgloss.HasDarkBackground() in an
// init function, and lipgloss caches the answer. Go (1.21 and later)
// initialises, at each step, the first package in import-path order
// whose imports are all initialised: this package imports only the
// standard library and github.com/makegood/… sorts before
// github.com/muesli/termenv, which lipgloss and bubbletea need, so its
// init runs before theirs (check with GODEBUG=inittrace=1). cmd/makegood
// blank-imports it and calls Done first thing in main.
//
// For the span of package init it sets CI, which termenv (and, among the
// packages makegood links, only termenv) reads as "not a terminal", so the
// cached answer is the default (dark) without a query. TERM=dumb would
// also stop the query, but fatih/color (tablewriter's colours) and
// tablewriter's width tables read TERM at init and would keep "dumb".
// termenv's default output snapshots a colour profile at init too, but
// lipgloss, its only user here, works out its own profile from the
// environment at first use, after Done. internal/prompt asks the
// terminal for its background once, when a form is about to be drawn.
package quietinit

import "os"

// marker is the value CI holds while it is this package's: Done unsets CI
// only if it still holds it, so a CI set by the caller is never touched
// and no package state is needed to remember what to restore.
const marker = "makegood-quiet-init"

func init() {
	if _, set := os.LookupEnv("CI"); !set {
		_ = os.Setenv("CI", marker)
	}
}

// Done gives the environment back as the process was started with. Call
// it before anything else in main.
func Done() {
	if os.Getenv("CI") == marker {
		_ = os.Unsetenv("CI")
	}
}
