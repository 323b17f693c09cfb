package customer

import (
	"net/mail"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/language"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// Fields are the customer flags shared by add and edit, as typed.
type Fields struct {
	Name     string
	Email    string
	Plan     string
	Price    string
	Currency string
	Period   string
	Since    string
	Locale   string
	Tags     []string
	Advocate int
}

func addFieldFlags(cmd *cobra.Command, fl *Fields) {
	f := cmd.Flags()
	f.StringVar(&fl.Name, "name", "", "Full name")
	f.StringVar(&fl.Email, "email", "", "Email address")
	f.StringVar(&fl.Plan, "plan", "", "Plan name")
	f.StringVar(&fl.Price, "price", "", "Price per period, e.g. 49.00")
	f.StringVar(&fl.Currency, "currency", "", "ISO 4217 currency of the price and credits, e.g. USD")
	f.StringVar(&fl.Period, "period", "month", "Billing period: month or year")
	f.StringVar(&fl.Since, "since", "", "Customer since, YYYY-MM-DD")
	f.StringVar(&fl.Locale, "locale", "", "Language for messages, e.g. en, de, pt-BR")
	f.StringArrayVar(&fl.Tags, "tag", nil, "Tag (repeatable)")
	f.IntVar(&fl.Advocate, "advocate", 0, "Network value weight, 0 to 10: how much this customer's word reaches others")
}

// apply copies the flags that were set onto c and validates the result.
// changed reports whether a flag was given; for add every default counts.
func (fl *Fields) apply(c *ledger.Customer, changed func(string) bool, defaultCurrency string) error {
	if changed("name") {
		if err := validateLine("--name", fl.Name); err != nil {
			return err
		}
		c.Name = fl.Name
	}
	if changed("email") {
		if fl.Email != "" {
			if err := validateLine("--email", fl.Email); err != nil {
				return err
			}
			addr, err := mail.ParseAddress(fl.Email)
			if err != nil || addr.Name != "" {
				return ledger.Fieldf("--email", "%q is not an email address", fl.Email)
			}
		}
		c.Email = fl.Email
	}
	if changed("plan") {
		if err := validateLine("--plan", fl.Plan); err != nil {
			return err
		}
		c.Plan = fl.Plan
	}
	if changed("currency") {
		cur, err := money.NormalizeCurrency(fl.Currency)
		if err != nil {
			return &ledger.FieldError{Field: "--currency", Err: err}
		}
		c.Currency = cur
	}
	if changed("price") {
		cur := c.Currency
		if cur == "" {
			cur = defaultCurrency
		}
		if cur == "" {
			return ledger.Fieldf("--price", "needs a currency: give --currency or set currency in the config")
		}
		a, err := money.Parse(fl.Price, cur)
		if err != nil {
			return &ledger.FieldError{Field: "--price", Err: err}
		}
		c.PriceMinor, c.Currency = a.Minor, a.Currency
	}
	if changed("period") {
		if err := ledger.ValidatePeriod("--period", fl.Period); err != nil {
			return err
		}
		c.Period = fl.Period
	}
	if changed("since") {
		t, err := ledger.ParseDate("--since", fl.Since)
		if err != nil {
			return err
		}
		c.Since = t
	}
	if changed("locale") {
		if fl.Locale != "" {
			tag, err := language.Parse(fl.Locale)
			if err != nil {
				return ledger.Fieldf("--locale", "%q is not a language tag (e.g. en, de, pt-BR)", fl.Locale)
			}
			fl.Locale = tag.String()
		}
		c.Locale = fl.Locale
	}
	if changed("tag") {
		tags, err := ledger.NormalizeTags("--tag", fl.Tags)
		if err != nil {
			return err
		}
		c.Tags = tags
	}
	if changed("advocate") {
		if fl.Advocate < 0 || fl.Advocate > ledger.MaxAdvocate {
			return ledger.Fieldf("--advocate", "%d is out of range; use 0 to %d", fl.Advocate, ledger.MaxAdvocate)
		}
		c.Advocate = fl.Advocate
	}
	return nil
}

func fieldFlagNames() []string {
	return []string{"name", "email", "plan", "price", "currency", "period", "since", "locale", "tag", "advocate"}
}

func anyChanged(changed func(string) bool, names ...string) bool {
	for _, n := range names {
		if changed(n) {
			return true
		}
	}
	return false
}

func validateLine(field, s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return ledger.Fieldf(field, "must be a single line")
	}
	return ledger.ValidateText(field, s, ledger.MaxTextLen)
}

func describe(c ledger.Customer) string { return cmdutil.CustomerLabel(c) }
