package view

import (
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/duration"
)

// Incident is the JSON shape of an incident. Durations appear twice, like
// money: for people ("2h 30m") and in whole seconds for scripts; both are
// null while they are unknown (time to fix of an open incident).
type Incident struct {
	ID               int64    `json:"id"`
	Title            string   `json:"title"`
	What             string   `json:"what"`
	Severity         string   `json:"severity"`
	Status           string   `json:"status"`
	StartedAt        string   `json:"started_at"`
	ReportedAt       string   `json:"reported_at"`
	FixedAt          *string  `json:"fixed_at"`
	Downtime         string   `json:"downtime"`
	DowntimeSeconds  int64    `json:"downtime_seconds"`
	TimeToFix        *string  `json:"time_to_fix"`
	TimeToFixSeconds *int64   `json:"time_to_fix_seconds"`
	Customers        []string `json:"customers"`
	// Impact is how much of the service was lost ("100%" for an outage,
	// "30%" degraded), also in basis points.
	Impact   string `json:"impact"`
	ImpactBP int64  `json:"impact_bp"`
	// FixCorrections counts corrections appended to the fix; fixed_at is
	// the latest.
	FixCorrections int `json:"fix_corrections"`
}

// NewIncident shapes inc as seen at now (the downtime of an open incident
// runs to now).
func NewIncident(inc ledger.Incident, now time.Time) Incident {
	down := inc.Downtime(now)
	v := Incident{
		ID: inc.ID, Title: inc.Title, What: inc.What, Severity: inc.Severity, Status: inc.Status(),
		StartedAt: Time(inc.StartedAt), ReportedAt: Time(inc.ReportedAt), FixedAt: optTime(inc.FixedAt),
		Downtime: Duration(down), DowntimeSeconds: int64(down / time.Second), Customers: inc.Customers,
		Impact: ledger.FormatImpact(inc.ImpactBP), ImpactBP: inc.ImpactBP, FixCorrections: inc.Corrections,
	}
	if v.ImpactBP == 0 {
		v.ImpactBP = ledger.FullImpact
	}
	if v.Customers == nil {
		v.Customers = []string{}
	}
	if ttf, ok := inc.TimeToFix(); ok {
		s, secs := Duration(ttf), int64(ttf/time.Second)
		v.TimeToFix, v.TimeToFixSeconds = &s, &secs
	}
	return v
}

// Apology is the JSON shape of a recorded apology.
type Apology struct {
	ID         int64  `json:"id"`
	Customer   string `json:"customer"`
	Incident   int64  `json:"incident"`
	Body       string `json:"body"`
	RecordedAt string `json:"recorded_at"`
	Via        string `json:"via"`
	Status     string `json:"status"`
}

// NewApology shapes a.
func NewApology(a ledger.Apology) Apology {
	return Apology{ID: a.ID, Customer: a.Customer, Incident: a.Incident, Body: a.Body,
		RecordedAt: Time(a.RecordedAt), Via: a.Via, Status: a.Status}
}

// Duration is d for people, the one way makegood writes a length of time
// (duration.Format): its two largest units, rounded down ("45s",
// "12m 30s", "2h 30m", "3d 4h").
func Duration(d time.Duration) string { return duration.Format(d) }

// Delivery is the JSON shape of one attempt to deliver an apology. Retry is
// the command that tries again, set when the attempt failed.
type Delivery struct {
	Apology   int64   `json:"apology_id"`
	Via       string  `json:"via"`
	Status    string  `json:"status"`
	MessageID *string `json:"message_id"`
	Error     *string `json:"error"`
	Retry     *string `json:"retry"`
}

// NewDelivery shapes d.
func NewDelivery(d ledger.Delivery) Delivery {
	v := Delivery{Apology: d.Apology, Via: d.Via, Status: d.Status}
	if d.MessageID != "" {
		v.MessageID = &d.MessageID
	}
	if d.Error != "" {
		retry := fmt.Sprintf("makegood apology send %d", d.Apology)
		v.Error, v.Retry = &d.Error, &retry
	}
	return v
}
