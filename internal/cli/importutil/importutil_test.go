package importutil

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/rows"
)

func readThrough(t *testing.T, path string, stderrTTY bool) (string, string) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	ios.SetStderrTTY(stderrTTY)
	in, err := Open("FILE", path, ios)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		t.Fatal(err)
	}
	sum := in.SHA256()
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	return errOut.String(), sum
}

// TestProgress shows a bar on stderr for a large input when stderr is a
// terminal, and nothing otherwise.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	data := bytes.Repeat([]byte("cus_1,25.00\n"), ProgressThreshold/12+1000)
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(small, []byte("customer,amount\ncus_1,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := readThrough(t, big, true); !strings.Contains(got, "Importing") || !strings.Contains(got, "%") {
		t.Errorf("large input on a terminal: stderr %q has no progress bar", got)
	}
	if got, _ := readThrough(t, big, false); got != "" {
		t.Errorf("large input, stderr not a terminal: stderr = %q, want nothing", got)
	}
	if got, _ := readThrough(t, small, true); got != "" {
		t.Errorf("small input: stderr = %q, want nothing", got)
	}
}

func TestSHA256(t *testing.T) {
	ios, in, _, _ := iostreams.Test()
	in.WriteString("abc")
	inp, err := Open("FILE", "-", ios)
	if err != nil {
		t.Fatal(err)
	}
	// Bytes nobody read still count: the hash is of the whole input.
	if got := inp.SHA256(); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("SHA256(abc) = %s", got)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name, flag, data string
		want             rows.Format
	}{
		{"a.csv", "", "{", rows.CSV},
		{"a.jsonl", "", "x", rows.JSONL},
		{"-", "", "\ufeff  {\"a\":1}", rows.JSONL},
		{"-", "", "customer,amount", rows.CSV},
		{"-", "jsonl", "customer", rows.JSONL},
	} {
		ios, in, _, _ := iostreams.Test()
		in.WriteString(tc.data)
		path := "-"
		if tc.name != "-" {
			path = filepath.Join(t.TempDir(), tc.name)
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		inp, err := Open("FILE", path, ios)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := inp.Format(tc.flag); err != nil || got != tc.want {
			t.Errorf("%s %q: Format = %q, %v; want %q", tc.name, tc.data, got, err, tc.want)
		}
		inp.Close()
	}
}

func TestOperator(t *testing.T) {
	env := func(string) string { return "ann" }
	if got := Operator("", env); got != "ann" {
		t.Errorf("Operator from $USER = %q", got)
	}
	if got := Operator("ops@example.com", env); got != "ops@example.com" {
		t.Errorf("configured operator = %q", got)
	}
}
