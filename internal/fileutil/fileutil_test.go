package fileutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

func TestReadBounded(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.txt")
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(small, []byte("sorry"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 101), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadBounded("--file", small, 100); err != nil || string(b) != "sorry" {
		t.Fatalf("%q %v", b, err)
	}
	for path, want := range map[string]string{
		big:                        "big.txt is larger than 100 bytes",
		dir:                        "is a directory, not a file",
		"/dev/zero":                "/dev/zero is a device, not a file",
		filepath.Join(dir, "nope"): "no such file or directory",
	} {
		_, err := ReadBounded("--file", path, 100)
		var fe *ledger.FieldError
		if !errors.As(err, &fe) || fe.Field != "--file" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want a --file error containing %q", path, err, want)
		}
	}
}

// TestReadBoundedPipe: a pipe is read, but never past the bound, however
// much the writer has to give.
func TestReadBoundedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		defer w.Close()
		chunk := make([]byte, 4096)
		for {
			if _, err := w.Write(chunk); err != nil {
				done <- nil // the reader gave up: as it should
				return
			}
		}
	}()
	_, err := ReadBounded("--file", fifo, 10000)
	if err == nil || !strings.Contains(err.Error(), "larger than 10000 bytes") {
		t.Fatalf("endless pipe: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(f, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckFile("--config", f, 100); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{dir: "directory", "/dev/zero": "device", f: "larger than 2 bytes"} {
		max := int64(100)
		if path == f {
			max = 2
		}
		if err := CheckFile("--config", path, max); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}
