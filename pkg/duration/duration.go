// Package duration writes lengths of time the one way makegood shows them
// everywhere — incident show, the walk's last words, goodwill's
// arithmetic, reports: whole units largest first, separated by spaces,
// "4h 18m", "2d 3h", "45s".
package duration

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

type unit struct {
	d      time.Duration
	suffix string
}

// units are the units written, largest first. A day is 24 hours: these
// are elapsed times, not calendar days.
// unitCount is how many units there are, for Exact, which writes them all.
const unitCount = 4

func units() [unitCount]unit {
	return [...]unit{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
}

// Format is d for people at a glance: its two largest units, rounded down
// ("45s", "12m", "2h 30m", "3d 4h", "3d"). Negative durations are "0s".
func Format(d time.Duration) string { return format(d, 2) }

// Exact is d in every unit down to the second, for arithmetic a reader
// checks by hand ("1d 1h 30m 15s", "24h" is "1d"). Less than a second is
// dropped; negative durations are "0s".
func Exact(d time.Duration) string { return format(d, unitCount) }

// format writes up to n units, starting at d's largest; a zero unit after
// the first counts towards n but is not written ("3d", not "3d 0h").
func format(d time.Duration, n int) string {
	if d < time.Second {
		return "0s"
	}
	var parts []string
	for _, u := range units() {
		if len(parts) == 0 && d < u.d {
			continue
		}
		if n == 0 {
			break
		}
		n--
		if q := d / u.d; q > 0 {
			parts = append(parts, strconv.FormatInt(int64(q), 10)+u.suffix)
		}
		d %= u.d
	}
	return strings.Join(parts, " ")
}

// Parse reads a length written the way Exact and Format write it ("1d 2h",
// "45s"), so text makegood printed can be read back and checked.
func Parse(s string) (time.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, fmt.Errorf("duration %q is empty", s)
	}
	var total time.Duration
	units := units()
	next := 0 // units must come largest first, each at most once
	for _, f := range fields {
		i := next
		for i < len(units) && !strings.HasSuffix(f, units[i].suffix) {
			i++
		}
		if i == len(units) {
			return 0, fmt.Errorf("duration %q: %q is not a number of days, hours, minutes or seconds in order", s, f)
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(f, units[i].suffix), 10, 64)
		if err != nil || n < 0 || n > int64(math.MaxInt64/units[i].d) {
			return 0, fmt.Errorf("duration %q: %q is not a whole number of %s", s, f, units[i].suffix)
		}
		total += time.Duration(n) * units[i].d
		next = i + 1
	}
	return total, nil
}
