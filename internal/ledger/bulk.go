package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Import kinds, as recorded in the imports table.
const (
	ImportCredits   = "credits"
	ImportCustomers = "customers"
)

// Import is one successful import of a file, recorded so the same file is
// not applied twice by accident.
type Import struct {
	ID              int64
	Kind            string // ImportCredits or ImportCustomers
	At              time.Time
	SHA256          string // hex of the file's bytes as read
	Source          string // the file name, or "-" for stdin
	Rows            int    // data rows in the file
	Written         int    // credits issued, or customers created or updated
	AlreadyRecorded int    // rows skipped: already in the ledger as they are
	Operator        string
}

// BulkStore writes a whole file in one transaction: all of it or none.
type BulkStore interface {
	// BeginCreditImport starts the write transaction for a credit file.
	BeginCreditImport(ctx context.Context) (CreditImport, error)
	// BeginCustomerImport starts the write transaction for a customer file.
	BeginCustomerImport(ctx context.Context) (CustomerImport, error)
	// Imports lists recorded imports, newest first.
	Imports(ctx context.Context) ([]Import, error)
}

// Batch is what every import transaction has: a way to find an earlier
// import of the same bytes, to commit with a record of the import, and to
// give up. Rollback after Commit does nothing, so it can be deferred.
type Batch interface {
	// PreviousImport returns the latest import of kind with this hash, or
	// nil when there is none.
	PreviousImport(ctx context.Context, kind, sha256 string) (*Import, error)
	// Commit records the import and commits everything written.
	Commit(ctx context.Context, rec Import) (Import, error)
	Rollback() error
}

// CreditImport is one credit file being written. Validation that needs the
// ledger happens here; the rest is the caller's.
type CreditImport interface {
	Batch
	// Customer reports whether id is in the ledger (or was added by this
	// import) and its currency.
	Customer(ctx context.Context, id string) (known bool, currency string, err error)
	// AddCustomer adds a customer the ledger does not know yet.
	AddCustomer(ctx context.Context, c Customer) error
	// Add queues nc, read from line, for the import; its customer must be
	// in the ledger (see Customer and AddCustomer). Queued rows are
	// written in batches, far faster than row by row, but nothing is
	// committed before Commit.
	Add(ctx context.Context, line int, nc NewCredit) error
	// Finish writes what is still queued and reports each problem with its
	// line: an idempotency key recorded before with other values (a
	// ConflictError), or used by an earlier line of the file (a
	// DuplicateKeyError). Rows whose key is recorded with the same values
	// are skipped. Only after Finish with write and without problems may
	// the import be committed; otherwise it must be rolled back, and what
	// Finish returns is what would have been issued.
	Finish(ctx context.Context, write bool, report func(line int, err error)) (ImportResult, error)
}

// ImportResult is what a credit import did, or would do.
type ImportResult struct {
	Issued          int
	AlreadyRecorded int
	Totals          map[string]int64 // currency -> minor units issued
}

// CustomerImport is one customer file being written.
type CustomerImport interface {
	Batch
	// Customer returns the customer as the ledger (with this import's
	// changes so far) has it; found is false when it is new.
	Customer(ctx context.Context, id string) (c Customer, found bool, err error)
	// Claim records that line is about customer id, or returns a
	// DuplicateKeyError if an earlier line of the file was.
	Claim(ctx context.Context, line int, id string) error
	// Put creates or replaces c, its StripeID included; a StripeID
	// another customer has is a conflict (ErrConflict).
	Put(ctx context.Context, c Customer, create bool) error
}

// DuplicateKeyError is a key used twice in one file.
type DuplicateKeyError struct {
	What      string // "idempotency key", "customer id"
	Key       string
	FirstLine int
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("%s %q is also used on line %d; each row needs its own", e.What, e.Key, e.FirstLine)
}

// MaxProblems is how many problems a failed import lists one by one.
const MaxProblems = 20

// Problems collects what is wrong with a file, keeping the first
// MaxProblems and counting the rest, so a million bad rows cost no memory.
type Problems struct {
	list []error
	more int
}

// Add records a problem.
func (p *Problems) Add(err error) {
	if len(p.list) < MaxProblems {
		p.list = append(p.list, err)
		return
	}
	p.more++
}

// Len is how many problems there are in all.
func (p *Problems) Len() int { return len(p.list) + p.more }

// Err returns nil without problems, else an error listing them that the CLI
// maps to exit status 2.
func (p *Problems) Err() error {
	if p.Len() == 0 {
		return nil
	}
	return &ProblemsError{List: p.list, More: p.more}
}

// ProblemsError is a file with invalid rows; nothing of it was written.
type ProblemsError struct {
	List []error
	More int
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	n := len(e.List) + e.More
	if n == 1 {
		fmt.Fprintf(&b, "the file has a problem; nothing was written:")
	} else {
		fmt.Fprintf(&b, "the file has %d problems; nothing was written:", n)
	}
	for _, err := range e.List {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  and %d more", e.More)
	}
	return b.String()
}

// Unwrap makes the list count as invalid input: every problem is a
// FieldError.
func (e *ProblemsError) Unwrap() []error {
	return append([]error{&FieldError{Field: "file", Err: errors.New("invalid rows")}}, e.List...)
}
