// Package golden compares what a test printed with a golden file, and
// rewrites the file when the test runs with -update, for review in git diff.
package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// Check fails t when got differs from the file at path. With update it
// writes got to path instead (making its folder), so a deliberate change
// of output is one command and a diff to read.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run '%s' -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("the output differs from %s (go test -run '%s' -update rewrites it):\n--- got\n%s--- want\n%s",
			path, t.Name(), got, want)
	}
}
