// Package money holds amounts as integer minor units of an ISO 4217 currency
// and converts them to and from text.
//
// Floats never appear here: a credit of 0.10 must stay exactly ten cents
// through every sum in the ledger. Input is parsed strictly and never
// rounded, because a silently rounded credit is money the operator did not
// mean to give (or withhold).
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./internal/isogen

// currencyInfo is what the package knows of a currency: its ISO 4217
// code, its minor-unit digits and its symbol in English. The table
// (iso4217.go) is generated from github.com/bojanz/currency's CLDR data,
// and the tests check it against that library; the library itself is not
// linked in, because building its tables (and cockroachdb/apd's) cost
// every command over a millisecond before main, for a few look-ups.
type currencyInfo struct {
	code   string
	digits uint8
	symbol string
}

// Codes lists the ISO 4217 codes the package knows, the G10 currencies
// first (USD, EUR, JPY, …), then the others by code.
func Codes() []string { return append([]string(nil), codes[:]...) }

// lookup finds an upper-case code in the table.
func lookup(code string) (currencyInfo, bool) {
	if len(code) != 3 {
		return currencyInfo{}, false
	}
	i := 0
	for j := range 3 {
		c := code[j]
		if c < 'A' || c > 'Z' {
			return currencyInfo{}, false
		}
		i = i*26 + int(c-'A')
	}
	if n := index[i]; n > 0 {
		return currencies[n-1], true
	}
	return currencyInfo{}, false
}

// Amount is an amount of money in integer minor units of an ISO 4217 currency.
type Amount struct {
	Minor    int64  // minor units (cents); may be negative for ledger arithmetic
	Currency string // upper-case ISO 4217 code, e.g. "USD"
}

// MaxMajor is the largest amount, in major units of its currency, that Parse
// accepts. A goodwill credit of a billion is already absurd; the cap keeps
// every parsed amount, and sums of many of them, far from int64 overflow.
const MaxMajor = 1_000_000_000

// maxMajorLen is how many digits MaxMajor has.
const maxMajorLen = 10

// maxDigits bounds the minor-unit digits we are willing to scale by, so that
// MaxMajor*10^digits always fits in an int64. ISO 4217 tops out at 4 (CLF);
// the bound guards the generated table against a currency with more.
const maxDigits = 9

// String and Symbol write as CLDR's "en" locale does: makegood's tables and
// messages are English whatever the customer's locale.

// NormalizeCurrency returns code trimmed and upper-cased if it names a known
// ISO 4217 currency.
func NormalizeCurrency(code string) (string, error) {
	c := strings.TrimSpace(code)
	if c == "" {
		return "", errors.New("currency is empty")
	}
	// Already a code as written (every row of a bulk import, usually):
	// no copy to upper-case.
	if _, ok := lookup(c); ok {
		return c, nil
	}
	// Upper-case by hand, ASCII only: strings.ToUpper maps "ı" to "I" and
	// "ſ" to "S", which would let look-alike non-ASCII input through.
	b := []byte(c)
	for i, ch := range b {
		switch {
		case 'a' <= ch && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		case 'A' <= ch && ch <= 'Z':
		default:
			return "", fmt.Errorf("unknown currency %s", quote(c))
		}
	}
	c = string(b)
	if _, ok := lookup(c); !ok {
		return "", fmt.Errorf("unknown currency %s", quote(c))
	}
	return c, nil
}

// Digits returns the number of minor-unit digits of a currency: 2 for USD,
// 0 for JPY, 3 for KWD.
func Digits(code string) (int, error) {
	d, _, err := digitsOf(code)
	return d, err
}

// digitsOf is Digits, with the code normalized.
func digitsOf(code string) (int, string, error) {
	c, err := NormalizeCurrency(code)
	if err != nil {
		return 0, "", err
	}
	info, ok := lookup(c)
	if !ok {
		return 0, "", fmt.Errorf("unknown currency %s", quote(c))
	}
	if d := info.digits; d > maxDigits {
		return 0, "", fmt.Errorf("currency %s has %d minor-unit digits; at most %d are supported", c, d, maxDigits)
	}
	return int(info.digits), c, nil
}

// New returns an Amount after checking and normalizing its currency. Any
// minor value is allowed, including zero and negatives, because ledger
// arithmetic (voids, balances) needs them; only Parse enforces user limits.
func New(minor int64, currency string) (Amount, error) {
	c, err := NormalizeCurrency(currency)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: minor, Currency: c}, nil
}

// Parse reads a strictly written positive decimal amount, such as "25" or
// "25.00", into minor units of currency.
//
// Only ASCII digits with an optional fraction are accepted: no sign,
// exponent, grouping separator or currency symbol, because each of those is
// ambiguous somewhere (is "1,000" one thousand or one?). Zeros past the
// currency's minor unit say nothing more precise than the currency allows,
// so "12.340" EUR is 12.34 and "10.0" JPY is 10; any other digit there is an
// error rather than being rounded, so "12.345" USD and "10.50" JPY are
// rejected. Errors do not name the field; callers prefix it.
func Parse(s, currency string) (Amount, error) {
	digits, cur, err := digitsOf(currency)
	if err != nil {
		return Amount{}, err
	}

	t := strings.Trim(s, " \t\n\v\f\r")
	if t == "" {
		return Amount{}, fmt.Errorf("no amount given; write a number like %s", example(digits))
	}
	if t[0] == '-' {
		if _, _, ok := splitDecimal(t[1:]); ok {
			return Amount{}, fmt.Errorf("%s must be positive", quote(t))
		}
	}
	intPart, fracPart, ok := splitDecimal(t)
	if !ok {
		return Amount{}, fmt.Errorf("%s is not a number; write it like %s", quote(t), example(digits))
	}
	if len(fracPart) > digits && strings.TrimRight(fracPart[digits:], "0") == "" {
		fracPart = fracPart[:digits]
	}
	if len(fracPart) > digits {
		if digits == 0 {
			return Amount{}, fmt.Errorf("%s has decimals, but %s amounts are whole numbers", quote(t), cur)
		}
		return Amount{}, fmt.Errorf("%s has more decimals than %s allows (%d)", quote(t), cur, digits)
	}

	tooLarge := func() error {
		return fmt.Errorf("%s must be at most %s %s", quote(t), groupThousands(strconv.Itoa(MaxMajor)), cur)
	}
	// Size is checked on the digit count before any arithmetic, so a long
	// run of digits cannot overflow; leading zeros do not count.
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxMajorLen {
		return Amount{}, tooLarge()
	}
	var major, frac int64
	for i := 0; i < len(intPart); i++ {
		major = major*10 + int64(intPart[i]-'0')
	}
	if major > MaxMajor {
		return Amount{}, tooLarge()
	}
	for i := 0; i < len(fracPart); i++ {
		frac = frac*10 + int64(fracPart[i]-'0')
	}
	// "1.5" USD is 1*100 + 5*10: the fraction is scaled by the digits not
	// written. With major <= MaxMajor and digits <= maxDigits this fits.
	minor := major*pow10(digits) + frac*pow10(digits-len(fracPart))
	if minor == 0 {
		return Amount{}, fmt.Errorf("%s must be greater than zero", quote(t))
	}
	if minor > MaxMajor*pow10(digits) {
		return Amount{}, tooLarge()
	}
	return Amount{Minor: minor, Currency: cur}, nil
}

// splitDecimal splits "DIGITS" or "DIGITS.DIGITS" (ASCII digits only, at
// least one on each side of a dot) into its integer and fraction digits.
func splitDecimal(s string) (intPart, fracPart string, ok bool) {
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) {
		return "", "", false
	}
	if hasDot && (fracPart == "" || !allDigits(fracPart)) {
		return "", "", false
	}
	return intPart, fracPart, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// example shows, in error messages, how an amount of this currency is
// written, so a JPY user is not told to type "25.00".
func example(digits int) string {
	if digits == 0 {
		return "2500"
	}
	return "25." + strings.Repeat("0", digits)
}

// quote quotes user input for an error message, escaping control and
// non-printable characters and cutting it short, so that a pasted document
// or terminal escape sequence is not echoed back verbatim.
func quote(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// groupThousands inserts commas into a run of ASCII digits, for messages.
func groupThousands(d string) string {
	var b strings.Builder
	for i := 0; i < len(d); i++ {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d[i])
	}
	return b.String()
}

// Decimal returns the amount as a plain decimal with exactly the currency's
// number of fraction digits and no symbol or grouping: "25.00", "2500" (JPY),
// "1.250" (KWD), "-3.50". This is the form machine output (JSON, CSV) uses and
// the form Parse reads back.
//
// An Amount whose currency is unknown cannot be scaled, so its minor units
// are printed unscaled rather than guessed at.
func (a Amount) Decimal() string {
	digits, err := Digits(a.Currency)
	if err != nil {
		digits = 0
	}
	// The magnitude is taken as uint64 because -math.MinInt64 overflows int64.
	mag := uint64(a.Minor)
	if a.Minor < 0 {
		mag = -mag
	}
	d := strconv.FormatUint(mag, 10)
	if digits > 0 {
		if len(d) <= digits {
			d = strings.Repeat("0", digits-len(d)+1) + d
		}
		d = d[:len(d)-digits] + "." + d[len(d)-digits:]
	}
	if a.Minor < 0 {
		return "-" + d
	}
	return d
}

// String returns the amount for people, as the "en" locale writes it:
// "$25.00", "¥2,500", "KWD 1.250", "-$3.50". Non-breaking spaces that CLDR
// puts between a code and the number become plain spaces, so the result is
// safe to align in a terminal table and to compare in tests.
func (a Amount) String() string {
	cur, err := NormalizeCurrency(a.Currency)
	if err != nil {
		return strings.TrimSpace(a.Decimal() + " " + a.Currency)
	}
	info, _ := lookup(cur)
	// CLDR's pattern for "en" is ¤#,##0.00, with the minus sign first, and
	// a space between a symbol that ends in a letter and the number.
	var b strings.Builder
	if a.Minor < 0 {
		b.WriteByte('-')
	}
	b.WriteString(info.symbol)
	if r, _ := utf8.DecodeLastRuneInString(info.symbol); unicode.IsLetter(r) {
		b.WriteByte(' ')
	}
	d := a.Decimal()
	d = strings.TrimPrefix(d, "-")
	whole, frac, hasFrac := strings.Cut(d, ".")
	b.WriteString(groupThousands(whole))
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// IsZero reports whether the amount is zero, whatever its currency.
func (a Amount) IsZero() bool {
	return a.Minor == 0
}

// Format is Amount{minor, currency}.String(), for callers that store the two
// separately.
func Format(minor int64, currency string) string {
	return Amount{Minor: minor, Currency: currency}.String()
}

// DecimalString is Amount{minor, currency}.Decimal(), for callers that store
// the two separately.
func DecimalString(minor int64, currency string) string {
	return Amount{Minor: minor, Currency: currency}.Decimal()
}

// Symbol returns the symbol the "en" locale uses for currency ("$", "¥",
// "KWD"), for table column headers. An unknown currency is returned as given,
// trimmed, since there is nothing better to show.
func Symbol(code string) string {
	cur, err := NormalizeCurrency(code)
	if err != nil {
		return strings.TrimSpace(code)
	}
	info, _ := lookup(cur)
	return info.symbol
}

// RoundUp returns the smallest multiple of step that is >= minor, so that
// suggested credits come out as friendly amounts (step 500 turns 2340 cents
// into 2500). Negative amounts round towards zero, which is up.
//
// A step <= 0 has no multiples to round to, and a result beyond
// math.MaxInt64 cannot be represented; in both cases minor is returned
// unchanged rather than a wrong or wrapped-around value.
func RoundUp(minor int64, step int64) int64 {
	if step <= 0 {
		return minor
	}
	r := minor % step
	switch {
	case r == 0:
		return minor
	case r < 0:
		// Go's remainder takes the sign of minor; subtracting it moves
		// towards zero, which for a negative amount is up.
		return minor - r
	case minor > math.MaxInt64-(step-r):
		return minor
	default:
		return minor + (step - r)
	}
}

// MaxMinor is the largest amount Parse accepts in currency, in minor
// units: MaxMajor with the currency's decimals (100,000,000,000 for USD,
// 10,000,000,000,000 for CLF, the most ISO 4217 has).
func MaxMinor(currency string) (int64, error) {
	digits, err := Digits(currency)
	if err != nil {
		return 0, err
	}
	return MaxMajor * pow10(digits), nil
}

// Check reports whether minor is an amount Parse could have read in
// currency: more than zero and at most MaxMinor. Amounts worked out by a
// program (a suggested credit, a note's gift) go through it, so that no
// path writes what a person could not type. Errors do not name the field.
func Check(minor int64, currency string) error {
	limit, err := MaxMinor(currency)
	if err != nil {
		return err
	}
	switch {
	case minor <= 0:
		return fmt.Errorf("%s must be greater than zero", Format(minor, currency))
	case minor > limit:
		return fmt.Errorf("%s is more than one credit may be: at most %s %s",
			Format(minor, currency), groupThousands(strconv.Itoa(MaxMajor)), strings.ToUpper(strings.TrimSpace(currency)))
	}
	return nil
}
