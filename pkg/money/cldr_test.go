package money

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bojanz/currency"
)

// The table is generated from github.com/bojanz/currency (internal/isogen);
// these tests hold it, and the formatting that replaced the library's, to
// what the library says, for every currency it knows.

func TestTableMatchesLibrary(t *testing.T) {
	if got, want := Codes(), currency.GetCurrencyCodes(); !slices.Equal(got, want) {
		t.Errorf("Codes() = %v; the library lists %v", got, want)
	}
	codes := slices.Sorted(slices.Values(currency.GetCurrencyCodes()))
	var ours []string
	for _, c := range currencies {
		ours = append(ours, c.code)
	}
	if !slices.Equal(ours, codes) {
		t.Fatalf("the table's codes differ from the library's: run go generate ./pkg/money\nours: %v\nlibrary: %v", ours, codes)
	}
	en := currency.NewLocale("en")
	for _, c := range codes {
		wantDigits, _ := currency.GetDigits(c)
		if got, err := Digits(c); err != nil || got != int(wantDigits) {
			t.Errorf("Digits(%s) = %d, %v; the library says %d", c, got, err, wantDigits)
		}
		wantSym, _ := currency.GetSymbol(c, en)
		if got := Symbol(c); got != plainSpaces(wantSym) {
			t.Errorf("Symbol(%s) = %q; the library says %q", c, got, wantSym)
		}
	}
	for _, c := range []string{"XXX0", "ZZZ", "usd", "US", ""} {
		if _, ok := lookup(c); ok {
			t.Errorf("lookup(%q) found a currency", c)
		}
	}
}

func TestStringMatchesLibrary(t *testing.T) {
	f := currency.NewFormatter(currency.NewLocale("en"))
	amounts := []int64{0, 1, -1, 5, 9, 10, 99, 100, 101, 999, 1000, 1001, 12345, -12345, 99999, 100000,
		1234567, -1234567, 123456789, 100_000_000_000, 10_000_000_000_000, math.MaxInt64, math.MinInt64 + 1, math.MinInt64}
	for _, c := range currency.GetCurrencyCodes() {
		for _, minor := range amounts {
			a, err := currency.NewAmountFromInt64(minor, c)
			if err != nil {
				t.Fatal(err)
			}
			want := plainSpaces(f.Format(a))
			if got := (Amount{Minor: minor, Currency: c}).String(); got != want {
				t.Errorf("Amount{%d, %s}.String() = %q; the library formats %q", minor, c, got, want)
			}
		}
	}
}

// plainSpaces is what makegood prints for CLDR's non-breaking spaces.
func plainSpaces(s string) string {
	return strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
}
