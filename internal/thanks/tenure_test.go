package thanks

import (
	"testing"
	"time"
)

func TestTenure(t *testing.T) {
	tests := []struct {
		since, now string
		want       Tenure
		words      string
	}{
		{"2025-11-24", "2025-11-24", Tenure{}, "less than a day"},
		{"2025-11-25", "2025-11-24", Tenure{}, "less than a day"},
		{"2025-11-23", "2025-11-24", Tenure{Days: 1}, "1 day"},
		{"2025-11-19", "2025-11-24", Tenure{Days: 5}, "5 days"},
		{"2025-10-24", "2025-11-24", Tenure{Months: 1}, "1 month"},
		{"2025-10-25", "2025-11-24", Tenure{Days: 30}, "30 days"},
		{"2025-09-20", "2025-11-24", Tenure{Months: 2, Days: 4}, "2 months"},
		{"2024-11-24", "2025-11-24", Tenure{Years: 1}, "1 year"},
		{"2024-09-24", "2025-11-24", Tenure{Years: 1, Months: 2}, "1 year and 2 months"},
		{"2022-11-20", "2025-11-24", Tenure{Years: 3, Days: 4}, "3 years"},
		{"2021-10-24", "2025-11-24", Tenure{Years: 4, Months: 1}, "4 years and 1 month"},
		// month ends clamp instead of spilling into the next month
		{"2025-01-31", "2025-02-28", Tenure{Months: 1}, "1 month"},
		{"2025-01-31", "2025-02-27", Tenure{Days: 27}, "27 days"},
		{"2025-01-31", "2025-03-30", Tenure{Months: 1, Days: 30}, "1 month"},
		{"2025-01-31", "2025-03-31", Tenure{Months: 2}, "2 months"},
		// leap-day customers agree with their anniversaries
		{"2020-02-29", "2021-02-28", Tenure{Years: 1}, "1 year"},
		{"2020-02-29", "2021-02-27", Tenure{Months: 11, Days: 29}, "11 months"},
		{"2020-02-29", "2024-02-28", Tenure{Years: 3, Months: 11, Days: 30}, "3 years and 11 months"},
		{"2020-02-29", "2024-02-29", Tenure{Years: 4}, "4 years"},
		{"2020-02-29", "2025-03-01", Tenure{Years: 5, Days: 1}, "5 years"},
	}
	for _, tt := range tests {
		got := TenureAt(date(tt.since), at(tt.now))
		if got != tt.want || got.String() != tt.words {
			t.Errorf("TenureAt(%s, %s) = %+v %q, want %+v %q", tt.since, tt.now, got, got, tt.want, tt.words)
		}
	}
}

// Calendar dates come from each time's own location: a since stored as UTC
// midnight stays that date for an operator west of Greenwich.
func TestTenureUsesCalendarDates(t *testing.T) {
	ny := time.FixedZone("NY", -5*3600)
	since := date("2024-11-24") // UTC midnight
	now := time.Date(2025, 11, 24, 20, 0, 0, 0, ny)
	if got := TenureAt(since, now); got != (Tenure{Years: 1}) {
		t.Errorf("TenureAt = %+v", got)
	}
}

func TestAddMonths(t *testing.T) {
	for _, tt := range []struct {
		start  string
		months int
		want   string
	}{
		{"2025-01-31", 1, "2025-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2025-12-15", 1, "2026-01-15"},
		{"2025-12-31", -1, "2025-11-30"},
		{"2025-03-31", -13, "2024-02-29"},
		{"2020-02-29", 12, "2021-02-28"},
		{"2020-02-29", 48, "2024-02-29"},
	} {
		if got := addMonths(date(tt.start), tt.months).Format(time.DateOnly); got != tt.want {
			t.Errorf("addMonths(%s, %d) = %s, want %s", tt.start, tt.months, got, tt.want)
		}
	}
}
