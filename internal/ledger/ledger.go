// Package ledger holds makegood's domain: customers, credits and the entries
// that move them, the rules their fields must obey, and the Store interface
// that a storage engine implements. It has no SQL and no I/O.
package ledger

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/makegood/makegood/pkg/money"
)

// Limits on free text: generous for people, small enough that a runaway
// script cannot bloat the ledger.
const (
	MaxIDLen     = 200
	MaxNoteLen   = 2000
	MaxTextLen   = 500
	MaxAdvocate  = 10
	MaxTags      = 50
	DateLayout   = "2006-01-02"
	DefaultLimit = 50
)

// Periods a subscription is billed over.
const (
	PeriodMonth = "month"
	PeriodYear  = "year"
)

// Reasons a credit is given for.
const (
	ReasonOutage   = "outage"
	ReasonBug      = "bug"
	ReasonBilling  = "billing"
	ReasonDelay    = "delay"
	ReasonGoodwill = "goodwill"
	ReasonOther    = "other"
)

// Reasons lists why a credit may be given, in the order prompts offer them.
func Reasons() []string {
	return []string{ReasonOutage, ReasonBug, ReasonBilling, ReasonDelay, ReasonGoodwill, ReasonOther}
}

// Credit statuses, derived from entries and the clock rather than stored, so
// that an expiry takes effect without anyone writing to the ledger.
const (
	StatusOpen    = "open"
	StatusApplied = "applied"
	StatusVoid    = "void"
	StatusExpired = "expired"
	// StatusGiven is a gesture's status: there is no money to use up.
	StatusGiven = "given"
)

// Statuses lists the values --status accepts.
func Statuses() []string {
	return []string{StatusOpen, StatusApplied, StatusVoid, StatusExpired, StatusGiven}
}

// Entry kinds: every movement of a credit is one append-only entry.
const (
	EntryIssue = "issue"
	EntryVoid  = "void"
	EntryApply = "apply"
)

// Customer is someone who pays the operator. The ID is chosen by the
// operator: an email, a Stripe cus_… id, any handle.
type Customer struct {
	ID         string
	Name       string
	Email      string
	Plan       string
	PriceMinor int64
	Currency   string // may be empty: then credits take the configured default
	Period     string
	Since      time.Time // zero when unknown; a date, UTC midnight
	Locale     string
	Tags       []string
	Advocate   int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// StripeID is the customer's Stripe id (cus_…) when makegood stripe
	// customers import linked it; see StripeCustomerID.
	StripeID string
}

// Same reports whether c and o agree on every field an import or a sync
// can set (all but when the record was created and updated), so an import
// can tell a customer it would change from one it leaves as it is.
func (c Customer) Same(o Customer) bool {
	return c.Name == o.Name && c.Email == o.Email && c.Plan == o.Plan && c.PriceMinor == o.PriceMinor &&
		c.Currency == o.Currency && c.Period == o.Period && c.Since.Equal(o.Since) && c.Locale == o.Locale &&
		slices.Equal(c.Tags, o.Tags) && c.Advocate == o.Advocate && c.StripeID == o.StripeID
}

// StripeCustomerID is the customer's id in Stripe: the linked StripeID, or
// the customer's own id when that is a Stripe id (cus_…); "" for none.
func (c Customer) StripeCustomerID() string {
	if c.StripeID != "" {
		return c.StripeID
	}
	if strings.HasPrefix(c.ID, "cus_") {
		return c.ID
	}
	return ""
}

// ValidateStripeCustomerID checks a Stripe customer id given by hand (a
// file's stripe_id column): an id, as ValidateID has it, of Stripe's
// cus_… form.
func ValidateStripeCustomerID(field, id string) error {
	if err := ValidateID(field, id); err != nil {
		return err
	}
	if !strings.HasPrefix(id, "cus_") || strings.ContainsAny(id, " \t") {
		return Fieldf(field, "%q is not a Stripe customer id (cus_…)", id)
	}
	return nil
}

// Credit is money owed back to a customer. Remaining and the status are
// computed from the credit's entries.
type Credit struct {
	ID             int64
	Customer       string
	AmountMinor    int64
	Currency       string
	Reason         string
	Note           string
	IssuedAt       time.Time
	ExpiresAt      *time.Time
	IdempotencyKey string
	VoidedAt       *time.Time
	VoidReason     string
	RemainingMinor int64
	// IncidentID is the incident the credit makes good for; 0 for none.
	IncidentID int64
	// Gesture is the text of a non-monetary gesture ("a handwritten card").
	// A gesture has no amount and no currency, so sums of money ignore it.
	Gesture string
}

// IsGesture reports whether c is a gesture rather than money.
func (c Credit) IsGesture() bool { return c.Gesture != "" }

// Status reports the credit's state at now.
func (c Credit) Status(now time.Time) string {
	switch {
	case c.VoidedAt != nil:
		return StatusVoid
	case c.IsGesture():
		return StatusGiven
	case c.RemainingMinor <= 0:
		return StatusApplied
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return StatusExpired
	default:
		return StatusOpen
	}
}

// NewCredit is a request to issue a credit, already validated by the caller
// for its money; the store checks the customer and the idempotency key.
type NewCredit struct {
	Customer       string
	AmountMinor    int64
	Currency       string
	Reason         string
	Note           string
	IssuedAt       time.Time
	ExpiresAt      *time.Time
	IdempotencyKey string
	// IncidentID links the credit to an incident; 0 for none. The store
	// adds the customer to the incident's affected customers if needed.
	IncidentID int64
	// Gesture, when set, makes this a non-monetary gesture: AmountMinor
	// must be 0 and Currency empty.
	Gesture string
	// NewCustomer, when set, is added in the same transaction if the ledger
	// does not know Customer yet, so a failed issue leaves no customer behind.
	NewCustomer *Customer
	// Compensation marks the credit as the customer's compensation for
	// IncidentID: a customer has at most one live (not voided) credit or
	// gesture for an incident, however many processes or paths (goodwill
	// suggest --issue, resolve) try to give one. The store keys it with
	// CompensationKey and, when the customer already has one, returns that
	// with created=false and writes nothing. IdempotencyKey must be empty.
	Compensation bool
	// Budget, when set, is checked by the store inside the transaction
	// that writes (see Budget.Check).
	Budget *Budget
}

// MaxKeyLen bounds an idempotency key. Keys an operator types are ids
// (MaxIDLen); keys makegood derives (CompensationKey) embed a customer id
// and so may be longer.
const MaxKeyLen = 2 * MaxIDLen

// Validate checks a credit before it is issued: the one check every path
// that issues money runs (credit issue and its files, goodwill suggest
// --issue, thanks send --with-credit, resolve), called by the store inside
// the transaction that writes, so that no path can write what credit
// issue would refuse. Money is more than zero and at most
// MaxAmountMinor in a known currency, already normalized; a gesture has
// no money and a one-line text. Fields are named as in a credit file.
func (nc NewCredit) Validate() error {
	if err := ValidateID("customer", nc.Customer); err != nil {
		return err
	}
	if nc.Gesture != "" {
		if nc.AmountMinor != 0 || nc.Currency != "" {
			return Fieldf("gesture", "a gesture has no amount and no currency")
		}
		if err := ValidateGesture("gesture", nc.Gesture); err != nil {
			return err
		}
	} else {
		cur, err := money.NormalizeCurrency(nc.Currency)
		if err != nil {
			return &FieldError{Field: "currency", Err: err}
		}
		if cur != nc.Currency {
			return Fieldf("currency", "%q is not written as the ISO 4217 code %s", nc.Currency, cur)
		}
		if err := money.Check(nc.AmountMinor, nc.Currency); err != nil {
			return &FieldError{Field: "amount", Err: err}
		}
	}
	if err := ValidateReason("reason", nc.Reason); err != nil {
		return err
	}
	if err := ValidateText("note", nc.Note, MaxNoteLen); err != nil {
		return err
	}
	if err := ValidateTime("issued_at", nc.IssuedAt); err != nil {
		return err
	}
	if nc.ExpiresAt != nil {
		if err := ValidateTime("expires", *nc.ExpiresAt); err != nil {
			return err
		}
		if !nc.ExpiresAt.After(nc.IssuedAt) {
			return Fieldf("expires", "%s is not after the credit is issued (%s)",
				nc.ExpiresAt.UTC().Format(time.RFC3339), nc.IssuedAt.UTC().Format(time.RFC3339))
		}
	}
	if nc.IdempotencyKey != "" {
		if err := ValidateText("idempotency_key", nc.IdempotencyKey, MaxKeyLen); err != nil {
			return err
		}
	}
	if nc.Compensation && nc.IncidentID <= 0 {
		return Fieldf("incident", "a compensation is for an incident")
	}
	return nil
}

// Entry is one movement of a credit, as shown in a customer's history.
type Entry struct {
	ID          int64
	CreditID    int64
	Customer    string
	Kind        string
	AmountMinor int64 // positive for issue, negative for void and apply
	Currency    string
	Invoice     string
	Note        string // the credit's note for an issue, the void's reason for a void
	Reason      string // the credit's reason
	At          time.Time
	Gesture     string // the credit's gesture text, for a gesture
	IncidentID  int64  // the credit's incident; 0 for none
}

// Balance is what a customer can still use, per currency.
type Balance struct {
	Customer     string
	Currency     string
	BalanceMinor int64
}

// CreditFilter narrows credit list. Zero values mean "any".
type CreditFilter struct {
	Customer string
	Reason   string
	Status   string
	Since    time.Time
	Until    time.Time
	Incident int64 // only credits linked to this incident
	Limit    int
	Now      time.Time // the clock that decides expiry
}

// ValidateID checks an operator-chosen identifier such as a customer id.
// Control characters are refused because ids end up in terminals, file
// names and mail headers.
func ValidateID(field, id string) error {
	switch {
	case id == "":
		return Fieldf(field, "must not be empty")
	case !utf8.ValidString(id):
		return Fieldf(field, "must be valid UTF-8")
	case utf8.RuneCountInString(id) > MaxIDLen:
		return Fieldf(field, "must be at most %d characters", MaxIDLen)
	case strings.TrimSpace(id) != id:
		return Fieldf(field, "must not start or end with spaces")
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return Fieldf(field, "must not contain control characters")
		}
	}
	return nil
}

// ValidateText checks free text such as a note: printable, bounded, and
// allowed to span lines.
func ValidateText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Fieldf(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Fieldf(field, "is %d characters; at most %d are allowed", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return Fieldf(field, "must not contain control characters")
		}
	}
	return nil
}

// ValidateReason checks a credit reason against Reasons.
func ValidateReason(field, reason string) error {
	if !slices.Contains(Reasons(), reason) {
		return Fieldf(field, "%q is not a reason; use one of %s", reason, strings.Join(Reasons(), ", "))
	}
	return nil
}

// ValidateStatus checks a --status value.
func ValidateStatus(field, status string) error {
	if !slices.Contains(Statuses(), status) {
		return Fieldf(field, "%q is not a status; use one of %s", status, strings.Join(Statuses(), ", "))
	}
	return nil
}

// ValidatePeriod checks a billing period.
func ValidatePeriod(field, p string) error {
	if p != PeriodMonth && p != PeriodYear {
		return Fieldf(field, "%q is not a period; use month or year", p)
	}
	return nil
}

// ParseDate parses a YYYY-MM-DD date as UTC midnight.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, Fieldf(field, "%q is not a date (want YYYY-MM-DD)", s)
	}
	if err := ValidateTime(field, t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// ParseTime accepts RFC 3339 or a YYYY-MM-DD date and returns UTC.
func ParseTime(field, s string) (time.Time, error) {
	return parseTime(field, s, "RFC 3339 such as 2026-01-31T12:00:00Z, or YYYY-MM-DD", time.RFC3339, DateLayout)
}

// ParseTimeAs reads a time written in one of layouts (UTC, unless a
// layout has a zone), or as ParseTime does; shape describes the layouts to
// the person typing ("YYYY-MM-DD HH:MM"). Like every time parser it keeps
// to the years the ledger holds (ValidateTime).
func ParseTimeAs(field, s, shape string, layouts ...string) (time.Time, error) {
	return parseTime(field, s, shape+", RFC 3339 or YYYY-MM-DD", slices.Concat(layouts, []string{time.RFC3339, DateLayout})...)
}

// parseTime reads s in the first layout that fits, within the years the
// ledger holds; want names the layouts in the message when none fits.
func parseTime(field, s, want string, layouts ...string) (time.Time, error) {
	for _, l := range layouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if err := ValidateTime(field, t); err != nil {
			return time.Time{}, err
		}
		return t.UTC(), nil
	}
	return time.Time{}, Fieldf(field, "%q is not a time (want %s)", s, want)
}

// CheckPast refuses a time after now: the ledger records what happened,
// so a time in the future is a typo. Every command that takes the time
// something happened (a fix, an incident's start and report, an apology)
// asks here.
func CheckPast(field string, t, now time.Time) error {
	if t.After(now) {
		return Fieldf(field, "%s is in the future", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParsePastTime reads a time as ParseTime does and refuses one after now
// (CheckPast).
func ParsePastTime(field, s string, now time.Time) (time.Time, error) {
	t, err := ParseTime(field, s)
	if err != nil {
		return t, err
	}
	return t, CheckPast(field, t, now)
}

// ParseExpiry reads --expires: a date (the credit stops counting at the
// start of that day, UTC) or a number of days from today ("90d").
func ParseExpiry(field, s string, now time.Time) (time.Time, error) {
	var t time.Time
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := parseSmallInt(days)
		if err != nil || n < 1 || n > 36600 {
			return time.Time{}, Fieldf(field, "%q is not a number of days (want e.g. 90d, from 1d to 36600d)", s)
		}
		// Whole days from the start of today, so a retried command with the
		// same idempotency key computes the same expiry all day long.
		y, m, d := now.UTC().Date()
		t = time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC)
	} else {
		d, err := ParseDate(field, s)
		if err != nil {
			return time.Time{}, Fieldf(field, "%q is not a date (want YYYY-MM-DD) or a number of days (90d)", s)
		}
		t = d
	}
	if !t.After(now) {
		return time.Time{}, Fieldf(field, "%s is not in the future", t.Format(DateLayout))
	}
	if err := ValidateTime(field, t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func parseSmallInt(s string) (int, error) {
	if s == "" || len(s) > 6 {
		return 0, fmt.Errorf("not a number")
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a number")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}

// NormalizeTags trims, drops empties and duplicates, and validates tags.
func NormalizeTags(field string, tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if err := ValidateID(field, t); err != nil {
			return nil, err
		}
		if strings.Contains(t, ",") {
			return nil, Fieldf(field, "%q must not contain a comma", t)
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, Fieldf(field, "at most %d tags are allowed", MaxTags)
	}
	return out, nil
}

// Differences names the fields in which nc differs from c, the credit
// first recorded under nc's idempotency key: "" when nc is a retry of it.
func (nc NewCredit) Differences(c Credit) string {
	var d []string
	if c.Customer != nc.Customer {
		d = append(d, "customer")
	}
	if c.AmountMinor != nc.AmountMinor {
		d = append(d, "amount")
	}
	if c.Currency != nc.Currency {
		d = append(d, "currency")
	}
	if c.Reason != nc.Reason {
		d = append(d, "reason")
	}
	if c.Note != nc.Note {
		d = append(d, "note")
	}
	if !sameTime(c.ExpiresAt, nc.ExpiresAt) {
		d = append(d, "expiry")
	}
	if c.IncidentID != nc.IncidentID {
		d = append(d, "incident")
	}
	if c.Gesture != nc.Gesture {
		d = append(d, "gesture")
	}
	return strings.Join(d, ", ")
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// CheckRetry decides what the credit recorded under nc's idempotency key
// means: nil when nc is a retry of it (the existing credit is the
// answer, nothing is written), a ConflictError naming what differs when
// the key was used for another credit.
func (nc NewCredit) CheckRetry(existing Credit) error {
	if diff := nc.Differences(existing); diff != "" {
		return KeyConflict(nc.IdempotencyKey, existing.ID, diff)
	}
	return nil
}

// KeyConflict is an idempotency key used for credit with other values
// (diff names them, as NewCredit.Differences does).
func KeyConflict(key string, credit int64, diff string) error {
	return Conflictf("idempotency key %q was already used for credit %d with a different %s", key, credit, diff)
}

// CustomerExists refuses to add a customer twice.
func CustomerExists(id string) error {
	return Conflictf("customer %q already exists; use makegood customer edit to change it", id)
}
