package thanks

import (
	"fmt"
	"time"
)

// DefaultCooldownDays is the cool-down across occasions when
// DueOptions.CooldownDays is zero.
const DefaultCooldownDays = 7

// StatusDeferred: due, but the customer heard from the operator too
// recently (another note, an apology) or is getting another note today;
// it comes due on DueItem.DueOn. Not counted as skipped.
const StatusDeferred Status = "deferred"

// StatusHeld: due, but an attempt to send it is in flight or ended without
// anyone knowing whether it arrived (DueOptions.Held); it is not sent again
// until that is settled. Not counted as skipped.
const StatusHeld Status = "held"

// Held is a note with a delivery attempt that is not settled.
type Held struct {
	CustomerID string
	Key        string
	At         time.Time // when the attempt began
	Why        string
}

// Contact is something else the customer received that counts towards the
// cool-down, such as an apology.
type Contact struct {
	CustomerID string
	At         time.Time
	What       string // "an apology", for the explanation
}

// Settle holds the due notes with an unsettled attempt (DueOptions.Held)
// and then applies the cool-down. Evaluate calls it; callers that build
// decisions another way call it too.
func Settle(ds []Decision, sent []Sent, now time.Time, opts DueOptions) []Decision {
	if len(opts.Held) > 0 {
		held := map[[2]string]Held{}
		for _, h := range opts.Held {
			held[[2]string{h.CustomerID, h.Key}] = h
		}
		ds = append([]Decision(nil), ds...)
		for i, d := range ds {
			if h, ok := held[[2]string{d.Customer.ID, d.Key}]; ok && d.Status == StatusDue {
				ds[i].Status, ds[i].Why = StatusHeld, h.Why
			}
		}
	}
	return ApplyCooldown(ds, sent, now, opts)
}

// ApplyCooldown defers, per customer, every due note that would land
// within the cool-down (DueOptions.CooldownDays, default 7; negative turns
// it off) of the last note sent or contact made, and every due note after
// the first one on the same day: nobody gets a pile of notes at once.
// Decisions keep their order; within a customer the first due one (in
// occasion order) goes first. A deferred note comes due on the first day
// past the cool-down, or on the last day of its occasion's window
// (DueItem.LastDay) when the cool-down would outlast it: a note deferred
// out of its window would be lost, and a founder would rather it arrive a
// little soon than never.
func ApplyCooldown(ds []Decision, sent []Sent, now time.Time, opts DueOptions) []Decision {
	days := opts.CooldownDays
	if days == 0 {
		days = DefaultCooldownDays
	}
	if days < 0 {
		return ds
	}
	type last struct {
		at   time.Time
		what string
	}
	latest := map[string]last{}
	note := func(id string, at time.Time, what string) {
		if l, ok := latest[id]; !ok || at.After(l.at) {
			latest[id] = last{at: at, what: what}
		}
	}
	for _, s := range sent {
		note(s.CustomerID, s.At, "a thank-you note")
	}
	for _, c := range opts.Contacts {
		note(c.CustomerID, c.At, c.What)
	}
	// An unsettled attempt may have reached them.
	for _, h := range opts.Held {
		note(h.CustomerID, h.At, "a thank-you note that may have arrived")
	}
	today := dateOf(now)
	out := make([]Decision, len(ds))
	for i, d := range ds {
		out[i] = d
		if d.Status != StatusDue {
			continue
		}
		id := d.Customer.ID
		l, ok := latest[id]
		if ok {
			if until := dateOf(l.at).AddDate(0, 0, days); today.Before(until) {
				switch {
				case d.LastDay.IsZero() || !until.After(d.LastDay):
					out[i].Status, out[i].DueOn = StatusDeferred, until
					out[i].Why = fmt.Sprintf("%s; deferred until %s: %s on %s (cool-down %s)",
						d.Why, day(until), l.what, day(l.at), plural(days, "day"))
					continue
				case today.Before(d.LastDay):
					// The cool-down would outlast the window: the note
					// waits as long as it can and goes on its last day.
					out[i].Status, out[i].DueOn = StatusDeferred, d.LastDay
					out[i].Why = fmt.Sprintf("%s; deferred until %s, the last day of its window: %s on %s (cool-down %s, which ends after the window)",
						d.Why, day(d.LastDay), l.what, day(l.at), plural(days, "day"))
					continue
				}
				// Its window's last day: it goes now, cool-down or not.
				out[i].Why = fmt.Sprintf("%s; the last day of its window, so sent within the cool-down (%s on %s)",
					d.Why, l.what, day(l.at))
			}
		}
		// This one goes today: the customer's next due note waits.
		latest[id] = last{at: today, what: fmt.Sprintf("the %s note", d.Occasion)}
	}
	return out
}
