package thanks

import (
	"fmt"
	"time"
)

// Dates here are calendar days: a customer "since" 2023-11-20 has their
// anniversary on 20 November wherever the operator runs the command. Each
// time.Time contributes the date it shows in its own location, so pass now
// in the operator's zone and since as stored.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// addMonths moves a date by whole months, clamping the day to the target
// month. Always counted from the original date, so a 29 February start
// lands on 28 February in common years and back on the 29th in leap years,
// and 31 January plus one month is 28/29 February, never 2 or 3 March.
func addMonths(start time.Time, months int) time.Time {
	y, m, d := start.Date()
	total := int(m) - 1 + months
	ty := y + floorDiv(total, 12)
	tm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if n := daysIn(ty, tm); d > n {
		d = n
	}
	return time.Date(ty, tm, d, 0, 0, 0, 0, time.UTC)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// anniversaryOf is the date the given year of tenure completes. A leap-day
// customer celebrates on 28 February in common years: the last day that is
// still "their" month, rather than 1 March, which would make the note late.
func anniversaryOf(since time.Time, year int) time.Time {
	return addMonths(dateOf(since), 12*year)
}

func daysBetween(from, to time.Time) int {
	return int(dateOf(to).Sub(dateOf(from)).Hours() / 24)
}

// Tenure is how long someone has been a customer, in calendar units.
type Tenure struct {
	Years, Months, Days int
}

// TenureAt measures from since to now by calendar: whole years, then whole
// months, then days, with the same clamping as anniversaries so the two
// never disagree about whether a year has passed. A since after now gives
// the zero Tenure.
func TenureAt(since, now time.Time) Tenure {
	start, today := dateOf(since), dateOf(now)
	if !start.Before(today) {
		return Tenure{}
	}
	months := (today.Year()-start.Year())*12 + int(today.Month()) - int(start.Month())
	for months > 0 && addMonths(start, months).After(today) {
		months--
	}
	return Tenure{Years: months / 12, Months: months % 12, Days: daysBetween(addMonths(start, months), today)}
}

// String gives tenure in words for a note: "3 years", "1 year and 2
// months", "5 days". Once there are years, days are dropped (nobody says
// "2 years, 1 month and 3 days" in a thank-you), and once there are months,
// days are dropped too.
func (t Tenure) String() string {
	switch {
	case t.Years > 0 && t.Months > 0:
		return plural(t.Years, "year") + " and " + plural(t.Months, "month")
	case t.Years > 0:
		return plural(t.Years, "year")
	case t.Months > 0:
		return plural(t.Months, "month")
	case t.Days > 0:
		return plural(t.Days, "day")
	}
	return "less than a day"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
