package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
)

// Exit statuses, documented in makegood --help.
const (
	ExitOK      = 0
	ExitFailure = 1 // something failed at run time
	ExitUsage   = 2 // bad usage or invalid input; nothing was written
)

// FlagError is a usage mistake: a missing or malformed flag or argument.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrCancel is returned when the operator aborts a prompt.
var ErrCancel = prompt.ErrAborted

// ErrSilent exits with ExitFailure without printing anything more: the
// command has already said what went wrong.
var ErrSilent = errors.New("silent")

// ExitCodeError carries an explicit exit status, for commands such as
// `apology check` whose status is their answer.
type ExitCodeError struct{ Code int }

func (e *ExitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// RequiredError is the error for a value that is missing when prompting is
// not possible.
func RequiredError(flag string) error {
	return FlagErrorf("%s is required when not running interactively", flag)
}

// ExitCode maps an error to the process exit status.
func ExitCode(err error) int {
	var (
		fe *FlagError
		ce *ConfigError
		le *ledger.FieldError
		ec *ExitCodeError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return ec.Code
	case errors.As(err, &fe), errors.As(err, &ce), errors.As(err, &le),
		errors.Is(err, ledger.ErrNotFound), errors.Is(err, ledger.ErrConflict),
		IsCobraUsageError(err):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// IsCobraUsageError recognises the errors cobra itself returns for unknown
// commands and flags, which carry no type of their own.
func IsCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag",
		"flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most",
		"if any flags in the group", "none of the others can be"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}
