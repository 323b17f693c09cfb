package stripe

import (
	"fmt"
	"strings"

	"github.com/makegood/makegood/pkg/money"
)

// stripeDigits lists the currencies whose minor units in Stripe's API differ
// from ISO 4217's, the ledger's. Every other currency has ISO's digits
// (https://docs.stripe.com/currencies, "Minor units in API amounts",
// "Zero-decimal currencies" and "Special cases"):
//
//   - ISK and UGX are zero-decimal in ISO 4217 and in practice, but Stripe
//     keeps two decimals for backwards compatibility: 5 ISK is sent as 500,
//     and an amount must be divisible by 100. For UGX the "Special cases"
//     say: "UGX became a zero-decimal currency, but backwards compatibility
//     requires you to represent it as a two-decimal value, where the
//     decimal amount is always 00. To charge 5 UGX, provide an amount value
//     of 500." (Stripe answers a UGX amount not divisible by 100 with
//     "Currency UGX has become effectively zero-decimal and charged amounts
//     must be evenly divisible by 100".) Its place in the zero-decimal list
//     is the currency's, not the API's.
//   - MGA has two digits in ISO 4217 but is zero-decimal in Stripe.
//   - HUF and TWD are two-decimal in both for charges and balances; Stripe
//     treats them as zero-decimal for payouts only, which makegood does
//     not make. They are listed so the table says so and the tests hold it.
//
// A function, not a package-level map, so nothing can change it.
func stripeDigits(code string) (int, bool) {
	switch code {
	case "ISK", "UGX":
		return 2, true
	case "MGA":
		return 0, true
	case "HUF", "TWD":
		return 2, true
	}
	return 0, false
}

// StripeCurrency is the currency's form in Stripe's API: lower case.
func StripeCurrency(code string) (string, error) {
	c, err := money.NormalizeCurrency(code)
	if err != nil {
		return "", err
	}
	return strings.ToLower(c), nil
}

// ledgerCurrency is the ledger's form of a currency Stripe sent: upper case,
// known to ISO 4217.
func ledgerCurrency(code string) (string, error) {
	return money.NormalizeCurrency(code)
}

// digits returns the ISO 4217 digits and Stripe's for a currency.
func digits(code string) (iso, api int, err error) {
	c, err := money.NormalizeCurrency(code)
	if err != nil {
		return 0, 0, err
	}
	iso, err = money.Digits(c)
	if err != nil {
		return 0, 0, err
	}
	api = iso
	if d, ok := stripeDigits(c); ok {
		api = d
	}
	return iso, api, nil
}

// ToStripe converts an amount in the ledger's minor units (ISO 4217) to
// Stripe's. It fails, rather than round, when the amount has a fraction
// Stripe cannot hold (MGA 12.50 in a zero-decimal Stripe currency).
func ToStripe(minor int64, currency string) (int64, error) {
	iso, api, err := digits(currency)
	if err != nil {
		return 0, err
	}
	return rescale(minor, iso, api, currency)
}

// FromStripe converts an amount in Stripe's minor units to the ledger's. It
// fails when Stripe's amount has a fraction ISO 4217 has no digit for (an
// ISK amount not divisible by 100).
func FromStripe(amount int64, currency string) (int64, error) {
	iso, api, err := digits(currency)
	if err != nil {
		return 0, err
	}
	return rescale(amount, api, iso, currency)
}

// maxScale keeps a multiplication within int64 for every amount the ledger
// can hold (money.MaxMajor at nine digits), and digits differ by at most 2.
const maxScale = 4

func rescale(v int64, from, to int, currency string) (int64, error) {
	if d := to - from; d > maxScale || -d > maxScale {
		return 0, fmt.Errorf("%s: cannot convert between %d and %d decimals", strings.ToUpper(currency), from, to)
	}
	switch {
	case to > from:
		f := pow10(to - from)
		if v > 0 && v > (1<<62)/f || v < 0 && v < -(1<<62)/f {
			return 0, fmt.Errorf("%d is too large an amount of %s", v, strings.ToUpper(currency))
		}
		return v * f, nil
	case to < from:
		f := pow10(from - to)
		if v%f != 0 {
			return 0, fmt.Errorf("%s %d minor units cannot be expressed with %d decimals", strings.ToUpper(currency), v, to)
		}
		return v / f, nil
	}
	return v, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
