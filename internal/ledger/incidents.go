package ledger

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits on incident and apology text. An apology is a whole message, so it
// gets more room than a note.
const (
	MaxTitleLen   = 200
	MaxApologyLen = 20000
)

// Incident severities, mildest first.
const (
	SeverityLow      = "low"
	SeverityNormal   = "normal"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Severities lists the values --severity accepts.
func Severities() []string {
	return []string{SeverityLow, SeverityNormal, SeverityHigh, SeverityCritical}
}

// Incident statuses, derived from whether a fix was recorded.
const (
	IncidentOpen  = "open"
	IncidentFixed = "fixed"
)

// Apology statuses. "queued" is for an apology handed to an outbox and not
// yet delivered; a failed delivery is kept so the ledger shows the attempt.
const (
	ApologySent   = "sent"
	ApologyQueued = "queued"
	ApologyFailed = "failed"
)

// ApologyStatuses lists the values an apology's status may take.
func ApologyStatuses() []string { return []string{ApologySent, ApologyQueued, ApologyFailed} }

// Incident is something that went wrong, for one or more customers.
type Incident struct {
	ID         int64
	Title      string
	What       string // what happened, in plain words, as an apology says it
	Severity   string
	StartedAt  time.Time
	ReportedAt time.Time
	FixedAt    *time.Time // nil while open; the latest correction when corrected
	CreatedAt  time.Time
	Customers  []string // affected customers, by id, sorted
	// ImpactBP is how much of the service was lost, in basis points
	// (FullImpact for an outage, 3000 for "degraded" at 30%).
	ImpactBP int64
	// Corrections counts corrections appended to the fix.
	Corrections int
}

// Status is IncidentOpen or IncidentFixed.
func (i Incident) Status() string {
	if i.FixedAt != nil {
		return IncidentFixed
	}
	return IncidentOpen
}

// Downtime is how long the incident lasted: from its start to the fix, or
// to now while it is open.
func (i Incident) Downtime(now time.Time) time.Duration {
	end := now
	if i.FixedAt != nil {
		end = *i.FixedAt
	}
	return max(end.Sub(i.StartedAt), 0)
}

// TimeToFix is from the report to the fix: how long the customer waited once
// the operator knew. ok is false while the incident is open. A fix recorded
// before the report (found and fixed before anyone wrote in) counts as 0.
func (i Incident) TimeToFix() (d time.Duration, ok bool) {
	if i.FixedAt == nil {
		return 0, false
	}
	return max(i.FixedAt.Sub(i.ReportedAt), 0), true
}

// NewIncident is a request to open an incident.
type NewIncident struct {
	Title      string
	What       string
	Severity   string // "" means normal
	StartedAt  time.Time
	ReportedAt time.Time
	CreatedAt  time.Time
	Customers  []string
	ImpactBP   int64 // 0 means FullImpact
	// CaseKey, when set (resolve --title sets CaseKey of the title, the
	// start and the customers), makes the incident once: opening it again
	// with the key goes on with the incident recorded under it.
	CaseKey string
}

// Validate checks the fields a person typed, naming each by its flag.
func (n NewIncident) Validate() error {
	if err := ValidateTime("--started", n.StartedAt); err != nil {
		return err
	}
	if err := ValidateTime("--reported", n.ReportedAt); err != nil {
		return err
	}
	if err := ValidateTitle("--title", n.Title); err != nil {
		return err
	}
	if err := ValidateWhat("--what", n.What); err != nil {
		return err
	}
	if n.Severity != "" {
		if err := ValidateSeverity("--severity", n.Severity); err != nil {
			return err
		}
	}
	if err := CheckReported("--reported", "--started", n.ReportedAt, n.StartedAt); err != nil {
		return err
	}
	if n.ImpactBP < 0 || n.ImpactBP > FullImpact {
		return Fieldf("--impact", "%s is not between 0%% and 100%%", FormatImpact(n.ImpactBP))
	}
	for _, c := range n.Customers {
		if err := ValidateID("--customers", c); err != nil {
			return err
		}
	}
	return nil
}

// CheckReported refuses an incident reported before it started.
func CheckReported(field, startedField string, reported, started time.Time) error {
	if reported.Before(started) {
		return Fieldf(field, "%s is before %s %s", reported.UTC().Format(time.RFC3339), startedField, started.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateTitle checks an incident's title: one line, not empty.
func ValidateTitle(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Fieldf(field, "must not be empty")
	}
	if strings.ContainsAny(s, "\r\n") {
		return Fieldf(field, "must be one line")
	}
	return ValidateText(field, s, MaxTitleLen)
}

// ValidateWhat checks an incident's account of what happened.
func ValidateWhat(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Fieldf(field, "must not be empty: say what happened, in plain words")
	}
	return ValidateText(field, s, MaxNoteLen)
}

// ValidateSeverity checks a --severity value.
func ValidateSeverity(field, s string) error {
	if !slices.Contains(Severities(), s) {
		return Fieldf(field, "%q is not a severity; use one of %s", s, strings.Join(Severities(), ", "))
	}
	return nil
}

// IncidentFilter narrows incident list. Zero values mean "any".
type IncidentFilter struct {
	Customer string // only incidents that affected this customer
	Status   string // IncidentOpen or IncidentFixed
	CaseKey  string // only the incident opened with this case key (NewIncident.CaseKey)
	Limit    int
}

// Apology is the words sent to one customer about one incident.
type Apology struct {
	ID         int64
	Customer   string
	Incident   int64
	Body       string
	RecordedAt time.Time // when it was sent, as recorded
	Via        string    // email, chat, phone, …
	// Status is ApologyStatus of the apology's delivery state, worked out
	// without checking processes: a claim with no outcome reads unknown.
	Status string
	// Prior is the delivery state from records made without claims, and
	// LastClaim the latest claim to deliver it; DeliveryState combines them.
	Prior     MessageState
	LastClaim *Claim
}

// NewApology is a request to record an apology.
type NewApology struct {
	Customer   string
	Incident   int64
	Body       string
	RecordedAt time.Time
	Via        string // "" means email
	Status     string // "" means sent
}

// Validate checks an apology's fields; body errors name field, which is the
// flag or file the body came from.
func (a NewApology) Validate(field string) error {
	if err := ValidateID("--customer", a.Customer); err != nil {
		return err
	}
	if a.Incident <= 0 {
		return Fieldf("--incident", "must be an incident id")
	}
	if err := ValidateApologyBody(field, a.Body); err != nil {
		return err
	}
	if a.Via != "" {
		if err := ValidateID("--via", a.Via); err != nil {
			return err
		}
	}
	if a.Status != "" && !slices.Contains(ApologyStatuses(), a.Status) {
		return Fieldf("--status", "%q is not an apology status; use one of %s", a.Status, strings.Join(ApologyStatuses(), ", "))
	}
	return nil
}

// ValidateApologyBody checks the text of an apology.
func ValidateApologyBody(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Fieldf(field, "the apology is empty")
	}
	return ValidateText(field, s, MaxApologyLen)
}

// ApologyFilter narrows apology list. Zero values mean "any".
type ApologyFilter struct {
	Customer string
	Incident int64
	Limit    int
}

// Resolution is what was done for one customer about one incident,
// recorded in one transaction so that a failure leaves none of it behind:
// the apology sent, the fix (if the incident was not fixed yet) and the
// credits and gestures given.
type Resolution struct {
	Incident int64
	Customer string
	// Apology, when set, is recorded for Customer and Incident (its own
	// Customer and Incident fields are ignored).
	Apology *NewApology
	// ApologiesSeen is how many apologies to Customer for Incident the
	// run saw when it planned Apology (0 for the first, 1 for the it's-
	// fixed follow-up after it). Apology is recorded only if the ledger
	// still holds that many: a run that raced another to the same case, or
	// re-ran it, does not apologize twice.
	ApologiesSeen int
	// FixedAt, when set, records the fix at that time unless the incident
	// is already fixed: a fix is recorded once, so resolving a second
	// customer of the same incident keeps the first fix time.
	FixedAt *time.Time
	// Credits holds at most one credit or gesture: the customer's
	// compensation for Incident, issued linked to it and to Customer
	// (their own Customer and IncidentID fields are ignored) as a
	// NewCredit.Compensation, so that it is given once however many runs
	// record the resolution.
	Credits []NewCredit
	// At is when the resolution is recorded (the fix's recorded_at).
	At time.Time
}

// ResolutionResult is what RecordResolution wrote.
type ResolutionResult struct {
	Incident    Incident // as it stands after the resolution
	FixRecorded bool     // this resolution recorded the fix
	Apology     *Apology
	Credits     []Credit
	Created     []bool // per credit: false when an idempotency key returned an existing one
}

// GoodwillQuery asks for the figures goodwill suggest needs from the
// ledger. Windows are half-open: [Since, Until).
type GoodwillQuery struct {
	Customer        string
	Currency        string // credits in other currencies are not summed
	ExcludeIncident int64  // the incident being compensated, not counted as "other"
	Since, Until    time.Time
	MonthStart      time.Time // the calendar month of the budget
	MonthEnd        time.Time
}

// GoodwillTotals are the ledger's answers to a GoodwillQuery.
type GoodwillTotals struct {
	// Incidents is the number of other incidents affecting the customer
	// that started in the window.
	Incidents int
	// CreditedMinor is what was credited to the customer in the window,
	// net of voids (a voided credit was not given).
	CreditedMinor int64
	// GivenThisMonthMinor is what was credited to all customers in the
	// currency during the month, net of voids.
	GivenThisMonthMinor int64
}

// IncidentStore keeps incidents, their fixes and apologies.
type IncidentStore interface {
	// OpenIncident records an incident and its affected customers, who
	// must exist (NotFoundError otherwise).
	OpenIncident(ctx context.Context, n NewIncident) (Incident, error)
	// FixIncident records when the incident was fixed; a second fix is a
	// ConflictError.
	FixIncident(ctx context.Context, id int64, fixedAt, recordedAt time.Time) (Incident, error)
	// CorrectFix appends a correction of a recorded fix: the latest
	// correction is the incident's fix time in every figure. An incident
	// without a fix has nothing to correct (a ConflictError).
	CorrectFix(ctx context.Context, id int64, fixedAt, recordedAt time.Time) (Incident, error)
	// Fixes lists an incident's fix and its corrections, oldest first.
	Fixes(ctx context.Context, id int64) ([]Fix, error)
	Incident(ctx context.Context, id int64) (Incident, error)
	// Incidents lists incidents, newest first.
	Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	// RecordApology stores an apology; its customer is added to the
	// incident's affected customers if needed.
	RecordApology(ctx context.Context, a NewApology) (Apology, error)
	// Apologies lists apologies, newest first.
	Apologies(ctx context.Context, f ApologyFilter) ([]Apology, error)
	// RecordResolution records an apology, a fix and credits at once.
	RecordResolution(ctx context.Context, r Resolution) (ResolutionResult, error)
	// GoodwillTotals sums the history goodwill suggest weighs.
	GoodwillTotals(ctx context.Context, q GoodwillQuery) (GoodwillTotals, error)
}

// ParseIncidentID reads an incident id argument or flag value.
func ParseIncidentID(field, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Fieldf(field, "%q is not an incident id (a positive number, as incident list shows)", s)
	}
	return id, nil
}

// ValidateGesture checks a gesture's text: one line, as it will be listed.
func ValidateGesture(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Fieldf(field, "must not be empty: say what you are giving, e.g. \"a handwritten card\"")
	}
	if strings.TrimSpace(s) != s {
		return Fieldf(field, "must not start or end with spaces")
	}
	if strings.ContainsAny(s, "\r\n") {
		return Fieldf(field, "must be one line")
	}
	return ValidateText(field, s, MaxTextLen)
}

// Affected is how one affected customer of an incident was looked after.
type Affected struct {
	Customer string
	// FirstApology is when the first apology recorded at or after the
	// report was sent (failed deliveries do not count); nil when none.
	FirstApology *time.Time
	// TimeToApology is FirstApology less the incident's report time.
	TimeToApology *time.Duration
	Apologies     int      // apologies recorded, failed ones included
	Given         []Credit // credits and gestures linked to the incident, oldest first
}

// Summarize works out, for each affected customer of inc, the time to
// apology and what was given, from the incident's apologies and credits.
// Customers come in the incident's order.
func Summarize(inc Incident, apologies []Apology, credits []Credit) []Affected {
	out := make([]Affected, 0, len(inc.Customers))
	index := map[string]int{}
	for _, c := range inc.Customers {
		index[c] = len(out)
		out = append(out, Affected{Customer: c, Given: []Credit{}})
	}
	for _, a := range apologies {
		i, ok := index[a.Customer]
		if !ok || a.Incident != inc.ID {
			continue
		}
		out[i].Apologies++
		if a.Status == ApologyFailed || a.RecordedAt.Before(inc.ReportedAt) {
			continue
		}
		if first := out[i].FirstApology; first == nil || a.RecordedAt.Before(*first) {
			at, d := a.RecordedAt, a.RecordedAt.Sub(inc.ReportedAt)
			out[i].FirstApology, out[i].TimeToApology = &at, &d
		}
	}
	for _, c := range credits {
		if i, ok := index[c.Customer]; ok && c.IncidentID == inc.ID {
			out[i].Given = append(out[i].Given, c)
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Given, func(a, b Credit) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out
}

// ValidateIncidentStatus checks an incident status filter.
func ValidateIncidentStatus(field, s string) error {
	if s != IncidentOpen && s != IncidentFixed {
		return Fieldf(field, "%q is not an incident status; use open or fixed", s)
	}
	return nil
}

// CheckAfterStart refuses a time before the incident started: nothing
// about it (its fix, an apology for it) can come before it.
func (i Incident) CheckAfterStart(field string, t time.Time) error {
	if !t.Before(i.StartedAt) {
		return nil
	}
	if i.ID == 0 { // not recorded yet (resolve --title)
		return Fieldf(field, "%s is before the incident started (%s)",
			t.UTC().Format(time.RFC3339), i.StartedAt.UTC().Format(time.RFC3339))
	}
	return Fieldf(field, "%s is before incident %d started (%s)",
		t.UTC().Format(time.RFC3339), i.ID, i.StartedAt.UTC().Format(time.RFC3339))
}

// CheckFix is the rule for recording an incident's fix at fixedAt: once
// (a second fix is a ConflictError; a wrong one is corrected, see
// CheckCorrection), within the years the ledger holds, not before the
// incident started. field names fixedAt in errors: the command's flag, or
// "fixed_at" when an engine checks it again as it writes.
func (i Incident) CheckFix(field string, fixedAt time.Time) error {
	if i.FixedAt != nil {
		return Conflictf("incident %d was already fixed at %s; a fix is recorded once", i.ID, i.FixedAt.UTC().Format(time.RFC3339))
	}
	if err := ValidateTime(field, fixedAt); err != nil {
		return err
	}
	return i.CheckAfterStart(field, fixedAt)
}

// CheckCorrection is the rule for correcting a recorded fix to fixedAt:
// there must be a fix to correct, and the new time obeys what a fix does.
func (i Incident) CheckCorrection(field string, fixedAt time.Time) error {
	if err := ValidateTime(field, fixedAt); err != nil {
		return err
	}
	if i.FixedAt == nil {
		return Conflictf("incident %d has no fix to correct; record it with makegood incident fix %d", i.ID, i.ID)
	}
	return i.CheckAfterStart(field, fixedAt)
}

// WithDefaults fills in what an incident opened without them takes: normal
// severity, an outage's impact.
func (n NewIncident) WithDefaults() NewIncident {
	if n.Severity == "" {
		n.Severity = SeverityNormal
	}
	if n.ImpactBP == 0 {
		n.ImpactBP = FullImpact
	}
	return n
}

// CheckTimes checks the incident's times are ones the ledger holds: the
// check every engine makes as it writes, whatever the caller checked.
func (n NewIncident) CheckTimes() error {
	for _, t := range []time.Time{n.StartedAt, n.ReportedAt, n.CreatedAt} {
		if err := ValidateTime("incident time", t); err != nil {
			return err
		}
	}
	return nil
}

// WithDefaults fills in what an apology recorded without them takes: sent
// by email.
func (a NewApology) WithDefaults() NewApology {
	if a.Via == "" {
		a.Via = "email"
	}
	if a.Status == "" {
		a.Status = ApologySent
	}
	return a
}

// CheckCredits refuses a resolution giving more than one credit or
// gesture: it is the customer's compensation for the incident, one thing.
func (r Resolution) CheckCredits() error {
	if len(r.Credits) > 1 {
		return fmt.Errorf("record resolution: %d credits for customer %q; a resolution gives one", len(r.Credits), r.Customer)
	}
	return nil
}
