// Package importutil is what the import commands (credit issue --from-file,
// customer import) share: opening the input, hashing it as it streams,
// choosing its format, a progress bar for big inputs, and the summary of
// what was recorded.
package importutil

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/makegood/makegood/internal/fileutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/rows"
)

// ProgressThreshold is the input size from which a progress bar is worth
// showing: below it an import takes well under a second.
const ProgressThreshold = 4 << 20

// Flags are the options every import takes.
type Flags struct {
	Format      string
	DryRun      bool
	AllowRepeat bool
}

// Input is a file or stdin being read once: every byte passes through the
// SHA-256 that identifies the file in the imports table, and through the
// progress bar when there is one.
type Input struct {
	Name   string // as given: a path, or "-" for stdin
	br     *bufio.Reader
	file   *os.File
	hash   hash.Hash
	size   int64 // -1 when unknown (stdin, a pipe)
	read   int64
	errOut io.Writer // where the progress bar goes; nil for none
	bar    *progressbar.ProgressBar
}

// Open opens name ("-" for ios.In); field names the flag or argument it
// came from, for errors (a directory or a device is refused). A progress
// bar is drawn on stderr once the input proves large, and only when stderr
// is a terminal.
func Open(field, name string, ios *iostreams.IOStreams) (*Input, error) {
	in := &Input{Name: name, hash: sha256.New(), size: -1}
	var r io.Reader
	if name == "-" {
		r = ios.In
	} else {
		f, err := fileutil.Open(field, name)
		if err != nil {
			return nil, err
		}
		in.file, r = f, f
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			in.size = fi.Size()
		}
	}
	if ios.IsStderrTTY() {
		in.errOut = ios.ErrOut
	}
	in.br = bufio.NewReaderSize(readerFunc(func(p []byte) (int, error) { return in.readRaw(r, p) }), 64<<10)
	return in, nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func (in *Input) readRaw(r io.Reader, p []byte) (int, error) {
	n, err := r.Read(p)
	if n > 0 {
		in.hash.Write(p[:n])
		in.read += int64(n)
		in.progress()
	}
	return n, err
}

func (in *Input) progress() {
	if in.errOut == nil {
		return
	}
	if in.bar == nil {
		if in.read < ProgressThreshold && (in.size < 0 || in.size < ProgressThreshold) {
			return
		}
		in.bar = progressbar.NewOptions64(in.size,
			progressbar.OptionSetWriter(in.errOut),
			progressbar.OptionSetDescription("Importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	_ = in.bar.Set64(in.read)
}

// Read reads the input.
func (in *Input) Read(p []byte) (int, error) { return in.br.Read(p) }

// Format chooses the input's syntax: the --format flag, else the file's
// extension, else a peek at the first byte ({ means JSON Lines).
func (in *Input) Format(flag string) (rows.Format, error) {
	if flag != "" {
		return rows.ParseFormat(flag)
	}
	if f, ok := rows.FormatOf(in.Name); ok {
		return f, nil
	}
	b, _ := in.br.Peek(512)
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\ufeff")), " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		return rows.JSONL, nil
	}
	return rows.CSV, nil
}

// SHA256 is the hex digest of everything read so far; the whole input once
// the rows have been read to the end.
func (in *Input) SHA256() string {
	// Bytes after the last row (trailing blank lines) still identify the
	// file; read them through.
	_, _ = io.Copy(io.Discard, in.br)
	return hex.EncodeToString(in.hash.Sum(nil))
}

// Close clears the progress bar and closes the file.
func (in *Input) Close() error {
	if in.bar != nil {
		_ = in.bar.Finish()
		in.bar = nil
	}
	if in.file != nil {
		f := in.file
		in.file = nil
		return f.Close()
	}
	return nil
}

// Complete ends an import whose rows have all been read: it refuses a
// file with problems or without rows, and one imported before (unless
// AllowRepeat), then commits with a record of the import unless DryRun.
// rec needs Kind, At, Written, AlreadyRecorded and Operator; the rest
// comes from the input.
func Complete(ctx context.Context, b ledger.Batch, in *Input, rd *rows.Reader, problems *ledger.Problems, fl Flags, rec ledger.Import) error {
	if rd.Rows() == 0 {
		problems.Add(NoRows())
	}
	if err := problems.Err(); err != nil {
		return err
	}
	rec.SHA256, rec.Source, rec.Rows = in.SHA256(), in.Name, rd.Rows()
	prev, err := b.PreviousImport(ctx, rec.Kind, rec.SHA256)
	if err != nil {
		return err
	}
	if prev != nil && !fl.AllowRepeat {
		return RepeatError(prev)
	}
	if !fl.DryRun {
		if _, err := b.Commit(ctx, rec); err != nil {
			return err
		}
	}
	return in.Close()
}

// Operator is who runs the import, for the imports table: the config's
// operator, else $USER.
func Operator(configured string, getenv func(string) string) string {
	if configured != "" {
		return configured
	}
	return getenv("USER")
}

// AtLine puts a validation error on a file's line: a FieldError gets the
// line, anything the ledger refused becomes one for field.
func AtLine(line int, field string, err error) error {
	var fe *ledger.FieldError
	if errors.As(err, &fe) {
		return &ledger.FieldError{Line: line, Field: fe.Field, Err: fe.Err}
	}
	return &ledger.FieldError{Line: line, Field: field, Err: err}
}

// IsRowProblem reports whether err is about the input rather than a
// failure of the machine (disk, database) that must stop the import.
func IsRowProblem(err error) bool {
	var (
		fe  *ledger.FieldError
		dup *ledger.DuplicateKeyError
	)
	return errors.As(err, &fe) || errors.As(err, &dup) ||
		errors.Is(err, ledger.ErrConflict) || errors.Is(err, ledger.ErrNotFound)
}

// NoRows is the problem of a file with a header (or blank lines) and no
// data: almost always a script that selected nothing by mistake.
func NoRows() error {
	return &ledger.FieldError{Line: 1, Field: "file", Err: errors.New("has no rows")}
}

// RepeatError refuses a file imported before.
func RepeatError(prev *ledger.Import) error {
	return &ledger.FieldError{Field: "FILE", Err: fmt.Errorf(
		"this file was already imported at %s (%d rows, %d written, by %s); pass --allow-repeat to import it again",
		prev.At.UTC().Format(time.RFC3339), prev.Rows, prev.Written, orUnknown(prev.Operator))}
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown operator"
	}
	return s
}
