package view

import (
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// Case is one incident as one customer lived it, in the order of the walk:
// the incident, the apology, the fix, what was given, and the after-recovery
// thank-you once sent. Unknown steps are null.
type Case struct {
	Incident             int64    `json:"incident"`
	Title                string   `json:"title"`
	Status               string   `json:"status"`
	ReportedAt           string   `json:"reported_at"`
	ApologyID            *int64   `json:"apology_id"`
	ApologyStatus        *string  `json:"apology_status"`
	ApologizedAt         *string  `json:"apologized_at"`
	TimeToApology        *string  `json:"time_to_apology"`
	TimeToApologySeconds *int64   `json:"time_to_apology_seconds"`
	FixedAt              *string  `json:"fixed_at"`
	TimeToFix            *string  `json:"time_to_fix"`
	TimeToFixSeconds     *int64   `json:"time_to_fix_seconds"`
	Given                []Credit `json:"given"`
	ThankedAt            *string  `json:"thanked_at"`
}

// CaseFacts is what the ledger holds of one customer's case.
type CaseFacts struct {
	Incident ledger.Incident
	Affected ledger.Affected
	// Latest is the customer's most recent apology for the incident, whose
	// status says whether it went out; nil when there is none.
	Latest *ledger.Apology
	// Thanked is the after-recovery thank-you note sent, if any.
	Thanked *ledger.ThankYouNote
}

// NewCase shapes one customer's case as seen at now.
func NewCase(f CaseFacts, now time.Time) Case {
	inc := NewIncident(f.Incident, now)
	c := Case{Incident: inc.ID, Title: inc.Title, Status: inc.Status, ReportedAt: inc.ReportedAt,
		FixedAt: inc.FixedAt, TimeToFix: inc.TimeToFix, TimeToFixSeconds: inc.TimeToFixSeconds, Given: []Credit{}}
	if a := f.Latest; a != nil {
		id, st := a.ID, a.Status
		c.ApologyID, c.ApologyStatus = &id, &st
	}
	if a := f.Affected; a.FirstApology != nil {
		at, d, secs := Time(*a.FirstApology), Duration(*a.TimeToApology), int64(*a.TimeToApology/time.Second)
		c.ApologizedAt, c.TimeToApology, c.TimeToApologySeconds = &at, &d, &secs
	}
	for _, g := range f.Affected.Given {
		c.Given = append(c.Given, NewCredit(g, now))
	}
	if n := f.Thanked; n != nil {
		at := Time(n.At)
		c.ThankedAt = &at
	}
	return c
}
