package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// CompensationKey is the idempotency key of a customer's compensation for
// an incident, the one rule goodwill suggest --issue and resolve share
// (through NewCredit.Compensation): "compensation:<incident>:<after>:<customer>".
//
// The kind of the option given is not part of it. A customer's
// compensation for an incident is one thing, whichever option it takes: a
// key per kind would let the recommended credit from one path and the
// next-invoice credit from another (or the same command with another
// --pick) both be issued, which is giving twice for one incident.
//
// after is the id of the latest voided credit or gesture the customer had
// for the incident, 0 for none: voiding a compensation is how an operator
// takes it back to give something else, and the new one then needs a key
// of its own. The store works it out inside its write transaction, so
// every process racing to compensate computes the same key. It comes
// before the customer id, which may hold colons, so keys cannot collide.
func CompensationKey(incident int64, customer string, after int64) string {
	return fmt.Sprintf("compensation:%d:%d:%s", incident, after, customer)
}

// CaseKey identifies an incident that `resolve --title` opens by what a
// re-run of the same command repeats: the title, the start and the
// affected customers (in any order, each once). The incident stores it
// under a unique index, so running the command again, or twice at once,
// goes on with the incident the first run opened instead of opening a
// second one and compensating twice. A run without --started starts the
// incident "now", so only a re-run that gives --started is recognised.
func CaseKey(title string, started time.Time, customers []string) string {
	ids := slices.Clone(customers)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	h := sha256.New()
	fmt.Fprintf(h, "%q\x00%s", title, started.UTC().Format(time.RFC3339Nano))
	for _, id := range ids {
		fmt.Fprintf(h, "\x00%q", id)
	}
	return "case:" + hex.EncodeToString(h.Sum(nil))
}

// FindCompensation is the rule on which of a customer's credits and
// gestures for an incident is their compensation: the oldest not voided.
// given is every credit or gesture the customer has for the incident.
// Without one it returns nil and the key a new compensation takes
// (CompensationKey, after the latest voided one).
func FindCompensation(incident int64, customer string, given []Credit) (*Credit, string) {
	var live *Credit
	var voided int64
	for i := range given {
		c := given[i]
		if c.IncidentID != incident || c.Customer != customer {
			continue
		}
		if c.VoidedAt != nil {
			voided = max(voided, c.ID)
			continue
		}
		if live == nil || c.ID < live.ID {
			live = &given[i]
		}
	}
	if live != nil {
		return live, ""
	}
	return nil, CompensationKey(incident, customer, voided)
}
