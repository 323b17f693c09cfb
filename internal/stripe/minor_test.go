package stripe

import (
	"strings"
	"testing"
)

func TestMinorUnits(t *testing.T) {
	for _, tc := range []struct {
		currency string
		ledger   int64 // ISO 4217 minor units, as the ledger keeps them
		stripe   int64 // what Stripe's API takes and returns
		code     string
	}{
		{"USD", 2500, 2500, "usd"},       // two decimals in both
		{"eur", 199, 199, "eur"},         // lower case in, normalized
		{"JPY", 2500, 2500, "jpy"},       // zero-decimal in both
		{"KRW", 10000, 10000, "krw"},     // zero-decimal in both
		{"KWD", 5250, 5250, "kwd"},       // three decimals in both
		{"BHD", 1000, 1000, "bhd"},       // three decimals in both
		{"ISK", 5, 500, "isk"},           // zero in ISO, two in Stripe: 5 ISK is 500
		{"ISK", 1234, 123400, "isk"},     // whole krónur only, always divisible by 100
		{"HUF", 150050, 150050, "huf"},   // two in both: zero-decimal only for payouts
		{"TWD", 9900, 9900, "twd"},       // two in both: zero-decimal only for payouts
		{"UGX", 5, 500, "ugx"},           // zero in ISO, two in Stripe, as ISK: 5 UGX is 500
		{"UGX", 37000, 3700000, "ugx"},   // whole shillings only
		{"MGA", 1500000, 15000, "mga"},   // two in ISO, zero in Stripe
		{"USD", -2500, -2500, "usd"},     // signs carry through
		{"ISK", -20, -2000, "isk"},       // signs carry through the scaling
		{"CLP", 990000, 990000, "clp"},   // zero-decimal in both
		{"XOF", 15000, 15000, "xof"},     // zero-decimal in both
		{"GBP", 0, 0, "gbp"},             // zero is zero
		{"MGA", -1500000, -15000, "mga"}, // negative scaling down
	} {
		got, err := ToStripe(tc.ledger, tc.currency)
		if err != nil || got != tc.stripe {
			t.Errorf("ToStripe(%d, %s) = %d, %v; want %d", tc.ledger, tc.currency, got, err, tc.stripe)
		}
		back, err := FromStripe(tc.stripe, tc.currency)
		if err != nil || back != tc.ledger {
			t.Errorf("FromStripe(%d, %s) = %d, %v; want %d", tc.stripe, tc.currency, back, err, tc.ledger)
		}
		if code, err := StripeCurrency(tc.currency); err != nil || code != tc.code {
			t.Errorf("StripeCurrency(%s) = %q, %v; want %q", tc.currency, code, err, tc.code)
		}
	}
}

func TestMinorUnitsRefuseFractions(t *testing.T) {
	// 12.50 MGA has no zero-decimal form; an ISK amount from Stripe that is
	// not whole krónur has no ISO form. Neither is rounded.
	if got, err := ToStripe(1250, "MGA"); err == nil {
		t.Errorf("ToStripe(1250, MGA) = %d, want an error", got)
	}
	if got, err := FromStripe(550, "ISK"); err == nil {
		t.Errorf("FromStripe(550, ISK) = %d, want an error", got)
	}
	if got, err := FromStripe(550, "UGX"); err == nil {
		t.Errorf("FromStripe(550, UGX) = %d, want an error", got)
	}
	if _, err := ToStripe(100, "XYZ"); err == nil || !strings.Contains(err.Error(), "XYZ") {
		t.Errorf("ToStripe(XYZ) error = %v, want one naming the currency", err)
	}
	if got, err := ToStripe(1<<62, "ISK"); err == nil {
		t.Errorf("ToStripe(2^62, ISK) = %d, want an overflow error", got)
	}
}
