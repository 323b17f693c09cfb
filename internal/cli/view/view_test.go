package view

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		-time.Minute:                    "0s",
		45 * time.Second:                "45s",
		12*time.Minute + 59*time.Second: "12m 59s",
		2 * time.Hour:                   "2h",
		2*time.Hour + 30*time.Minute:    "2h 30m",
		24 * time.Hour:                  "1d",
		76*time.Hour + 59*time.Minute:   "3d 4h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}
