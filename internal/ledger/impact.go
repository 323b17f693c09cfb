package ledger

import (
	"strconv"
	"strings"
	"time"
)

// FullImpact is an outage: all of the service lost, in basis points.
const FullImpact = 10000

// ParseImpact reads how much of the service an incident took away: "30%",
// "30" or "12.5%", more than 0 and at most 100, to a hundredth of a
// percent. It returns basis points (3000 for 30%).
func ParseImpact(field, s string) (int64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	bad := Fieldf(field, "%q is not an impact: write a percentage of the service lost, e.g. 30%% (more than 0, at most 100)", s)
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 3 || !digits(whole) || !digits(frac) {
		return 0, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	bp, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || bp <= 0 || bp > FullImpact {
		return 0, bad
	}
	return bp, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatImpact writes basis points as ParseImpact reads them: "30%",
// "12.5%". 0 is an outage, "100%".
func FormatImpact(bp int64) string {
	if bp == 0 {
		bp = FullImpact
	}
	s := strconv.FormatInt(bp/100, 10)
	if r := bp % 100; r != 0 {
		s += strings.TrimRight("."+strconv.FormatInt(100+r, 10)[1:], "0")
	}
	return s + "%"
}

// Fix is one record of when an incident was fixed: the fix as first
// recorded, or a correction appended later. The latest record is the
// incident's fix time.
type Fix struct {
	FixedAt    time.Time
	RecordedAt time.Time
	Correction bool
}
