package gen

import (
	"regexp"
	"testing"
)

func TestRandomKeysLookLikeUUIDv4(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]int{}
	for i := range 100_000 {
		k := Key(i, Random)
		if !uuid.MatchString(k) {
			t.Fatalf("Key(%d, Random) = %q, not a UUID v4", i, k)
		}
		if j, ok := seen[k]; ok {
			t.Fatalf("rows %d and %d have the key %s", j, i, k)
		}
		seen[k] = i
	}
	if first, again := Key(7, Random), Key(7, Random); first != again {
		t.Error("a row's random key changes between calls: the CSV and the Go floor would differ")
	}
}

func TestRowsAreTheCSVs(t *testing.T) {
	r := Make(123, 1000, Sequential)
	// 123·7919 mod 1000 = 37; 1 + 123 mod 99 = 25 dollars; 123 mod 100 = 23 cents.
	want := Row{Customer: "cus_00037", AmountMinor: 2523, Amount: "25.23", Key: "bench-123"}
	if r != want {
		t.Errorf("Make(123) = %+v, want %+v", r, want)
	}
}
