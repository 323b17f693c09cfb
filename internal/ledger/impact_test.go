package ledger

import (
	"strings"
	"testing"
)

func TestParseImpact(t *testing.T) {
	for in, want := range map[string]int64{"30%": 3000, "30": 3000, " 12.5% ": 1250, "100%": 10000, "0.01%": 1, "7.05": 705, "100.0": 10000} {
		got, err := ParseImpact("--impact", in)
		if err != nil || got != want {
			t.Errorf("ParseImpact(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, err := ParseImpact("--impact", FormatImpact(got)); err != nil || back != got {
			t.Errorf("FormatImpact(%d) = %q does not read back: %d %v", got, FormatImpact(got), back, err)
		}
	}
	for _, in := range []string{"", "%", "0", "0%", "0.00", "100.01", "101%", "-5%", "30%%", "1e2", "12.345", "thirty", ".5", "1000"} {
		if got, err := ParseImpact("--impact", in); err == nil || !strings.HasPrefix(err.Error(), "--impact: ") {
			t.Errorf("ParseImpact(%q) = %d, %v; want an error naming --impact", in, got, err)
		}
	}
	for bp, want := range map[int64]string{0: "100%", 10000: "100%", 3000: "30%", 1250: "12.5%", 705: "7.05%", 1: "0.01%"} {
		if got := FormatImpact(bp); got != want {
			t.Errorf("FormatImpact(%d) = %q, want %q", bp, got, want)
		}
	}
}
