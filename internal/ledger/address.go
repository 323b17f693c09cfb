package ledger

import (
	"fmt"
	"net/mail"
	"strings"
)

// MailAddress is where mail to the customer goes: their email, or their id
// when the operator uses email addresses as ids and left the email empty.
// Every command that mails a customer (thank-you notes, apologies) asks
// here, so they agree on who gets what. Without an address it returns a
// *NoAddressError.
func (c Customer) MailAddress() (string, error) {
	if c.Email != "" {
		return c.Email, nil
	}
	if a, err := mail.ParseAddress(c.ID); err == nil && a.Address == c.ID && a.Name == "" &&
		!strings.ContainsAny(c.ID, "<>") {
		return c.ID, nil
	}
	return "", &NoAddressError{Customer: c.ID}
}

// NoAddressError is a customer with nowhere to mail. It is a FieldError on
// --email, so a command that refuses to mail them exits with status 2.
type NoAddressError struct{ Customer string }

func (e *NoAddressError) Error() string {
	return fmt.Sprintf("customer %q has no email address: add one with makegood customer edit %s --email ADDRESS",
		e.Customer, e.Customer)
}

// As lets errors.As find a *FieldError, for the exit status.
func (e *NoAddressError) As(target any) bool {
	if fe, ok := target.(**FieldError); ok {
		*fe = &FieldError{Field: "--email", Err: fmt.Errorf("%s", e.Error())}
		return true
	}
	return false
}
