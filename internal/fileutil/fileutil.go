// Package fileutil opens the files an operator names on the command line,
// refusing before reading what is not a file to read: a directory, a
// device (/dev/zero never ends), or, for a file read whole, one larger
// than the command can use. Errors are ledger.FieldErrors naming the flag,
// so they exit with status 2.
package fileutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/makegood/makegood/internal/ledger"
)

// Open opens path to be read as a stream. Regular files and pipes (a
// shell's <(…)) are accepted; a directory, a device or a socket is refused
// with an error naming field.
func Open(field, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ledger.FieldError{Field: field, Err: err}
	}
	// Stat the file opened, not the name: it is what will be read.
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &ledger.FieldError{Field: field, Err: fmt.Errorf("%s: %w", path, unwrapPath(err))}
	}
	if err := checkMode(path, fi.Mode()); err != nil {
		f.Close()
		return nil, &ledger.FieldError{Field: field, Err: err}
	}
	return f, nil
}

// ReadBounded reads the file at path whole, or refuses it: what Open
// refuses, and a file of more than max bytes. The size is checked before
// the file is read whole (at most max+1 bytes are ever read, so a pipe
// that never ends costs max bytes, not all the memory there is).
func ReadBounded(field, path string, max int64) ([]byte, error) {
	f, err := Open(field, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > max {
		return nil, tooLarge(field, path, max)
	}
	return ReadAllBounded(field, path, f, max)
}

// CheckFile refuses path as ReadBounded would, without reading it, for a
// library that reads the file itself (viper, the config file).
func CheckFile(field, path string, max int64) error {
	f, err := Open(field, path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &ledger.FieldError{Field: field, Err: err}
	}
	if !fi.Mode().IsRegular() {
		return ledger.Fieldf(field, "%s is not a regular file", path)
	}
	if fi.Size() > max {
		return tooLarge(field, path, max)
	}
	return nil
}

// ReadAllBounded reads r (standard input, say) to its end, refusing more
// than max bytes. name is what messages call it.
func ReadAllBounded(field, name string, r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, &ledger.FieldError{Field: field, Err: fmt.Errorf("read %s: %w", name, unwrapPath(err))}
	}
	if int64(len(b)) > max {
		return nil, tooLarge(field, name, max)
	}
	return b, nil
}

func tooLarge(field, name string, max int64) error {
	return ledger.Fieldf(field, "%s is larger than %d bytes, more than makegood reads for it; is it the right file?", name, max)
}

func checkMode(path string, m fs.FileMode) error {
	switch {
	case m.IsRegular(), m&fs.ModeNamedPipe != 0:
		return nil
	case m.IsDir():
		return fmt.Errorf("%s is a directory, not a file", path)
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("%s is a device, not a file", path)
	default:
		return fmt.Errorf("%s is not a regular file", path)
	}
}

// unwrapPath drops the *PathError's "open NAME:" prefix when the caller
// names the file itself.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
