package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the failures of the check it is
// given instead of failing the test that runs it.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	Check(t, path, "one\n", true) // writes it, folder and all
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}
	Check(t, path, "one\n", false) // the same: passes
	r := &recorder{TB: t}
	Check(r, path, "two\n", false)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "-update rewrites it") {
		t.Fatalf("a changed output: %q", r.errors)
	}
}
