package ledger

import (
	"fmt"

	"github.com/makegood/makegood/pkg/money"
)

// CurrencyGiven is a currency asked for a credit, and where it was asked
// (a flag or a file's column), for errors about it.
type CurrencyGiven struct {
	Currency string
	Field    string
}

// CreditCurrency is the rule on which currency a credit to c is in: the
// first currency given (a row's column before a flag, say), else the
// customer's, else the configured default (config currency). It returns
// the currency as an ISO 4217 code and the field it came from; "" when
// there is none anywhere (the caller asks at a terminal, or refuses with
// NoCurrency). A currency that is not a code is a FieldError on its
// field. Every path that issues money asks here: credit issue and its
// files, goodwill suggest, thanks send --with-credit, resolve.
func CreditCurrency(c Customer, configured string, given ...CurrencyGiven) (currency, field string, err error) {
	// No slice of the candidates: an import asks this for every row.
	for _, g := range given {
		if g.Currency != "" {
			return normalizeGiven(g)
		}
	}
	for _, g := range [...]CurrencyGiven{{c.Currency, "customer currency"}, {configured, "config currency"}} {
		if g.Currency != "" {
			return normalizeGiven(g)
		}
	}
	return "", "", nil
}

func normalizeGiven(g CurrencyGiven) (currency, field string, err error) {
	cur, err := money.NormalizeCurrency(g.Currency)
	if err != nil {
		return "", g.Field, &FieldError{Field: g.Field, Err: err}
	}
	return cur, g.Field, nil
}

// NoCurrency refuses a credit to a customer without a currency when none
// is configured (or given): field is where the command would take one.
func NoCurrency(field string, c Customer) error {
	return Fieldf(field, "customer %q has no currency and no currency is configured; set one with makegood customer edit %s --currency CODE",
		c.ID, c.ID)
}

// CheckCreditCurrency is the rule on which currency a credit takes: the
// customer's. A credit in another currency is a mistake more often than a
// choice (a EUR credit against a USD invoice cannot be applied), so it is
// refused unless allowOther says the operator chose it: --allow-other-currency
// from a script, or --currency confirmed at a terminal. A customer without a
// currency takes any.
func CheckCreditCurrency(field string, c Customer, currency string, allowOther bool) error {
	if c.Currency == "" || currency == c.Currency || allowOther {
		return nil
	}
	return Fieldf(field, "%s is not the currency of customer %q (%s); pass --allow-other-currency if you mean it",
		currency, c.ID, c.Currency)
}

// OtherCurrencyQuestion is how a terminal asks to confirm a credit in
// another currency than the customer's.
func OtherCurrencyQuestion(c Customer, currency string) string {
	return fmt.Sprintf("%s is billed in %s. Issue this credit in %s anyway?", c.ID, c.Currency, currency)
}
