// Command makegood is a credit ledger and customer-recovery tool for
// founders of subscription businesses.
package main

import (
	"os"

	// First, so that its init runs before bubbletea's: see the package.
	"github.com/makegood/makegood/internal/quietinit"

	"github.com/makegood/makegood/internal/cli/root"
)

// Set by the release build (see .goreleaser.yaml); `go install` builds fall
// back to the module version recorded in the binary.
var (
	version = "dev"
	commit  = "none"
)

func main() {
	quietinit.Done()
	os.Exit(root.Main(version, commit))
}
