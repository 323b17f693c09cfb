package quietinit

import (
	"os"
	"testing"
)

// Done takes back only the CI this package set: a CI the process was
// started with (a CI runner's) stays as it was.
func TestDoneRestoresOnlyItsOwnCI(t *testing.T) {
	t.Setenv("CI", marker)
	Done()
	if v, set := os.LookupEnv("CI"); set {
		t.Errorf("after Done, CI=%q; want it unset, as the process started", v)
	}

	t.Setenv("CI", "true")
	Done()
	if v := os.Getenv("CI"); v != "true" {
		t.Errorf("after Done, the caller's CI=true became %q", v)
	}
}
