package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateID(t *testing.T) {
	for id, want := range map[string]string{
		"alice@example.com":      "",
		"cus_NffrFeUfNV2Hib":     "",
		"名前":                     "",
		"":                       "must not be empty",
		" a":                     "spaces",
		"a\x00b":                 "control characters",
		"a\nb":                   "control characters",
		"a\u0085b":               "control characters",
		"\xff":                   "UTF-8",
		strings.Repeat("x", 201): "at most 200",
	} {
		err := ValidateID("--customer", id)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", id, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "--customer" || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want a --customer error containing %q", id, err, want)
		}
	}
}

func TestValidateText(t *testing.T) {
	if err := ValidateText("--note", "line one\nline two\ttab", MaxNoteLen); err != nil {
		t.Fatal(err)
	}
	if err := ValidateText("--note", strings.Repeat("é", MaxNoteLen), MaxNoteLen); err != nil {
		t.Fatalf("2,000 two-byte runes must fit: %v", err)
	}
	if err := ValidateText("--note", strings.Repeat("é", MaxNoteLen+1), MaxNoteLen); err == nil || !strings.Contains(err.Error(), "2001 characters") {
		t.Fatalf("over limit: %v", err)
	}
	if err := ValidateText("--note", "bell\a", MaxNoteLen); err == nil {
		t.Fatal("control character accepted")
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"2027-01-31": "2027-01-31T00:00:00Z",
		"90d":        "2027-02-22T00:00:00Z",
		"1d":         "2026-11-25T00:00:00Z",
	} {
		got, err := ParseExpiry("--expires", in, now)
		if err != nil || got.Format(time.RFC3339) != want {
			t.Errorf("%s: %v %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"2026-11-24", "2020-01-01", "0d", "-5d", "99999999d", "d", "tomorrow", "2027-02-30", "90days"} {
		if _, err := ParseExpiry("--expires", in, now); err == nil || !strings.HasPrefix(err.Error(), "--expires: ") {
			t.Errorf("%s: err = %v", in, err)
		}
	}
}

func TestCreditStatus(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	for _, tt := range []struct {
		c    Credit
		want string
	}{
		{Credit{AmountMinor: 100, RemainingMinor: 100}, StatusOpen},
		{Credit{AmountMinor: 100, RemainingMinor: 40, ExpiresAt: &future}, StatusOpen},
		{Credit{AmountMinor: 100, RemainingMinor: 40, ExpiresAt: &now}, StatusExpired},
		{Credit{AmountMinor: 100, RemainingMinor: 0, ExpiresAt: &past}, StatusApplied},
		{Credit{AmountMinor: 100, RemainingMinor: 0, VoidedAt: &past}, StatusVoid},
	} {
		if got := tt.c.Status(now); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.c, got, tt.want)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	got, err := NormalizeTags("--tag", []string{" vip", "vip", "", "beta"})
	if err != nil || strings.Join(got, "|") != "vip|beta" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := NormalizeTags("--tag", []string{"a,b"}); err == nil {
		t.Fatal("comma accepted")
	}
}

// TestCustomerSame: every field an import or a sync sets counts; when the
// record was made or changed does not.
func TestCustomerSame(t *testing.T) {
	base := Customer{ID: "a", Name: "A", Email: "a@example.com", Plan: "pro", PriceMinor: 4900, Currency: "USD",
		Period: PeriodMonth, Since: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Locale: "en", Tags: []string{"vip"},
		Advocate: 3, StripeID: "cus_A"}
	later := base
	later.CreatedAt, later.UpdatedAt = time.Now(), time.Now()
	if !base.Same(later) {
		t.Error("the times of the record count")
	}
	for name, change := range map[string]func(*Customer){
		"name": func(c *Customer) { c.Name = "B" }, "email": func(c *Customer) { c.Email = "" },
		"plan": func(c *Customer) { c.Plan = "team" }, "price": func(c *Customer) { c.PriceMinor++ },
		"currency": func(c *Customer) { c.Currency = "EUR" }, "period": func(c *Customer) { c.Period = PeriodYear },
		"since": func(c *Customer) { c.Since = c.Since.AddDate(0, 0, 1) }, "locale": func(c *Customer) { c.Locale = "de" },
		"tags": func(c *Customer) { c.Tags = nil }, "advocate": func(c *Customer) { c.Advocate = 0 },
		"stripe id": func(c *Customer) { c.StripeID = "cus_B" },
	} {
		o := base
		change(&o)
		if base.Same(o) {
			t.Errorf("a changed %s is not seen", name)
		}
	}
}
