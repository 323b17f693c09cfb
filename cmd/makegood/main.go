// Command makegood is a credit ledger and customer-recovery tool for
// founders of subscription businesses.
package main

import (
	"os"

	"github.com/makegood/makegood/internal/cli/root"
)

// Set by the release build (see .goreleaser.yaml); `go install` builds fall
// back to the module version recorded in the binary.
var (
	version = "dev"
	commit  = "none"
)

func main() {
	os.Exit(root.Main(version, commit))
}
