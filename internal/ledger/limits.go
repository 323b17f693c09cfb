package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// The ledger's bounds on money. A credit is at most money.MaxMajor in its
// currency (money.MaxMinor: 100,000,000,000 minor units of USD, at most
// 10^13 for any ISO 4217 currency). Everything ever issued in one
// currency, summed over every customer and every credit (used, voided and
// expired ones included), is at most MaxCurrencyTotalMinor.
//
// Every sum the ledger takes is of some of one currency's entries, and
// each such sum, whatever its order, lies between minus and plus what was
// issued in that currency: so with this bound no balance, per customer or
// over all of them, no month's goodwill and no import's total can leave
// int64 (about 9.2 × 10^18), with room to spare for a report that adds a
// few such figures together. The bound is over the whole ledger rather
// than per customer because sums over customers exist (the monthly
// goodwill budget, an import's summary), and because a running total per
// currency costs an import nothing, where one per customer would grow
// with the customers a file names.
const MaxCurrencyTotalMinor int64 = 1_000_000_000_000_000_000

// MaxRowMinor is the most one row of the ledger may move: the largest
// credit in any ISO 4217 currency. The database refuses more itself
// (migration 0006), so a hand-written row cannot break the sums either.
const MaxRowMinor int64 = 10_000_000_000_000

// CheckCurrencyTotal is the bound on what a currency's credits add up to:
// issuing amount more, with issued already issued in the currency, must
// keep the total within MaxCurrencyTotalMinor. The engine calls it inside
// the write transaction that issues, for a credit issued alone, and for
// every row of an import against a running total, so the row that would
// pass the bound is the one named.
func CheckCurrencyTotal(field, currency string, issued, amount int64) error {
	if amount <= MaxCurrencyTotalMinor-issued {
		return nil
	}
	return Fieldf(field, "%s would take everything issued in %s past the ledger's bound of %s minor units "+
		"(%s issued already); nothing was written",
		money.Format(amount, currency), currency, groupDigits(MaxCurrencyTotalMinor), money.Format(issued, currency))
}

// CurrencyTotalHeadroom reports whether spanCredits credits of at most
// rowMax each, plus amount, certainly stay within the bound: then the
// engine need not sum the currency's credits to know it. Beyond that it
// does (see CheckCurrencyTotal).
func CurrencyTotalHeadroom(spanCredits, rowMax, amount int64) bool {
	if spanCredits < 0 || rowMax <= 0 {
		return false
	}
	room := MaxCurrencyTotalMinor - amount
	return room >= 0 && spanCredits <= room/rowMax
}

// CurrencyTotalReads are what CheckIssueTotal reads of the ledger, inside
// the write transaction that issues.
type CurrencyTotalReads struct {
	// Span is at least the number of credits (their ids' span).
	Span func() (int64, error)
	// Issued is everything issued in the currency.
	Issued func() (int64, error)
}

// CheckIssueTotal applies CheckCurrencyTotal to a credit of amount in
// currency. The credits' ids bound how many there are, and each is at most
// the currency's largest credit, which is nearly always enough to know the
// bound holds without summing anything (CurrencyTotalHeadroom); only then
// is the currency's total read.
func CheckIssueTotal(field, currency string, amount int64, r CurrencyTotalReads) error {
	span, err := r.Span()
	if err != nil {
		return err
	}
	rowMax, err := MaxAmountMinor(currency)
	if err != nil {
		return &FieldError{Field: "currency", Err: err}
	}
	if CurrencyTotalHeadroom(span, rowMax, amount) {
		return nil
	}
	issued, err := r.Issued()
	if err != nil {
		return err
	}
	return CheckCurrencyTotal(field, currency, issued, amount)
}

// MaxAmountMinor is the largest credit in currency, in minor units.
func MaxAmountMinor(currency string) (int64, error) { return money.MaxMinor(currency) }

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Times the ledger holds are in the years 1970 to 9999: they are stored as
// fixed-width text that sorts as time, which a fifth digit of year would
// break (a time in the year 10000 could be written but never read back),
// and nothing an operator records happened before 1970.
const (
	MinYear = 1970
	MaxYear = 9999
)

// ValidateTime refuses a time outside the years the ledger holds. Every
// time parser and every write calls it.
func ValidateTime(field string, t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return Fieldf(field, "%s is outside the years %d to %d that the ledger holds", t.UTC().Format(time.RFC3339), MinYear, MaxYear)
	}
	return nil
}

// ParseClock reads the MAKEGOOD_NOW clock pin: RFC 3339, within the years
// the ledger holds. field names the variable.
func ParseClock(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, Fieldf(field, "%q is not an RFC 3339 time such as 2026-01-31T12:00:00Z", s)
	}
	if err := ValidateTime(field, t); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// ImportTotals is, per currency, what the ledger held before an import
// (exactly, or an upper bound while one is enough) plus what the import
// has added, so that the bound on a currency's total costs an import's row
// a map look-up. Both engines' imports count their rows with it.
type ImportTotals struct {
	// before is the last credit id before the import: an upper bound on
	// how many credits the ledger held.
	before int64
	totals map[string]*currencyTotal
}

// currencyTotal is what a currency's credits add up to, during an import.
type currencyTotal struct {
	before int64 // the ledger's, before the import
	exact  bool  // before is the sum; otherwise an upper bound
	added  int64 // this import's rows so far
}

// ImportTotalReads are what ImportTotals.Count reads of the ledger,
// inside the import's transaction.
type ImportTotalReads interface {
	// LowestCreditID is the lowest credit id, 1 when there is none.
	LowestCreditID(ctx context.Context) (int64, error)
	// IssuedBefore is everything issued in currency, less what the
	// import itself has written of it.
	IssuedBefore(ctx context.Context, currency string) (int64, error)
}

// NewImportTotals starts the totals of an import that began after credit
// id before (0: the ledger held none).
func NewImportTotals(before int64) ImportTotals {
	return ImportTotals{before: before, totals: map[string]*currencyTotal{}}
}

// Count adds nc to its currency's running total, refusing the row that
// would take the total past the ledger's bound (CheckCurrencyTotal). The
// ledger's part is first bounded by its credits' ids, as for a credit
// issued alone, and summed with r only if that bound is not enough. A
// gesture carries no amount.
func (t *ImportTotals) Count(ctx context.Context, nc NewCredit, r ImportTotalReads) error {
	if nc.Gesture != "" {
		return nil
	}
	ct := t.totals[nc.Currency]
	if ct == nil {
		rowMax, err := MaxAmountMinor(nc.Currency)
		if err != nil {
			return &FieldError{Field: "currency", Err: err}
		}
		ct = &currencyTotal{}
		if t.before > 0 {
			lo, err := r.LowestCreditID(ctx)
			if err != nil {
				return err
			}
			span := t.before - lo + 1
			if span > MaxCurrencyTotalMinor/rowMax {
				ct.before = MaxCurrencyTotalMinor // unknown: sum when it matters
			} else {
				ct.before = span * rowMax
			}
		} else {
			ct.exact = true
		}
		t.totals[nc.Currency] = ct
	}
	err := CheckCurrencyTotal("amount", nc.Currency, ct.before+ct.added, nc.AmountMinor)
	if err != nil && !ct.exact {
		all, sumErr := r.IssuedBefore(ctx, nc.Currency)
		if sumErr != nil {
			return sumErr
		}
		ct.before, ct.exact = all, true
		err = CheckCurrencyTotal("amount", nc.Currency, ct.before+ct.added, nc.AmountMinor)
	}
	if err != nil {
		return err
	}
	ct.added += nc.AmountMinor
	return nil
}

// AtLine puts a file's line on a field error; other errors are returned
// as they are.
func AtLine(line int, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Line: line, Field: fe.Field, Err: fe.Err}
	}
	return err
}
