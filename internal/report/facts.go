// Package report works out the figures of `makegood report` and writes the
// ledger as books for `makegood export`. It is pure: an engine answers a
// Query with Facts (sums by month, one row per incident), Build turns them
// into a Report, and the renderers turn a Report into a terminal screen,
// plain tables, JSON or an HTML page. Money stays in integer minor units
// throughout; only chart geometry is drawn in floating point.
package report

import (
	"context"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/thanks"
)

// RepeatIncidents is how many incidents in RepeatWindow make a customer a
// repeat: the second time something breaks for someone is the one to
// escalate (DESIGN: "repeated mistakes bring diminishing returns").
const RepeatIncidents = 2

// RepeatWindow is the look-back for repeat incidents, ending at the
// report's To.
const RepeatWindow = 12 // months

// Query is what a report covers, as an engine is asked for it.
type Query struct {
	// From is the first instant covered; To the last, inclusive.
	From, To time.Time
	// Currency keeps only that currency's money ("" for all). Gestures
	// have no currency and always count.
	Currency string
	// RepeatSince starts the window of repeat incidents.
	RepeatSince time.Time
	// RecoveredSince: incidents fixed since then can make someone due an
	// after_recovery note (thanks' rule: fixed within the last year).
	RecoveredSince time.Time
}

// Source answers a Query: implemented by each storage engine.
type Source interface {
	ReportFacts(ctx context.Context, q Query) (Facts, error)
}

// Flow sums the entries of one kind in one month and currency. Month is
// "YYYY-MM" of the entry's time; gestures have Currency "".
type Flow struct {
	Month    string
	Kind     string // ledger.EntryIssue, EntryApply or EntryVoid
	Currency string
	SumMinor int64
	Count    int64
}

// Expiry is every credit of one currency expiring at one instant.
type Expiry struct {
	At       time.Time
	Currency string
	// BeforeMinor is what their entries before the expiry add up to: what
	// was still open when they expired, the breakage.
	BeforeMinor int64
}

// IncidentFact is one incident as the response-time figures need it.
type IncidentFact struct {
	ID                int64
	Severity          string
	Started, Reported time.Time
	Fixed             *time.Time // nil if not fixed by To
	FirstApology      *time.Time // first apology sent at or after the report, by To
}

// Repeat is a customer with RepeatIncidents or more incidents in the
// window.
type Repeat struct {
	Customer  string
	Name      string
	Incidents int
	Last      time.Time // when the latest of them started
}

// NoteCount is how many thank-you notes went out for an occasion.
type NoteCount struct {
	Occasion string
	Notes    int
}

// Facts are an engine's answers to a Query.
type Facts struct {
	// Flows are every entry dated at or before To, by month, since the
	// ledger began (the months before From make the opening balance).
	Flows []Flow
	// AfterExpiry is the part of Flows dated at or after their credit's
	// expiry: a void of an expired credit, which never touched the open
	// balance.
	AfterExpiry []Flow
	// Expiries at or before To.
	Expiries []Expiry
	// Customers, every one, for MRR and who is due a note.
	Customers []ledger.Customer
	// Incidents that started in [From, To].
	Incidents []IncidentFact
	// Repeats are customers with RepeatIncidents or more incidents
	// started in [RepeatSince, To], most incidents first.
	Repeats []Repeat
	// Notes sent in [From, To], by occasion.
	Notes []NoteCount
	// Sent is every note that went out, for the never-twice rule.
	Sent []thanks.Sent
	// Recoveries are incidents fixed since RecoveredSince and made good.
	Recoveries []thanks.Recovery
}

// ParseTo reads a --to value: an RFC 3339 time, or a date meaning that
// whole day (up to its last microsecond, the ledger's precision). Empty
// means now.
func ParseTo(field, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	t, err := ledger.ParseTime(field, s)
	if err != nil {
		return t, err
	}
	if len(s) == len(ledger.DateLayout) {
		t = t.Add(24*time.Hour - time.Microsecond)
	}
	return t, nil
}
