package goodwill

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/pkg/duration"
)

// ceiling is where intermediate amounts saturate. Every input is bounded
// (prices by Customer validation, ratios by Policy.Validate) so that any
// amount that reaches it is far above the per-case cap, which then clips it;
// saturating instead of failing keeps Suggest total over valid inputs, and
// the sum of two saturated values still fits in an int64.
const ceiling = math.MaxInt64 / 4

// mulDivUp returns ceil(a*b/c) for a, b >= 0 and c > 0, saturating at
// ceiling. The product is taken in 128 bits because price × downtime in
// nanoseconds overflows 64.
func mulDivUp(a, b, c int64) int64 {
	q, r, ok := mulDiv(a, b, c)
	if !ok || q >= ceiling {
		return ceiling
	}
	if r != 0 {
		q++
	}
	return int64(q)
}

// mulDivDown returns floor(a*b/c) for a, b >= 0 and c > 0, saturating at
// ceiling.
func mulDivDown(a, b, c int64) int64 {
	q, _, ok := mulDiv(a, b, c)
	if !ok || q > ceiling {
		return ceiling
	}
	return int64(q)
}

func mulDiv(a, b, c int64) (q, r uint64, ok bool) {
	if a < 0 || b < 0 || c <= 0 {
		panic("goodwill: mulDiv needs a, b >= 0 and c > 0")
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 0, 0, false
	}
	q, r = bits.Div64(hi, lo, uint64(c))
	return q, r, true
}

// add returns a+b for a, b in [0, ceiling], saturating at ceiling.
func add(a, b int64) int64 {
	return min(a+b, ceiling)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// fmtBP writes basis points as a percentage without trailing zeros:
// 1000 → "10%", 9990 → "99.9%", 9666 → "96.66%".
func fmtBP(bp int64) string {
	return fixed(bp, 2) + "%"
}

// fmtPermille writes a per-mille bonus as a percentage: 100 → "10%".
func fmtPermille(pm int64) string {
	return fixed(pm, 1) + "%"
}

// fmtTimes writes a per-mille multiplier as a factor: 1500 → "×1.5".
func fmtTimes(pm int64) string {
	return "×" + fixed(pm, 3)
}

// fixed writes n / 10^scale in decimal, dropping trailing fraction zeros.
func fixed(n int64, scale int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	intPart, frac := s[:len(s)-scale], strings.TrimRight(s[len(s)-scale:], "0")
	if frac != "" {
		intPart += "." + frac
	}
	if neg {
		return "-" + intPart
	}
	return intPart
}

// fmtDuration writes a downtime in full, the way makegood writes every
// length of time ("1d", "1h 30m"), so the arithmetic it appears in can be
// checked by hand.
func fmtDuration(d time.Duration) string { return duration.Exact(d) }
