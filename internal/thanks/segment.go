package thanks

import (
	"fmt"
	"github.com/makegood/makegood/internal/ledger"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// Segment is a parsed --segment expression: terms joined by commas, all of
// which must hold. The zero Segment matches everyone.
//
//	tenure>=2y   tenure<6m   tenure>30d   tenure<=2w   (y, m, w, d)
//	tag=vip      tag!=trial
//	plan=pro     plan!=free
//	price>=100   price<9.99  price=25     (major units of the customer's currency)
//	currency=EUR currency!=USD
//
// Text comparisons ignore case. Prices compare exactly in minor units
// without floats; a customer whose currency is unknown matches no price
// term. Since prices in different currencies are not comparable, combine
// price with currency when customers pay in several.
type Segment struct {
	src   string
	terms []term
}

type term struct {
	field string
	op    string
	text  string // tag, plan, currency

	// tenure: an amount of calendar time
	months, days int

	// price: the decimal value as an integer and its number of fraction
	// digits, so 9.99 is {999, 2}
	scaled *big.Int
	frac   int
}

// maxTenureYears bounds tenure terms so date arithmetic cannot overflow.
const maxTenureYears = 1000

// ParseSegment parses expr. Errors name the term, its 1-based column and
// what is wrong, e.g. `segment term 2 "tenure>=2x" at column 9: unknown
// tenure unit "x"; use y, m, w or d`.
func ParseSegment(expr string) (Segment, error) {
	if strings.TrimSpace(expr) == "" {
		return Segment{}, fmt.Errorf("segment is empty; write terms like tenure>=2y,tag=vip")
	}
	seg := Segment{src: expr}
	offset := 0
	for i, raw := range strings.Split(expr, ",") {
		col := offset + (len(raw) - len(strings.TrimLeft(raw, " \t"))) + 1
		offset += len(raw) + 1
		text := strings.TrimSpace(raw)
		t, err := parseTerm(text)
		if err != nil {
			if text == "" {
				return Segment{}, fmt.Errorf("segment term %d at column %d is empty (stray comma?)", i+1, col)
			}
			return Segment{}, fmt.Errorf("segment term %d %q at column %d: %v", i+1, text, col, err)
		}
		seg.terms = append(seg.terms, t)
	}
	return seg, nil
}

func splitTerm(s string) (field, op, value string, err error) {
	i := 0
	for i < len(s) && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
		i++
	}
	field = strings.ToLower(s[:i])
	rest := strings.TrimLeft(s[i:], " \t")
	// Longest operators first, so ">=" is not read as ">" and "=2y".
	for _, o := range []string{">=", "<=", "!=", "==", "=", ">", "<"} {
		if strings.HasPrefix(rest, o) {
			op = o
			if op == "==" {
				op = "="
			}
			value = strings.TrimSpace(rest[len(o):])
			break
		}
	}
	switch {
	case field == "":
		return "", "", "", fmt.Errorf("expected a field (tenure, tag, plan, price or currency)")
	case op == "":
		return "", "", "", fmt.Errorf("expected an operator (=, !=, >=, >, <=, <) after %q", field)
	case value == "":
		return "", "", "", fmt.Errorf("missing value after %s%s", field, op)
	}
	return field, op, value, nil
}

func parseTerm(s string) (term, error) {
	if s == "" {
		return term{}, fmt.Errorf("empty term")
	}
	field, op, value, err := splitTerm(s)
	if err != nil {
		return term{}, err
	}
	t := term{field: field, op: op}
	switch field {
	case "tag", "plan", "currency":
		if op != "=" && op != "!=" {
			return term{}, fmt.Errorf("%s supports only = and !=", field)
		}
		t.text = value
	case "tenure":
		if op == "=" || op == "!=" {
			return term{}, fmt.Errorf("tenure supports >=, >, <= and <")
		}
		if err := t.parseTenure(value); err != nil {
			return term{}, err
		}
	case "price":
		if err := t.parsePrice(value); err != nil {
			return term{}, err
		}
	default:
		return term{}, fmt.Errorf("unknown field %q; use tenure, tag, plan, price or currency", field)
	}
	return t, nil
}

func (t *term) parseTenure(v string) error {
	if len(v) < 2 {
		return fmt.Errorf("tenure %q needs a number and a unit, as in 2y or 6m", v)
	}
	unit := v[len(v)-1]
	n, err := strconv.Atoi(v[:len(v)-1])
	if err != nil || n < 0 || v[0] == '+' || v[0] == '-' {
		return fmt.Errorf("tenure %q needs a whole number before the unit, as in 2y", v)
	}
	switch unit {
	case 'y':
		n *= 12
		fallthrough
	case 'm':
		if n > maxTenureYears*12 {
			return fmt.Errorf("tenure %q is too long", v)
		}
		t.months = n
	case 'w':
		n *= 7
		fallthrough
	case 'd':
		if n > maxTenureYears*366 {
			return fmt.Errorf("tenure %q is too long", v)
		}
		t.days = n
	default:
		return fmt.Errorf("unknown tenure unit %q; use y, m, w or d", string(unit))
	}
	return nil
}

func (t *term) parsePrice(v string) error {
	whole, frac, hasDot := strings.Cut(v, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return fmt.Errorf("price %q must be a plain amount such as 100 or 9.99 (no sign, symbol or separators)", v)
	}
	if len(whole) > 15 || len(frac) > 9 {
		return fmt.Errorf("price %q has too many digits", v)
	}
	t.scaled, _ = new(big.Int).SetString(whole+frac, 10)
	t.frac = len(frac)
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Match reports whether c satisfies every term on now's calendar date.
func (s Segment) Match(c ledger.Customer, now time.Time) bool {
	for _, t := range s.terms {
		if !t.match(c, now) {
			return false
		}
	}
	return true
}

// String returns the expression as given.
func (s Segment) String() string { return s.src }

func (t term) match(c ledger.Customer, now time.Time) bool {
	switch t.field {
	case "tag":
		has := false
		for _, tag := range c.Tags {
			if strings.EqualFold(strings.TrimSpace(tag), t.text) {
				has = true
				break
			}
		}
		return has == (t.op == "=")
	case "plan":
		return strings.EqualFold(c.Plan, t.text) == (t.op == "=")
	case "currency":
		return strings.EqualFold(c.Currency, t.text) == (t.op == "=")
	case "tenure":
		if c.Since.IsZero() {
			return false
		}
		// Tenure reaches the term's length on this date; comparing dates
		// rather than durations keeps months and years calendar-true.
		reached := addMonths(dateOf(c.Since), t.months).AddDate(0, 0, t.days)
		return compare(dateOf(now).Compare(reached), t.op)
	case "price":
		digits, err := money.Digits(c.Currency)
		if err != nil {
			return false
		}
		// price/10^digits vs scaled/10^frac, cross-multiplied.
		left := new(big.Int).Mul(big.NewInt(c.PriceMinor), pow10(t.frac))
		right := new(big.Int).Mul(t.scaled, pow10(digits))
		return compare(left.Cmp(right), t.op)
	}
	return false
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// compare applies op to the result of a three-way comparison of the
// customer's value against the term's.
func compare(cmp int, op string) bool {
	switch op {
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	case ">=":
		return cmp >= 0
	case ">":
		return cmp > 0
	case "<=":
		return cmp <= 0
	case "<":
		return cmp < 0
	}
	return false
}
