package duration

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		-time.Minute:                    "0s",
		500 * time.Millisecond:          "0s",
		45 * time.Second:                "45s",
		90 * time.Second:                "1m 30s",
		12*time.Minute + 59*time.Second: "12m 59s",
		2 * time.Hour:                   "2h",
		2*time.Hour + 30*time.Minute:    "2h 30m",
		4*time.Hour + 18*time.Minute:    "4h 18m",
		4*time.Hour + 59*time.Second:    "4h",
		24 * time.Hour:                  "1d",
		51 * time.Hour:                  "2d 3h",
		76*time.Hour + 59*time.Minute:   "3d 4h",
		72*time.Hour + 5*time.Minute:    "3d",
	} {
		if got := Format(d); got != want {
			t.Errorf("Format(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestExact(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                "0s",
		24 * time.Hour:   "1d",
		90 * time.Minute: "1h 30m",
		45 * time.Minute: "45m",
		800 * time.Hour:  "33d 8h",
		25*time.Hour + 30*time.Minute + 15*time.Second + 400*time.Millisecond: "1d 1h 30m 15s",
		24*time.Hour + time.Second: "1d 1s",
	} {
		if got := Exact(d); got != want {
			t.Errorf("Exact(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestParseReadsWhatExactWrites(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Second, 24 * time.Hour, 800 * time.Hour, 26*time.Hour + 3*time.Minute + 4*time.Second} {
		got, err := Parse(Exact(d))
		if err != nil || got != d {
			t.Errorf("Parse(Exact(%v) = %q) = %v, %v", d, Exact(d), got, err)
		}
	}
	for _, bad := range []string{"", "1h 2d", "1x", "-1h", "1h 1h", "h"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
