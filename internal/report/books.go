package report

import (
	"context"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// The books `makegood export` writes. Each ledger event is one
// transaction, dated when it happened:
//
//	issue   Expenses:Goodwill:<Reason>       +amount
//	        Liabilities:Goodwill:<customer>  -amount   (owed to the customer)
//	apply   Liabilities:Goodwill:<customer>  +amount   (the credit is used…)
//	        Assets:Receivable:<customer>     -amount   (…against their invoice)
//	void    Liabilities:Goodwill:<customer>  +amount   (reversed: not owed,
//	        Expenses:Goodwill:<Reason>       -amount    not an expense)
//	expire  Liabilities:Goodwill:<customer>  +left     (breakage: what was
//	        Income:Breakage                  -left      still open)
//	gesture no postings: a note of what was given
//
// An entry dated at or after its credit's expiry (a void of an expired
// credit) no longer touches the liability: its liability leg posts to
// Income:Breakage instead, taking back the breakage. So the balance of
// each Liabilities:Goodwill:<customer> is minus what `credit balance`
// shows for that customer and currency, to the minor unit.
const (
	AccountLiabilities = "Liabilities:Goodwill"
	AccountExpenses    = "Expenses:Goodwill"
	AccountReceivable  = "Assets:Receivable"
	AccountBreakage    = "Income:Breakage"
)

// EventExpire is the kind of the expiry events the export adds to the
// ledger's entries; the ledger itself records no row when a credit expires.
const EventExpire = "expire"

// BookEvent is one event of the ledger, as the books need it.
type BookEvent struct {
	Kind        string // ledger.EntryIssue, EntryApply, EntryVoid or EventExpire
	At          time.Time
	Entry       int64 // the entry's id; 0 for an expiry
	Credit      int64
	Customer    string
	Currency    string // "" for a gesture
	AmountMinor int64  // as in the ledger: issue +, apply and void −; expiry + what was left
	Reason      string
	Note        string
	Invoice     string
	Gesture     string
	Incident    int64
	ExpiresAt   *time.Time
}

// AfterExpiry reports whether the entry is dated at or after its credit's
// expiry: it then moves breakage, not the liability.
func (e BookEvent) AfterExpiry() bool {
	return e.Kind != EventExpire && e.ExpiresAt != nil && !e.At.Before(*e.ExpiresAt)
}

// BookHeader is what the books declare before the first transaction.
type BookHeader struct {
	To         time.Time // the books as they stood then
	First      time.Time // the first event's time (zero when there is none)
	Customers  []string  // every customer with an entry, sorted
	Reasons    []string  // every reason of a credit, sorted
	Currencies []string  // every currency of an entry, sorted
}

// BookSource streams the ledger's events up to to, in time order,
// without holding them: each engine implements it with one query walked
// row by row.
type BookSource interface {
	ExportBooks(ctx context.Context, to time.Time, head func(BookHeader) error, each func(BookEvent) error) error
}

// Posting is one leg of a transaction, in integer minor units.
type Posting struct {
	Account     string
	AmountMinor int64
	Currency    string
}

// Postings are the legs of e's transaction; none for a gesture or an
// expiry of nothing.
func Postings(e BookEvent) []Posting {
	if e.Gesture != "" || e.AmountMinor == 0 {
		return nil
	}
	liability := AccountLiabilities + ":" + CustomerComponent(e.Customer)
	if e.AfterExpiry() {
		liability = AccountBreakage
	}
	expense := AccountExpenses + ":" + ReasonComponent(e.Reason)
	leg := func(acct string, amt int64) Posting {
		return Posting{Account: acct, AmountMinor: amt, Currency: e.Currency}
	}
	switch e.Kind {
	case ledger.EntryIssue:
		return []Posting{leg(expense, e.AmountMinor), leg(liability, -e.AmountMinor)}
	case ledger.EntryApply:
		return []Posting{leg(liability, -e.AmountMinor), leg(AccountReceivable+":"+CustomerComponent(e.Customer), e.AmountMinor)}
	case ledger.EntryVoid:
		return []Posting{leg(liability, -e.AmountMinor), leg(expense, e.AmountMinor)}
	case EventExpire:
		return []Posting{leg(liability, e.AmountMinor), leg(AccountBreakage, -e.AmountMinor)}
	}
	return nil
}

// CustomerComponent is a customer id as one account-name component valid
// in both hledger and Beancount, whose components must start with a
// capital letter and hold only letters, digits and dashes. An id that is
// already a capital letter followed by letters and digits is kept as it
// is; any other becomes "X-" and the id with every byte other than an
// ASCII letter or digit written as "-" and two upper-case hex digits
// ("cus_123" → "X-cus-5F123", "alice@example.com" →
// "X-alice-40example-2Ecom"). Kept ids have no dash and mapped ones
// always do, and the escaping can be read back, so two ids never share an
// account.
func CustomerComponent(id string) string {
	if keep(id) {
		return id
	}
	return "X-" + escapeComponent(id)
}

// ReasonComponent is a reason as an account component: the lower-case
// reasons makegood knows are capitalised ("outage" → "Outage"); anything
// else is mapped as CustomerComponent maps ids (no capitalised word has a
// dash, so the two never meet).
func ReasonComponent(reason string) string {
	if reason != "" && isLowerWord(reason) {
		return string(reason[0]-'a'+'A') + reason[1:]
	}
	return "X-" + escapeComponent(reason)
}

func keep(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isLowerWord(s string) bool {
	if s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func escapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if c := s[i]; isAlnum(c) {
			b = append(b, c)
		} else {
			b = append(b, '-', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
