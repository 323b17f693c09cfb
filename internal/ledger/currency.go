package ledger

import "fmt"

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
