// Package thanks decides who is due a thank-you note and writes it. It is
// pure: the caller passes the customers, what was already sent and the
// current time, and gets back decisions and rendered text. Storage and
// delivery live elsewhere (internal/store, internal/mail).
//
// The never-twice rule rests on occasion keys. Each note is recorded with a
// key naming the exact occasion ("welcome", "anniversary:3",
// "milestone:launch", "after_recovery:<incident>", "just_because:<date>"); a
// customer who already has a sent note with that key is not due again.
package thanks

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Occasion is a kind of thank-you note.
type Occasion string

const (
	// Welcome greets a new customer within DueOptions.WelcomeDays of joining.
	Welcome Occasion = "welcome"
	// Anniversary marks each full year of tenure, once per year.
	Anniversary Occasion = "anniversary"
	// Milestone is an operator-named event ("launch", "10k customers"); each
	// customer gets each milestone once.
	Milestone Occasion = "milestone"
	// AfterRecovery thanks a customer for their patience once an incident
	// that hit them was fixed and compensated; once per incident.
	AfterRecovery Occasion = "after_recovery"
	// JustBecause is an unexpected thank-you, optionally with a credit. It is
	// never due on its own: the operator asks for it.
	JustBecause Occasion = "just_because"
)

// Occasions lists every occasion in the order notes are reported.
func Occasions() []Occasion {
	return []Occasion{Welcome, Anniversary, Milestone, AfterRecovery, JustBecause}
}

func (o Occasion) valid() bool {
	for _, k := range Occasions() {
		if o == k {
			return true
		}
	}
	return false
}

func (o Occasion) rank() int {
	for i, k := range Occasions() {
		if o == k {
			return i
		}
	}
	return len(Occasions())
}

// maxMilestone keeps milestone names short enough for a key column and a
// subject line.
const maxMilestone = 80

// ParseOccasion reads an --occasion value. A milestone needs its name after
// a colon ("milestone:launch"); the name is returned as written, for the
// note, and MilestoneKey normalizes it for the never-twice check. "-" is
// accepted for "_" ("after-recovery").
func ParseOccasion(s string) (Occasion, string, error) {
	s = strings.TrimSpace(s)
	name, arg, hasArg := strings.Cut(s, ":")
	occ := Occasion(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_"))
	if !occ.valid() {
		return "", "", fmt.Errorf("unknown occasion %q; use one of welcome, anniversary, milestone:NAME, after_recovery, just_because", s)
	}
	if occ != Milestone {
		if hasArg {
			return "", "", fmt.Errorf("occasion %s takes no argument (got %q)", occ, s)
		}
		return occ, "", nil
	}
	arg = strings.TrimSpace(arg)
	if err := checkMilestone(arg); err != nil {
		return "", "", err
	}
	return occ, arg, nil
}

func checkMilestone(name string) error {
	if name == "" {
		return fmt.Errorf("a milestone needs a name, as in milestone:launch")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxMilestone {
		return fmt.Errorf("milestone name must be valid text of at most %d characters", maxMilestone)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("milestone name %q contains a control character", name)
		}
	}
	return nil
}

// WelcomeKey is the key of the one welcome note a customer ever gets.
func WelcomeKey() string { return string(Welcome) }

// AnniversaryKey names the note for the given completed year, so the third
// anniversary is never sent twice but the fourth still comes.
func AnniversaryKey(year int) string { return fmt.Sprintf("%s:%d", Anniversary, year) }

// MilestoneKey folds case and spacing so "10k Customers" and "10k  customers"
// are the same milestone.
func MilestoneKey(name string) string {
	return string(Milestone) + ":" + strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// AfterRecoveryKey ties the note to the incident: one per incident.
func AfterRecoveryKey(incidentID string) string {
	return string(AfterRecovery) + ":" + incidentID
}

// JustBecauseKey uses the calendar date rather than a nonce so a re-run on
// the same day after a partial failure finds the notes already sent instead
// of sending them again. Spacing between just-because notes is the cool-down
// (DueOptions.JustBecauseDays), not the key.
func JustBecauseKey(day time.Time) string {
	return string(JustBecause) + ":" + day.Format(time.DateOnly)
}
