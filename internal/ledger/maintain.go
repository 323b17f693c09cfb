package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/makegood/makegood/pkg/money"
)

// Finding is one thing wrong with a ledger, as db check reports it.
type Finding struct {
	Check  string // what was checked: integrity, schema_version, trigger, …
	Detail string
}

func (f Finding) String() string { return f.Check + ": " + f.Detail }

// CheckResult is what a check of a ledger found (db check): the engine's
// own integrity, the schema its migrations make, and the ledger's sums.
type CheckResult struct {
	SchemaVersion int
	Latest        int // the newest schema this makegood knows
	Triggers      int // triggers the migrations define, all checked
	Credits       int64
	Entries       int64
	Findings      []Finding
}

// Sound reports whether nothing was found.
func (r CheckResult) Sound() bool { return len(r.Findings) == 0 }

// MaxFindingsPerCheck caps the findings of one kind: a ledger with a
// million overdrawn credits needs the first few and a count, not a million
// lines.
const MaxFindingsPerCheck = 20

// CreditBoundFloor is as little as the largest credit of any currency
// may be (money.MaxMinor of a currency without decimals): an engine's
// check need only pass CheckCreditBound the credits above it.
const CreditBoundFloor int64 = money.MaxMajor

// CheckCreditBound is the finding for a credit of more than one credit may
// be in its currency (money.MaxMinor): $1,000,000,000.00 of USD, where the
// database's own cap (MaxRowMinor) is the largest credit of any currency,
// so a row written behind makegood's back can pass the one and not the
// other. The currency-total bound's shortcut (CurrencyTotalHeadroom)
// counts on every credit keeping within its currency's largest, so a
// check must say when one does not. ok is false when the credit keeps to
// it.
func CheckCreditBound(id int64, currency string, amountMinor int64) (f Finding, ok bool) {
	limit, err := money.MaxMinor(currency)
	switch {
	case err != nil:
		return Finding{Check: "credit_bound", Detail: fmt.Sprintf("credit %d: %d minor units of %q, which is not a currency (%v)",
			id, amountMinor, currency, err)}, true
	case amountMinor > limit:
		return Finding{Check: "credit_bound", Detail: fmt.Sprintf("credit %d: %s, more than one credit may be (at most %s)",
			id, money.Format(amountMinor, currency), money.Format(limit, currency))}, true
	}
	return Finding{}, false
}

// Maintainer is what makegood db asks of an open ledger, whatever its
// engine.
type Maintainer interface {
	// Check checks the ledger without changing it: the engine's integrity,
	// every table, trigger and index its migrations make, and the
	// ledger's own sums (one issue entry per credit for its amount, each
	// credit within its currency's largest (CheckCreditBound), nothing
	// left below zero, a voided credit at zero, entry signs by
	// kind, entries' copies of their credit's customer, currency and
	// expiry, no entry without its credit, gestures without money).
	Check(ctx context.Context) (CheckResult, error)
	// Backup writes a consistent copy of the ledger to dest while others
	// go on writing, checked before it takes dest's name. An existing
	// dest is replaced only with replace (else an *ExistsError). An
	// engine whose ledger is not a file (PostgreSQL) refuses, saying
	// which tool backs it up.
	Backup(ctx context.Context, dest string, replace bool) (CheckResult, error)
}

// ExistsError is a file that would be overwritten.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " already exists" }

// NotEmptyError is a restore that would overwrite a ledger holding data.
type NotEmptyError struct {
	Path string
	Rows int64
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("%s is not empty (%d rows of customers, credits, incidents, notes or imports)", e.Path, e.Rows)
}

// ErrUnsound is a restore from a backup that does not pass its check.
var ErrUnsound = errors.New("not a sound ledger")

// CheckSchemaVersion is what db check says of a ledger's schema version
// v, where this makegood knows 1 to r.Latest: a finding for no makegood
// ledger at all (v 0; empty names what is empty: "database", "file"), one
// it does not know, or an older one. It returns how many migrations'
// schema to check: 0 (nothing more to check), v, or r.Latest for a newer
// ledger, whose known migrations are still checked.
func (r *CheckResult) CheckSchemaVersion(v int, empty string) int {
	switch {
	case v == 0:
		r.Add("schema_version", "0: this is not a makegood ledger (or an empty %s)", empty)
		return 0
	case v > r.Latest:
		r.Add("schema_version", "%d is not one this makegood knows (it knows 1 to %d)", v, r.Latest)
		return r.Latest
	case v < r.Latest:
		r.Add("schema_version", "%d is older than this makegood's %d: opening it with makegood migrates it", v, r.Latest)
	}
	return v
}

// Add records a finding of check.
func (r *CheckResult) Add(check, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Check: check, Detail: fmt.Sprintf(format, args...)})
}
