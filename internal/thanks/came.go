package thanks

import "time"

// Came is the day the item's occasion came: the customer's first day for a
// welcome, the anniversary itself, the later of the fix and the credit
// after an incident. It is zero for a milestone or a just-because note,
// which are due when the operator says so. A report uses it to tell a note
// that is due from one that is overdue.
func (d DueItem) Came() time.Time {
	switch d.Occasion {
	case Welcome:
		return dateOf(d.Customer.Since)
	case Anniversary:
		if d.Years < 1 {
			return time.Time{}
		}
		return anniversaryOf(d.Customer.Since, d.Years)
	case AfterRecovery:
		if d.Incident.Fixed.IsZero() || d.Incident.Compensated.IsZero() {
			return time.Time{}
		}
		start := dateOf(d.Incident.Fixed)
		if c := dateOf(d.Incident.Compensated); c.After(start) {
			start = c
		}
		return start
	}
	return time.Time{}
}

// DaysSince counts calendar days from one day to another, as the windows
// count them.
func DaysSince(from, to time.Time) int { return daysBetween(from, to) }
