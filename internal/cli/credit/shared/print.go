// Package shared is what commands other than credit's own share with them:
// how an issued credit is reported.
package shared

import (
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// PrintIssued reports a credit or gesture just issued, the way every
// command that issues one does: JSON with --json, a sentence at a terminal,
// the id alone when piped. created is false when an idempotency key
// returned a credit recorded earlier.
func PrintIssued(ios *iostreams.IOStreams, c ledger.Credit, cust ledger.Customer, created, asJSON bool, now time.Time) error {
	if !created {
		fmt.Fprintf(ios.ErrOut, "Credit %d was already recorded with idempotency key %q; nothing new was written.\n", c.ID, c.IdempotencyKey)
	}
	var err error
	switch {
	case asJSON:
		return cmdutil.WriteJSON(ios.Out, view.NewCredit(c, now))
	case ios.IsStdoutTTY():
		if !created {
			return nil
		}
		var incident string
		if c.IncidentID != 0 {
			incident = fmt.Sprintf(" (incident %d)", c.IncidentID)
		}
		if c.IsGesture() {
			_, err = fmt.Fprintf(ios.Out, "Recorded gesture %d: %s, for %s%s.\n", c.ID, cmdutil.Escape(c.Gesture), cmdutil.CustomerLabel(cust), incident)
			break
		}
		_, err = fmt.Fprintf(ios.Out, "Issued credit %d: %s to %s for %s%s.\n", c.ID,
			money.Format(c.AmountMinor, c.Currency), cmdutil.CustomerLabel(cust), c.Reason, incident)
	default:
		_, err = fmt.Fprintln(ios.Out, c.ID)
	}
	return err
}
