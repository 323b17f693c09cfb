package thanks

import (
	"fmt"
	"github.com/makegood/makegood/internal/ledger"
	"slices"
	"time"
)

// Sent is a note that was delivered (or written to the outbox). Pass only
// successful ones: a failed note must stay due so a re-run retries it.
type Sent struct {
	CustomerID string
	Occasion   Occasion
	Key        string
	At         time.Time
}

// Recovery is an incident that affected a customer and has been put right.
// An after_recovery note is due only once both Fixed and Compensated are
// set: thanking someone for their patience before making it up to them
// would ring hollow.
type Recovery struct {
	CustomerID  string
	IncidentID  string
	Title       string // shown in the note
	Fixed       time.Time
	Compensated time.Time
}

// Defaults for the zero fields of DueOptions, in days.
const (
	DefaultWelcomeDays     = 14
	DefaultAnniversaryDays = 30
	DefaultRecoveryDays    = 30
	DefaultJustBecauseDays = 30
)

// DueOptions selects and tunes the occasions. Every window is [start,
// start+N days): a weekly cron with windows of at least 7 days never misses
// anyone, and the keys make sure nobody hears twice.
type DueOptions struct {
	// Occasions limits the check. Empty means the ones that come due by
	// themselves: welcome, anniversary, after_recovery, plus milestone when
	// Milestone is set. JustBecause is only ever checked when listed.
	Occasions []Occasion
	// Milestone names the milestone to check ("launch"); required when
	// Occasions lists Milestone.
	Milestone string
	// Recoveries are the fixed-and-compensated incidents, for any customers.
	Recoveries []Recovery

	WelcomeDays     int // welcome window after Since; 0 = DefaultWelcomeDays
	AnniversaryDays int // window after each anniversary; 0 = DefaultAnniversaryDays
	RecoveryDays    int // window after the later of Fixed and Compensated; 0 = DefaultRecoveryDays
	// JustBecauseDays is the cool-down: a customer thanked just because
	// within this many days is not due another. 0 = DefaultJustBecauseDays.
	JustBecauseDays int
	// CooldownDays spaces notes of any occasion: a note due within this
	// many days of the customer's last note or contact is deferred (see
	// ApplyCooldown). 0 = DefaultCooldownDays; negative: no cool-down.
	CooldownDays int
	// Contacts are other messages the customer got (apologies), counted
	// by the cool-down.
	Contacts []Contact
	// Held are notes with an unsettled delivery attempt: not due again
	// until it is settled (StatusHeld), and counted by the cool-down.
	Held []Held
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Status says what Evaluate concluded for one customer and occasion.
type Status string

const (
	// StatusDue: send it.
	StatusDue Status = "due"
	// StatusAlreadySent: the customer has this occasion's note already (or,
	// for just_because, one within the cool-down). Counted as "skipped".
	StatusAlreadySent Status = "already_sent"
	// StatusNotDue: the occasion does not apply today (outside its window,
	// no tenure yet, no recovered incident). Not counted as skipped.
	StatusNotDue Status = "not_due"
)

// DueItem is one note to write.
type DueItem struct {
	Customer ledger.Customer
	Occasion Occasion
	// Key is the never-twice key to record with the note; empty only for
	// some StatusNotDue decisions.
	Key string
	// Why explains the decision in a line, e.g. "3 years since 2022-11-20;
	// last thanked 2025-01-03".
	Why string
	// Years is the anniversary number; Milestone and Incident carry what the
	// note should mention. They feed TemplateData.
	Years     int
	Milestone string
	Incident  Recovery
	// DueOn is when a deferred note comes due (StatusDeferred).
	DueOn time.Time
	// LastDay is the last day of the occasion's window (welcome,
	// anniversary, after_recovery), zero for occasions without one: the
	// cool-down never defers a note past it, since a note deferred out of
	// its window would never be sent.
	LastDay time.Time
}

// Decision is a DueItem with the verdict, for callers that must report
// skipped and not-due customers, such as `thanks send --customer`.
type Decision struct {
	DueItem
	Status Status
}

// Due lists the notes to send now: Evaluate without the skipped and not-due.
func Due(customers []ledger.Customer, sent []Sent, now time.Time, opts DueOptions) []DueItem {
	var out []DueItem
	for _, d := range Evaluate(customers, sent, now, opts) {
		if d.Status == StatusDue {
			out = append(out, d.DueItem)
		}
	}
	return out
}

// Evaluate decides every selected occasion for every customer, in customer
// order and then occasion order, then holds unsettled ones and applies the
// cool-down (Settle). after_recovery yields one decision per recovered
// incident of the customer and none when there is none.
func Evaluate(customers []ledger.Customer, sent []Sent, now time.Time, opts DueOptions) []Decision {
	occasions := opts.Occasions
	if len(occasions) == 0 {
		occasions = []Occasion{Welcome, Anniversary, AfterRecovery}
		if opts.Milestone != "" {
			occasions = append(occasions, Milestone)
		}
	}
	occasions = slices.Clone(occasions)
	slices.SortStableFunc(occasions, func(a, b Occasion) int { return a.rank() - b.rank() })
	occasions = slices.Compact(occasions)

	byCustomer := map[string][]Sent{}
	for _, s := range sent {
		byCustomer[s.CustomerID] = append(byCustomer[s.CustomerID], s)
	}
	recoveries := map[string][]Recovery{}
	for _, r := range opts.Recoveries {
		recoveries[r.CustomerID] = append(recoveries[r.CustomerID], r)
	}

	var out []Decision
	for _, c := range customers {
		e := evaluator{c: c, sent: byCustomer[c.ID], now: now, today: dateOf(now), opts: opts}
		for _, occ := range occasions {
			switch occ {
			case Welcome:
				out = append(out, e.welcome())
			case Anniversary:
				out = append(out, e.anniversary())
			case Milestone:
				out = append(out, e.milestone())
			case AfterRecovery:
				for _, r := range recoveries[c.ID] {
					out = append(out, e.afterRecovery(r))
				}
			case JustBecause:
				out = append(out, e.justBecause())
			}
		}
	}
	return Settle(out, sent, now, opts)
}

type evaluator struct {
	c     ledger.Customer
	sent  []Sent
	now   time.Time
	today time.Time
	opts  DueOptions
}

func (e evaluator) decision(occ Occasion, key string, status Status, why string) Decision {
	return Decision{DueItem: DueItem{Customer: e.c, Occasion: occ, Key: key, Why: why}, Status: status}
}

func (e evaluator) sentKey(key string) (Sent, bool) {
	for _, s := range e.sent {
		if s.Key == key {
			return s, true
		}
	}
	return Sent{}, false
}

func (e evaluator) lastThanked() string {
	var last time.Time
	for _, s := range e.sent {
		if s.At.After(last) {
			last = s.At
		}
	}
	if last.IsZero() {
		return "never thanked"
	}
	return "last thanked " + day(last)
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// due turns "applies today" into due or already sent, depending on the key.
func (e evaluator) due(occ Occasion, key, why string) Decision {
	if s, ok := e.sentKey(key); ok {
		return e.decision(occ, key, StatusAlreadySent, fmt.Sprintf("%s; already thanked for this on %s", why, day(s.At)))
	}
	return e.decision(occ, key, StatusDue, why+"; "+e.lastThanked())
}

func (e evaluator) welcome() Decision {
	key := WelcomeKey()
	if e.c.Since.IsZero() {
		return e.decision(Welcome, key, StatusNotDue, "customer since date unknown")
	}
	window := orDefault(e.opts.WelcomeDays, DefaultWelcomeDays)
	age := daysBetween(e.c.Since, e.today)
	switch {
	case age < 0:
		return e.decision(Welcome, key, StatusNotDue, "customer since "+day(e.c.Since)+", which is in the future")
	case age >= window:
		if s, ok := e.sentKey(key); ok {
			return e.decision(Welcome, key, StatusAlreadySent, fmt.Sprintf("welcomed on %s", day(s.At)))
		}
		return e.decision(Welcome, key, StatusNotDue,
			fmt.Sprintf("joined %s, %d days ago; the welcome window is %d days", day(e.c.Since), age, window))
	}
	return lastDay(e.due(Welcome, key, fmt.Sprintf("joined %s, %s", day(e.c.Since), ago(age))), e.c.Since, window)
}

func ago(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", days)
}

func (e evaluator) anniversary() Decision {
	if e.c.Since.IsZero() {
		return e.decision(Anniversary, "", StatusNotDue, "customer since date unknown")
	}
	years := TenureAt(e.c.Since, e.today).Years
	if years < 1 {
		return e.decision(Anniversary, "", StatusNotDue,
			fmt.Sprintf("customer since %s; first anniversary on %s", day(e.c.Since), day(anniversaryOf(e.c.Since, 1))))
	}
	key := AnniversaryKey(years)
	date := anniversaryOf(e.c.Since, years)
	window := orDefault(e.opts.AnniversaryDays, DefaultAnniversaryDays)
	why := fmt.Sprintf("%s since %s", plural(years, "year"), day(e.c.Since))
	if daysBetween(date, e.today) >= window {
		if s, ok := e.sentKey(key); ok {
			return e.withYears(e.decision(Anniversary, key, StatusAlreadySent,
				fmt.Sprintf("%s; already thanked for this on %s", why, day(s.At))), years)
		}
		return e.withYears(e.decision(Anniversary, key, StatusNotDue,
			fmt.Sprintf("%s; that anniversary (%s) was more than %d days ago; next on %s",
				why, day(date), window, day(anniversaryOf(e.c.Since, years+1)))), years)
	}
	return e.withYears(lastDay(e.due(Anniversary, key, why), date, window), years)
}

// lastDay records the last day of a window of days days from start.
func lastDay(d Decision, start time.Time, days int) Decision {
	d.LastDay = dateOf(start).AddDate(0, 0, days-1)
	return d
}

func (e evaluator) withYears(d Decision, years int) Decision {
	d.Years = years
	return d
}

func (e evaluator) milestone() Decision {
	name := e.opts.Milestone
	if checkMilestone(name) != nil {
		return e.decision(Milestone, "", StatusNotDue, "no milestone named")
	}
	key := MilestoneKey(name)
	if !e.c.Since.IsZero() && daysBetween(e.c.Since, e.today) < 0 {
		return e.decision(Milestone, key, StatusNotDue, "customer since "+day(e.c.Since)+", which is in the future")
	}
	d := e.due(Milestone, key, fmt.Sprintf("milestone %q", name))
	d.Milestone = name
	return d
}

func (e evaluator) afterRecovery(r Recovery) Decision {
	key := AfterRecoveryKey(r.IncidentID)
	var d Decision
	switch {
	case r.IncidentID == "":
		d = e.decision(AfterRecovery, "", StatusNotDue, "incident without an id")
	case r.Fixed.IsZero():
		d = e.decision(AfterRecovery, key, StatusNotDue, fmt.Sprintf("incident %s is not fixed yet", r.IncidentID))
	case r.Compensated.IsZero():
		d = e.decision(AfterRecovery, key, StatusNotDue, fmt.Sprintf("incident %s is fixed but not yet compensated", r.IncidentID))
	default:
		start := dateOf(r.Fixed)
		if c := dateOf(r.Compensated); c.After(start) {
			start = c
		}
		window := orDefault(e.opts.RecoveryDays, DefaultRecoveryDays)
		why := fmt.Sprintf("incident %s fixed %s, compensated %s", r.IncidentID, day(r.Fixed), day(r.Compensated))
		age := daysBetween(start, e.today)
		switch {
		case age < 0:
			d = e.decision(AfterRecovery, key, StatusNotDue, why+"; not yet")
		case age >= window:
			if s, ok := e.sentKey(key); ok {
				d = e.decision(AfterRecovery, key, StatusAlreadySent, fmt.Sprintf("%s; already thanked for this on %s", why, day(s.At)))
			} else {
				d = e.decision(AfterRecovery, key, StatusNotDue, fmt.Sprintf("%s; more than %d days ago", why, window))
			}
		default:
			d = lastDay(e.due(AfterRecovery, key, why), start, window)
		}
	}
	d.Incident = r
	return d
}

func (e evaluator) justBecause() Decision {
	key := JustBecauseKey(e.today)
	cool := orDefault(e.opts.JustBecauseDays, DefaultJustBecauseDays)
	if s, ok := e.sentKey(key); ok {
		return e.decision(JustBecause, key, StatusAlreadySent, "already thanked just because today, at "+s.At.Format("15:04"))
	}
	for _, s := range e.sent {
		if s.Occasion != JustBecause {
			continue
		}
		if age := daysBetween(s.At, e.today); age < cool {
			return e.decision(JustBecause, key, StatusAlreadySent,
				fmt.Sprintf("thanked just because on %s, within the %d-day cool-down", day(s.At), cool))
		}
	}
	return e.due(JustBecause, key, "an unexpected thank-you")
}
