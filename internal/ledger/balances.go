package ledger

import "time"

// Balances are sums over entries: a customer's balance in a currency at a
// time is the sum of the amounts of the entries of the customer's credits
// in that currency that have not expired then (InBalance). Summed over every
// entry, a balance costs a read of every entry; so an engine keeps them.
//
// A kept balance is, for one customer, one currency and one expiry (a
// credit's expiry time, or none), the sum of the amounts of all the
// entries of credits with that customer, currency and expiry. Entries are
// only ever added (issue, void, apply), so a kept balance only ever has
// the amount of a new entry added to it, in the transaction that writes
// the entry (an entry of zero changes none). The balance at a time is then
// the sum of the kept balances of the customer and currency whose expiry
// counts at that time, which is the same sum as over the entries: every
// entry of a credit carries the credit's expiry. A ledger holds as many
// kept balances as it has customer, currency and expiry triples: a
// customer's credits without expiry share one, a file imported with one
// expiry adds one per customer and currency. db check compares every kept
// balance with the sum of its entries.

// InBalance reports whether the entries of a credit that expires at expires
// (nil: never) count in a balance at now: a credit has expired from its
// expiry on (Credit.Status).
func InBalance(expires *time.Time, now time.Time) bool {
	return expires == nil || now.Before(*expires)
}
