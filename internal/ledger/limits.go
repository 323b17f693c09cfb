package ledger

import (
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
