package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/pkg/money"
)

// Export formats.
const (
	FormatHledger   = "hledger"
	FormatBeancount = "beancount"
	FormatCSV       = "csv"
	FormatJSON      = "json"
)

// Formats lists the values --format accepts.
func Formats() []string { return []string{FormatHledger, FormatBeancount, FormatCSV, FormatJSON} }

// BookWriter writes books one event at a time, holding nothing but the
// current line.
type BookWriter interface {
	Header(BookHeader) error
	Event(BookEvent) error
	// Close writes what ends the books and flushes.
	Close() error
}

// NewBookWriter writes books in format to w.
func NewBookWriter(format string, w io.Writer) (BookWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case FormatHledger:
		return &hledger{w: bw}, nil
	case FormatBeancount:
		return &beancount{w: bw}, nil
	case FormatCSV:
		return &csvBooks{w: bw, c: csv.NewWriter(bw)}, nil
	case FormatJSON:
		return &jsonBooks{w: bw}, nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// oneLine flattens text for a comment or a field that must stay on one
// line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t\v\f") && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// describe is the transaction's description: what happened, in words.
func describe(e BookEvent) string {
	switch e.Kind {
	case "issue":
		if e.Gesture != "" {
			return fmt.Sprintf("gesture %d: %s", e.Credit, oneLine(e.Gesture))
		}
		return fmt.Sprintf("credit %d issued (%s)", e.Credit, e.Reason)
	case "apply":
		if e.Invoice != "" {
			return fmt.Sprintf("credit %d used on invoice %s", e.Credit, oneLine(e.Invoice))
		}
		return fmt.Sprintf("credit %d used", e.Credit)
	case "void":
		return fmt.Sprintf("credit %d voided", e.Credit)
	case EventExpire:
		return fmt.Sprintf("credit %d expired", e.Credit)
	}
	return fmt.Sprintf("credit %d %s", e.Credit, e.Kind)
}

// hledger: a journal. Commodity directives fix each currency's display
// precision (two decimals for USD, none for JPY, three for KWD), account
// directives declare every account with the customer's id in a comment.
type hledger struct{ w *bufio.Writer }

func (h *hledger) Header(b BookHeader) error {
	w := h.w
	fmt.Fprintf(w, "; makegood export: the credit ledger as books, as it stood at %s\n", b.To.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "; %s:<customer> is owed to the customer; see the README for the accounts.\n\n", AccountLiabilities)
	for _, c := range b.Currencies {
		// hledger wants a decimal mark in a commodity directive even with
		// no decimals ("1000. JPY"): it sets the display precision.
		sample := money.DecimalString(1000*pow10(c), c)
		if !strings.Contains(sample, ".") {
			sample += "."
		}
		fmt.Fprintf(w, "commodity %s %s\n", sample, c)
	}
	fmt.Fprintln(w)
	for _, a := range []string{AccountBreakage, AccountReceivable, AccountLiabilities, AccountExpenses} {
		fmt.Fprintf(w, "account %s\n", a)
	}
	for _, r := range b.Reasons {
		fmt.Fprintf(w, "account %s:%s  ; reason: %s\n", AccountExpenses, ReasonComponent(r), oneLine(r))
	}
	for _, c := range b.Customers {
		fmt.Fprintf(w, "account %s:%s  ; customer: %s\n", AccountLiabilities, CustomerComponent(c), oneLine(c))
		fmt.Fprintf(w, "account %s:%s  ; customer: %s\n", AccountReceivable, CustomerComponent(c), oneLine(c))
	}
	_, err := fmt.Fprintln(w)
	return err
}

// pow10 is 10^digits of the currency, for a sample amount.
func pow10(c string) int64 {
	d, err := money.Digits(c)
	if err != nil {
		return 1
	}
	n := int64(1)
	for range d {
		n *= 10
	}
	return n
}

// tagValue keeps a tag's value inside its tag: hledger ends a tag at a
// comma.
func tagValue(s string) string { return strings.ReplaceAll(oneLine(s), ",", ";") }

func (h *hledger) Event(e BookEvent) error {
	w := h.w
	ps := Postings(e)
	if ps == nil && e.Gesture == "" {
		return nil
	}
	fmt.Fprintf(w, "%s * %s\n", day(e.At), describe(e))
	fmt.Fprintf(w, "    ; time:%s, credit:%d, customer:%s", e.At.UTC().Format(time.RFC3339), e.Credit, tagValue(e.Customer))
	if e.Invoice != "" {
		fmt.Fprintf(w, ", invoice:%s", tagValue(e.Invoice))
	}
	if e.Incident != 0 {
		fmt.Fprintf(w, ", incident:%d", e.Incident)
	}
	fmt.Fprintln(w)
	if n := oneLine(e.Note); n != "" {
		fmt.Fprintf(w, "    ; note: %s\n", n)
	}
	for _, p := range ps {
		fmt.Fprintf(w, "    %s  %s %s\n", p.Account, money.DecimalString(p.AmountMinor, p.Currency), p.Currency)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func (h *hledger) Close() error { return h.w.Flush() }

// beancount: operating currencies and commodity declarations, then an open
// directive for every account dated on the first event's day, each with
// the customer's id as metadata.
type beancount struct {
	w      *bufio.Writer
	opened string
}

// bcString quotes s as a Beancount string, on one line.
func bcString(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func (b *beancount) Header(h BookHeader) error {
	w := b.w
	fmt.Fprintf(w, "; makegood export: the credit ledger as books, as it stood at %s\n", h.To.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "option \"title\" \"makegood credit ledger\"\n")
	for _, c := range h.Currencies {
		fmt.Fprintf(w, "option \"operating_currency\" %s\n", bcString(c))
	}
	first := h.First
	if first.IsZero() {
		first = h.To
	}
	b.opened = day(first)
	fmt.Fprintln(w)
	for _, c := range h.Currencies {
		fmt.Fprintf(w, "%s commodity %s\n", b.opened, c)
	}
	for _, a := range []string{AccountBreakage} {
		fmt.Fprintf(w, "%s open %s\n", b.opened, a)
	}
	for _, r := range h.Reasons {
		fmt.Fprintf(w, "%s open %s:%s\n  reason: %s\n", b.opened, AccountExpenses, ReasonComponent(r), bcString(r))
	}
	for _, c := range h.Customers {
		fmt.Fprintf(w, "%s open %s:%s\n  customer: %s\n", b.opened, AccountLiabilities, CustomerComponent(c), bcString(c))
		fmt.Fprintf(w, "%s open %s:%s\n  customer: %s\n", b.opened, AccountReceivable, CustomerComponent(c), bcString(c))
	}
	_, err := fmt.Fprintln(w)
	return err
}

func (b *beancount) Event(e BookEvent) error {
	w := b.w
	ps := Postings(e)
	switch {
	case e.Gesture != "":
		// A gesture moves no money: a note on the customer's account.
		fmt.Fprintf(w, "%s note %s:%s %s\n\n", day(e.At), AccountLiabilities, CustomerComponent(e.Customer),
			bcString(describe(e)))
		return nil
	case ps == nil:
		return nil
	}
	fmt.Fprintf(w, "%s * %s\n", day(e.At), bcString(describe(e)))
	fmt.Fprintf(w, "  time: %s\n  credit: %d\n  customer: %s\n", bcString(e.At.UTC().Format(time.RFC3339)), e.Credit, bcString(e.Customer))
	if e.Invoice != "" {
		fmt.Fprintf(w, "  invoice: %s\n", bcString(e.Invoice))
	}
	if e.Incident != 0 {
		fmt.Fprintf(w, "  incident: %d\n", e.Incident)
	}
	if n := oneLine(e.Note); n != "" {
		fmt.Fprintf(w, "  note: %s\n", bcString(n))
	}
	for _, p := range ps {
		fmt.Fprintf(w, "  %s  %s %s\n", p.Account, money.DecimalString(p.AmountMinor, p.Currency), p.Currency)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func (b *beancount) Close() error { return b.w.Flush() }

// csvBooks: one row per posting (a gesture is one row without account or
// amount), the transaction's number in the first column.
type csvBooks struct {
	w   *bufio.Writer
	c   *csv.Writer
	txn int
}

func (c *csvBooks) Header(BookHeader) error {
	return c.c.Write([]string{"txn", "date", "at", "kind", "credit", "customer", "account", "amount", "amount_minor",
		"currency", "reason", "invoice", "incident", "gesture", "note"})
}

func (c *csvBooks) Event(e BookEvent) error {
	ps := Postings(e)
	if ps == nil && e.Gesture == "" {
		return nil
	}
	c.txn++
	incident := ""
	if e.Incident != 0 {
		incident = strconv.FormatInt(e.Incident, 10)
	}
	kind := e.Kind
	if e.Gesture != "" {
		kind = "gesture"
	}
	row := func(acct, amount, minor, cur string) error {
		return c.c.Write([]string{strconv.Itoa(c.txn), day(e.At), e.At.UTC().Format(time.RFC3339), kind,
			strconv.FormatInt(e.Credit, 10), e.Customer, acct, amount, minor, cur, e.Reason, e.Invoice, incident, e.Gesture, e.Note})
	}
	if ps == nil {
		return row("", "", "", "")
	}
	for _, p := range ps {
		if err := row(p.Account, money.DecimalString(p.AmountMinor, p.Currency), strconv.FormatInt(p.AmountMinor, 10), p.Currency); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvBooks) Close() error {
	c.c.Flush()
	if err := c.c.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

// jsonBooks: one JSON object with the accounts and a transactions array,
// written element by element.
type jsonBooks struct {
	w     *bufio.Writer
	count int
}

// JSONTransaction is one transaction of `export --format json`.
type JSONTransaction struct {
	Date     string        `json:"date"`
	At       string        `json:"at"`
	Kind     string        `json:"kind"`
	Credit   int64         `json:"credit"`
	Customer string        `json:"customer"`
	Reason   string        `json:"reason"`
	Invoice  *string       `json:"invoice"`
	Incident *int64        `json:"incident"`
	Gesture  *string       `json:"gesture"`
	Note     *string       `json:"note"`
	Postings []JSONPosting `json:"postings"`
}

// JSONPosting is one leg, with money as everywhere in makegood's JSON.
type JSONPosting struct {
	Account     string `json:"account"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

func (j *jsonBooks) Header(h BookHeader) error {
	type account struct {
		Account  string `json:"account"`
		Customer string `json:"customer,omitempty"`
		Reason   string `json:"reason,omitempty"`
	}
	accounts := []account{{Account: AccountBreakage}}
	for _, r := range h.Reasons {
		accounts = append(accounts, account{Account: AccountExpenses + ":" + ReasonComponent(r), Reason: r})
	}
	for _, c := range h.Customers {
		accounts = append(accounts,
			account{Account: AccountLiabilities + ":" + CustomerComponent(c), Customer: c},
			account{Account: AccountReceivable + ":" + CustomerComponent(c), Customer: c})
	}
	acc, err := json.Marshal(accounts)
	if err != nil {
		return err
	}
	cur, err := json.Marshal(h.Currencies)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(j.w, "{\n\"to\": %q,\n\"currencies\": %s,\n\"accounts\": %s,\n\"transactions\": [", h.To.UTC().Format(time.RFC3339), cur, acc)
	return err
}

func (j *jsonBooks) Event(e BookEvent) error {
	ps := Postings(e)
	if ps == nil && e.Gesture == "" {
		return nil
	}
	kind := e.Kind
	if e.Gesture != "" {
		kind = "gesture"
	}
	t := JSONTransaction{Date: day(e.At), At: e.At.UTC().Format(time.RFC3339), Kind: kind, Credit: e.Credit,
		Customer: e.Customer, Reason: e.Reason, Invoice: optString(e.Invoice), Gesture: optString(e.Gesture),
		Note: optString(e.Note), Postings: []JSONPosting{}}
	if e.Incident != 0 {
		id := e.Incident
		t.Incident = &id
	}
	for _, p := range ps {
		t.Postings = append(t.Postings, JSONPosting{Account: p.Account, Amount: money.DecimalString(p.AmountMinor, p.Currency),
			AmountMinor: p.AmountMinor, Currency: p.Currency})
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.count == 0 {
		sep = "\n"
	}
	j.count++
	if _, err := j.w.WriteString(sep); err != nil {
		return err
	}
	_, err = j.w.Write(b)
	return err
}

func (j *jsonBooks) Close() error {
	if _, err := j.w.WriteString("\n]\n}\n"); err != nil {
		return err
	}
	return j.w.Flush()
}
