package thanks

import (
	"github.com/makegood/makegood/internal/ledger"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func at(s string) time.Time { return date(s).Add(10 * time.Hour) }

func TestEvaluate(t *testing.T) {
	cust := func(since string) ledger.Customer {
		c := ledger.Customer{ID: "cus_1", Name: "Ana Souza", Email: "ana@example.com", Plan: "pro"}
		if since != "" {
			c.Since = date(since)
		}
		return c
	}
	sent := func(occ Occasion, key, when string) Sent {
		return Sent{CustomerID: "cus_1", Occasion: occ, Key: key, At: at(when)}
	}
	rec := func(fixed, comp string) Recovery {
		r := Recovery{CustomerID: "cus_1", IncidentID: "7", Title: "Login outage"}
		if fixed != "" {
			r.Fixed = at(fixed)
		}
		if comp != "" {
			r.Compensated = at(comp)
		}
		return r
	}
	tests := []struct {
		name    string
		since   string
		now     string
		sent    []Sent
		opts    DueOptions
		occ     Occasion
		status  Status
		key     string
		why     string // substring
		noItems bool   // no decision at all for occ
	}{
		// welcome: [since, since+14d)
		{name: "welcome same day", since: "2025-11-24", now: "2025-11-24", occ: Welcome, status: StatusDue, key: "welcome", why: "joined 2025-11-24, today; never thanked"},
		{name: "welcome day 13", since: "2025-11-11", now: "2025-11-24", occ: Welcome, status: StatusDue, key: "welcome", why: "13 days ago"},
		{name: "welcome day 14 is past", since: "2025-11-10", now: "2025-11-24", occ: Welcome, status: StatusNotDue, why: "welcome window is 14 days"},
		{name: "welcome custom window", since: "2025-11-10", now: "2025-11-24", opts: DueOptions{WelcomeDays: 30}, occ: Welcome, status: StatusDue},
		{name: "welcome future since", since: "2025-12-01", now: "2025-11-24", occ: Welcome, status: StatusNotDue, why: "future"},
		{name: "welcome unknown since", since: "", now: "2025-11-24", occ: Welcome, status: StatusNotDue, why: "unknown"},
		{name: "welcome already sent", since: "2025-11-20", now: "2025-11-24", sent: []Sent{sent(Welcome, "welcome", "2025-11-21")}, occ: Welcome, status: StatusAlreadySent, key: "welcome", why: "already thanked for this on 2025-11-21"},
		{name: "welcome sent, window over", since: "2025-01-20", now: "2025-11-24", sent: []Sent{sent(Welcome, "welcome", "2025-01-21")}, occ: Welcome, status: StatusAlreadySent, why: "welcomed on 2025-01-21"},

		// anniversary: [anniversary, anniversary+30d), key per year
		{name: "anniversary on the day", since: "2022-11-24", now: "2025-11-24", occ: Anniversary, status: StatusDue, key: "anniversary:3", why: "3 years since 2022-11-24; never thanked"},
		{name: "anniversary in window", since: "2022-11-20", now: "2025-11-24", sent: []Sent{sent(Welcome, "welcome", "2022-11-21")}, occ: Anniversary, status: StatusDue, key: "anniversary:3", why: "3 years since 2022-11-20; last thanked 2022-11-21"},
		{name: "anniversary window day 29", since: "2022-10-26", now: "2025-11-24", occ: Anniversary, status: StatusDue, key: "anniversary:3"},
		{name: "anniversary window over", since: "2022-10-25", now: "2025-11-24", occ: Anniversary, status: StatusNotDue, key: "anniversary:3", why: "next on 2026-10-25"},
		{name: "anniversary tomorrow", since: "2022-11-25", now: "2025-11-24", occ: Anniversary, status: StatusNotDue, key: "anniversary:2"},
		{name: "anniversary first year not reached", since: "2025-01-01", now: "2025-11-24", occ: Anniversary, status: StatusNotDue, why: "first anniversary on 2026-01-01"},
		{name: "anniversary already sent this year", since: "2022-11-20", now: "2025-11-24", sent: []Sent{sent(Anniversary, "anniversary:3", "2025-11-21")}, occ: Anniversary, status: StatusAlreadySent, key: "anniversary:3", why: "already thanked for this on 2025-11-21"},
		{name: "anniversary last year's note does not block", since: "2022-11-20", now: "2025-11-24", sent: []Sent{sent(Anniversary, "anniversary:2", "2024-11-21")}, occ: Anniversary, status: StatusDue, key: "anniversary:3", why: "last thanked 2024-11-21"},
		{name: "anniversary custom window", since: "2022-10-01", now: "2025-11-24", opts: DueOptions{AnniversaryDays: 60}, occ: Anniversary, status: StatusDue, key: "anniversary:3"},
		{name: "anniversary unknown since", since: "", now: "2025-11-24", occ: Anniversary, status: StatusNotDue},

		// leap-day customers celebrate on 28 February in common years
		{name: "leap since, common year 28 Feb", since: "2020-02-29", now: "2025-02-28", occ: Anniversary, status: StatusDue, key: "anniversary:5"},
		{name: "leap since, common year 27 Feb", since: "2020-02-29", now: "2025-02-27", occ: Anniversary, status: StatusNotDue, key: "anniversary:4"},
		{name: "leap since, leap year 29 Feb", since: "2020-02-29", now: "2024-02-29", occ: Anniversary, status: StatusDue, key: "anniversary:4"},
		{name: "leap since, leap year 28 Feb", since: "2020-02-29", now: "2024-02-28", occ: Anniversary, status: StatusNotDue, key: "anniversary:3"},
		{name: "leap since, window continues into March", since: "2020-02-29", now: "2025-03-20", occ: Anniversary, status: StatusDue, key: "anniversary:5"},
		{name: "leap since, sent", since: "2020-02-29", now: "2025-03-05", sent: []Sent{sent(Anniversary, "anniversary:5", "2025-02-28")}, occ: Anniversary, status: StatusAlreadySent},

		// milestone: once per name
		{name: "milestone due", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Milestone: "Launch  Day"}, occ: Milestone, status: StatusDue, key: "milestone:launch day", why: `milestone "Launch  Day"`},
		{name: "milestone already", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Milestone: "launch day"}, sent: []Sent{sent(Milestone, "milestone:launch day", "2025-06-01")}, occ: Milestone, status: StatusAlreadySent},
		{name: "milestone other name not blocking", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Milestone: "1000 customers"}, sent: []Sent{sent(Milestone, "milestone:launch day", "2025-06-01")}, occ: Milestone, status: StatusDue},
		{name: "milestone not selected without name", since: "2024-01-01", now: "2025-11-24", occ: Milestone, noItems: true},
		{name: "milestone listed without name", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Occasions: []Occasion{Milestone}}, occ: Milestone, status: StatusNotDue, why: "no milestone"},

		// after_recovery: from the later of fixed and compensated, 30 days
		{name: "recovery due", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Recoveries: []Recovery{rec("2025-11-20", "2025-11-21")}}, occ: AfterRecovery, status: StatusDue, key: "after_recovery:7", why: "incident 7 fixed 2025-11-20, compensated 2025-11-21"},
		{name: "recovery not compensated", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Recoveries: []Recovery{rec("2025-11-20", "")}}, occ: AfterRecovery, status: StatusNotDue, why: "not yet compensated"},
		{name: "recovery not fixed", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Recoveries: []Recovery{rec("", "2025-11-20")}}, occ: AfterRecovery, status: StatusNotDue, why: "not fixed"},
		{name: "recovery too old", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Recoveries: []Recovery{rec("2025-10-01", "2025-10-02")}}, occ: AfterRecovery, status: StatusNotDue, why: "more than 30 days"},
		{name: "recovery sent", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Recoveries: []Recovery{rec("2025-11-20", "2025-11-21")}}, sent: []Sent{sent(AfterRecovery, "after_recovery:7", "2025-11-22")}, occ: AfterRecovery, status: StatusAlreadySent},
		{name: "recovery none", since: "2024-01-01", now: "2025-11-24", occ: AfterRecovery, noItems: true},

		// just_because: only when asked; 30-day cool-down; dated key
		{name: "just because not automatic", since: "2024-01-01", now: "2025-11-24", occ: JustBecause, noItems: true},
		{name: "just because due", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Occasions: []Occasion{JustBecause}}, occ: JustBecause, status: StatusDue, key: "just_because:2025-11-24"},
		{name: "just because cool-down", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Occasions: []Occasion{JustBecause}}, sent: []Sent{sent(JustBecause, "just_because:2025-11-04", "2025-11-04")}, occ: JustBecause, status: StatusAlreadySent, why: "cool-down"},
		{name: "just because after cool-down", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Occasions: []Occasion{JustBecause}}, sent: []Sent{sent(JustBecause, "just_because:2025-10-01", "2025-10-01")}, occ: JustBecause, status: StatusDue},
		{name: "just because same day re-run", since: "2024-01-01", now: "2025-11-24", opts: DueOptions{Occasions: []Occasion{JustBecause}, JustBecauseDays: 1}, sent: []Sent{sent(JustBecause, "just_because:2025-11-24", "2025-11-24")}, occ: JustBecause, status: StatusAlreadySent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := at(tt.now)
			var got []Decision
			for _, d := range Evaluate([]ledger.Customer{cust(tt.since)}, tt.sent, now, tt.opts) {
				if d.Occasion == tt.occ {
					got = append(got, d)
				}
			}
			if tt.noItems {
				if len(got) != 0 {
					t.Fatalf("got %+v, want no decision", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d decisions for %s: %+v", len(got), tt.occ, got)
			}
			d := got[0]
			if d.Status != tt.status {
				t.Errorf("status = %s, want %s (why: %s)", d.Status, tt.status, d.Why)
			}
			if tt.key != "" && d.Key != tt.key {
				t.Errorf("key = %q, want %q", d.Key, tt.key)
			}
			if !strings.Contains(d.Why, tt.why) {
				t.Errorf("why = %q, want it to contain %q", d.Why, tt.why)
			}
			if d.Customer.ID != "cus_1" {
				t.Errorf("customer = %+v", d.Customer)
			}
		})
	}
}

func TestDueFiltersAndOrders(t *testing.T) {
	now := at("2025-11-24")
	customers := []ledger.Customer{
		{ID: "b", Since: date("2022-11-20")},
		{ID: "a", Since: date("2025-11-20")},
		{ID: "c", Since: date("2025-03-03")},
		{ID: "d", Since: date("2024-11-22")},
	}
	sent := []Sent{{CustomerID: "d", Occasion: Anniversary, Key: "anniversary:1", At: at("2025-11-22")}}
	// The order of every due note, without the cool-down that would defer
	// b's second and third (TestCooldown).
	opts := DueOptions{CooldownDays: -1, Recoveries: []Recovery{
		{CustomerID: "b", IncidentID: "9", Fixed: at("2025-11-23"), Compensated: at("2025-11-23")},
		{CustomerID: "b", IncidentID: "8", Fixed: at("2025-11-01"), Compensated: at("2025-11-02")},
	}}
	var got []string
	for _, it := range Due(customers, sent, now, opts) {
		got = append(got, it.Customer.ID+" "+it.Key)
	}
	want := []string{"b anniversary:3", "b after_recovery:9", "b after_recovery:8", "a welcome"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Due = %q, want %q", got, want)
	}

	// Only the listed occasion; duplicates in the list are harmless.
	got = nil
	for _, it := range Due(customers, sent, now, DueOptions{Occasions: []Occasion{Welcome, Welcome}}) {
		got = append(got, it.Customer.ID+" "+it.Key)
	}
	if strings.Join(got, "|") != "a welcome" {
		t.Errorf("welcome only = %q", got)
	}
}

// A re-run after sending what was due finds nothing more to send.
func TestDueNeverTwice(t *testing.T) {
	now := at("2025-11-24")
	customers := []ledger.Customer{{ID: "a", Since: date("2025-11-20")}, {ID: "b", Since: date("2021-11-24")}}
	opts := DueOptions{Milestone: "launch", CooldownDays: -1}
	first := Due(customers, nil, now, opts)
	if len(first) != 4 {
		t.Fatalf("first run: %d items", len(first))
	}
	var sent []Sent
	for _, it := range first {
		sent = append(sent, Sent{CustomerID: it.Customer.ID, Occasion: it.Occasion, Key: it.Key, At: now})
	}
	for _, later := range []time.Time{now, now.Add(24 * time.Hour), now.AddDate(0, 0, 7)} {
		if again := Due(customers, sent, later, opts); len(again) != 0 {
			t.Errorf("at %s: due again: %+v", later, again)
		}
	}
	// Next year's anniversary is due again.
	next := Due(customers, sent, now.AddDate(1, 0, 0), DueOptions{Occasions: []Occasion{Anniversary}, CooldownDays: -1})
	if len(next) != 2 || next[1].Key != "anniversary:5" || next[0].Key != "anniversary:1" {
		t.Errorf("next year: %+v", next)
	}
}

func TestParseOccasion(t *testing.T) {
	tests := []struct {
		in, occ, arg, err string
	}{
		{in: "welcome", occ: "welcome"},
		{in: " Anniversary ", occ: "anniversary"},
		{in: "after-recovery", occ: "after_recovery"},
		{in: "just_because", occ: "just_because"},
		{in: "milestone:Launch Day", occ: "milestone", arg: "Launch Day"},
		{in: "milestone", err: "needs a name"},
		{in: "milestone: ", err: "needs a name"},
		{in: "milestone:a\x00b", err: "control character"},
		{in: "milestone:" + strings.Repeat("x", 81), err: "at most 80"},
		{in: "welcome:x", err: "takes no argument"},
		{in: "birthday", err: "unknown occasion"},
		{in: "", err: "unknown occasion"},
	}
	for _, tt := range tests {
		occ, arg, err := ParseOccasion(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseOccasion(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || string(occ) != tt.occ || arg != tt.arg {
			t.Errorf("ParseOccasion(%q) = %q, %q, %v", tt.in, occ, arg, err)
		}
	}
}

func TestKeys(t *testing.T) {
	for got, want := range map[string]string{
		WelcomeKey():                       "welcome",
		AnniversaryKey(3):                  "anniversary:3",
		MilestoneKey(" 10k  Customers "):   "milestone:10k customers",
		AfterRecoveryKey("42"):             "after_recovery:42",
		JustBecauseKey(at("2025-11-24")):   "just_because:2025-11-24",
		JustBecauseKey(date("2025-01-02")): "just_because:2025-01-02",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
}

// No pile of notes on one day: after a note or an apology, the rest wait
// out the cool-down, and of several due at once only the first goes.
func TestCooldown(t *testing.T) {
	now := at("2025-11-24")
	customers := []ledger.Customer{
		{ID: "b", Since: date("2022-11-20")}, // anniversary and a recovery due
		{ID: "a", Since: date("2025-11-20")}, // welcome due, apologized to yesterday
		{ID: "c", Since: date("2024-11-22")}, // anniversary due, thanked 8 days ago
		{ID: "d", Since: date("2024-11-23")}, // anniversary due, thanked 6 days ago
	}
	sent := []Sent{
		{CustomerID: "c", Occasion: Milestone, Key: "milestone:launch", At: at("2025-11-16")},
		{CustomerID: "d", Occasion: Milestone, Key: "milestone:launch", At: at("2025-11-18")},
	}
	opts := DueOptions{
		Recoveries: []Recovery{{CustomerID: "b", IncidentID: "9", Fixed: at("2025-11-23"), Compensated: at("2025-11-23")}},
		Contacts:   []Contact{{CustomerID: "a", At: at("2025-11-23"), What: "an apology"}},
	}
	got := map[string]string{}
	for _, d := range Evaluate(customers, sent, now, opts) {
		if d.Status == StatusDue || d.Status == StatusDeferred {
			v := string(d.Status)
			if !d.DueOn.IsZero() {
				v += " " + day(d.DueOn)
			}
			got[d.Customer.ID+" "+d.Key] = v
			if d.Status == StatusDeferred && !strings.Contains(d.Why, "deferred until "+day(d.DueOn)) {
				t.Errorf("%s %s: why %q does not say until when", d.Customer.ID, d.Key, d.Why)
			}
		}
	}
	want := map[string]string{
		"b anniversary:3":    "due",
		"b after_recovery:9": "deferred 2025-12-01",
		"a welcome":          "deferred 2025-11-30",
		"c anniversary:1":    "due",
		"d anniversary:1":    "deferred 2025-11-25",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("decisions %v, want %v", got, want)
	}
	// Configured: 3 days. Off: everything due.
	opts.CooldownDays = 3
	for _, d := range Evaluate(customers, sent, now, opts) {
		if d.Customer.ID == "d" && d.Key == "anniversary:1" && d.Status != StatusDue {
			t.Errorf("with a 3-day cool-down, d is %s", d.Status)
		}
	}
	opts.CooldownDays = -1
	if n := len(Due(customers, sent, now, opts)); n != 5 {
		t.Errorf("without a cool-down %d due, want 5", n)
	}
	// A note with an unsettled attempt is held, and counts as a contact.
	opts.CooldownDays = 0
	opts.Held = []Held{{CustomerID: "c", Key: "anniversary:1", At: at("2025-11-24"), Why: "attempt 1 has an unknown outcome"}}
	opts.Milestone = "1000 customers"
	seen := 0
	for _, d := range Evaluate(customers, sent, now, opts) {
		if d.Customer.ID == "c" && (d.Key == "anniversary:1" || d.Key == "milestone:1000 customers") {
			seen++
		}
		switch {
		case d.Customer.ID == "c" && d.Key == "anniversary:1" && (d.Status != StatusHeld || d.Why != "attempt 1 has an unknown outcome"):
			t.Errorf("held note: %s %q", d.Status, d.Why)
		case d.Customer.ID == "c" && d.Key == "milestone:1000 customers" && (d.Status != StatusDeferred || !strings.Contains(d.Why, "may have arrived")):
			t.Errorf("c's milestone after a held note: %s %q", d.Status, d.Why)
		}
	}
	if seen != 2 {
		t.Errorf("saw %d of c's two notes", seen)
	}
}

// A cool-down that would outlast an occasion's window does not defer the
// note out of it: the note waits until the window's last day and goes then.
func TestCooldownNeverDefersPastTheWindow(t *testing.T) {
	// Joined 2025-11-12: the 14-day welcome window's last day is 11-25.
	customers := []ledger.Customer{{ID: "a", Since: date("2025-11-12")}}
	opts := DueOptions{Contacts: []Contact{{CustomerID: "a", At: at("2025-11-23"), What: "an apology"}}}
	// 11-23 + 7 days = 11-30, after the window: deferred to 11-25, not 11-30.
	ds := Evaluate(customers, nil, at("2025-11-24"), opts)
	if len(ds) == 0 || ds[0].Key != WelcomeKey() {
		t.Fatalf("decisions %+v", ds)
	}
	if d := ds[0]; d.Status != StatusDeferred || day(d.DueOn) != "2025-11-25" || !strings.Contains(d.Why, "last day of its window") {
		t.Fatalf("on 11-24: %s until %s, %q; want deferred until 2025-11-25, the window's last day", d.Status, day(d.DueOn), d.Why)
	}
	// On the last day it is due, within the cool-down, and says so.
	if d := Evaluate(customers, nil, at("2025-11-25"), opts)[0]; d.Status != StatusDue || !strings.Contains(d.Why, "within the cool-down") {
		t.Fatalf("on 11-25: %s %q; want due on the window's last day", d.Status, d.Why)
	}
	// The day after, the window is closed: not due (as without a cool-down).
	if d := Evaluate(customers, nil, at("2025-11-26"), opts)[0]; d.Status != StatusNotDue {
		t.Fatalf("on 11-26: %s %q; want not due", d.Status, d.Why)
	}
	// A cool-down that ends within the window defers as before.
	opts.CooldownDays = 2
	if d := Evaluate(customers, nil, at("2025-11-24"), opts)[0]; d.Status != StatusDeferred || day(d.DueOn) != "2025-11-25" || strings.Contains(d.Why, "last day") {
		t.Fatalf("2-day cool-down: %s until %s, %q", d.Status, day(d.DueOn), d.Why)
	}
}
