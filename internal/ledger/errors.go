package ledger

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNotFound is returned when a customer, credit or other record does not
// exist. Commands treat it as invalid input: the user named something that
// is not in the ledger.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a request contradicts what the ledger already
// holds: voiding a void credit, applying more than remains, reusing an
// idempotency key with other values.
var ErrConflict = errors.New("conflict")

// ErrUnsupported is returned by an engine asked for what it does not do
// (db backup of a PostgreSQL ledger); its message says what does it
// instead. The CLI ties it to the flag that chose the engine.
var ErrUnsupported = errors.New("not supported by this engine")

// FieldError is invalid input tied to one named field, and for files one
// line. The CLI turns it into exit status 2.
type FieldError struct {
	Line  int    // 1-based line in an input file; 0 when not from a file
	Field string // flag or column name, e.g. "--amount" or "amount"
	Err   error
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Fieldf builds a FieldError with a formatted message.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// NotFoundError names what was missing; it matches ErrNotFound with errors.Is.
type NotFoundError struct {
	Kind string // "customer", "credit"
	ID   string
}

func (e *NotFoundError) Error() string {
	// Numeric ids (credits) read better bare; operator-chosen ids are quoted
	// because they may hold spaces.
	if _, err := strconv.ParseUint(e.ID, 10, 64); err == nil {
		return fmt.Sprintf("%s %s not found", e.Kind, e.ID)
	}
	return fmt.Sprintf("%s %q not found", e.Kind, e.ID)
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError explains why the ledger refused a request; it matches
// ErrConflict with errors.Is.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string        { return e.Msg }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Conflictf builds a ConflictError with a formatted message.
func Conflictf(format string, args ...any) error {
	return &ConflictError{Msg: fmt.Sprintf(format, args...)}
}
