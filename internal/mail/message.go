// Package mail delivers one message at a time: into an outbox directory as
// .eml files, over SMTP, or onto a writer for --dry-run. Every sender shares
// Build, so validation, header encoding, Message-ID and Date are identical
// whichever way a note leaves the machine.
package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is wrapped by every Validate failure, so callers can tell
// "this message can never be sent" from a delivery failure.
var ErrInvalidMessage = errors.New("invalid message")

// ErrRecipientRefused is wrapped when the server permanently refused the
// recipient (a 5xx reply to RCPT TO). Nothing was delivered; retrying the same
// address will not help, but other messages in a batch may still go through.
var ErrRecipientRefused = errors.New("recipient refused")

// Message is one note to one person. Names and subject are plain UTF-8; Build
// takes care of encoding them.
type Message struct {
	FromName string
	FromAddr string
	ToName   string
	ToAddr   string
	Subject  string
	Body     string
	// Headers carries extra annotations such as X-Makegood-Note. Names must
	// start with "X-": a caller-supplied Bcc or Reply-To would silently
	// redirect a customer's mail.
	Headers map[string]string
	// Nonce, when set, makes the Message-ID (<Nonce@sender's domain>) and
	// names the outbox file, so the attempt that carried it can be found
	// again (the ledger's delivery claim chooses it). Letters and digits
	// only; empty means a random one.
	Nonce string
}

// Sender delivers one message and reports the Message-ID it carried, so the
// ledger can tie a note to what the recipient's mail client shows.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Validate rejects anything that could smuggle extra header lines into the
// message or that no server would accept as an address. It runs before any
// file is created or connection made.
func (m Message) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"from name", m.FromName},
		{"to name", m.ToName},
		{"subject", m.Subject},
	} {
		if err := checkHeaderText(f.name, f.value); err != nil {
			return err
		}
	}
	if strings.TrimSpace(m.Subject) == "" {
		return invalid("subject is empty")
	}
	if err := checkAddr("from address", m.FromAddr); err != nil {
		return err
	}
	if err := checkAddr("to address", m.ToAddr); err != nil {
		return err
	}
	if !utf8.ValidString(m.Body) {
		return invalid("body is not valid UTF-8")
	}
	if err := m.checkNonce(); err != nil {
		return err
	}
	for name, value := range m.Headers {
		if err := checkHeaderName(name); err != nil {
			return err
		}
		if err := checkHeaderText("header "+name, value); err != nil {
			return err
		}
	}
	return nil
}

func (m Message) checkNonce() error {
	for _, r := range m.Nonce {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') || len(m.Nonce) > 64 {
			return invalid("nonce %s must be at most 64 letters and digits", quoteShort(m.Nonce))
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("mail: %w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// quoteShort keeps error messages readable when a hostile value is huge,
// and %q makes CR, LF and NUL visible instead of letting them act.
func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func checkHeaderText(field, value string) error {
	if !utf8.ValidString(value) {
		return invalid("%s is not valid UTF-8", field)
	}
	for _, r := range value {
		switch {
		case r == '\r' || r == '\n':
			return invalid("%s contains a line break (CR or LF): %s", field, quoteShort(value))
		case r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return invalid("%s contains a control character: %s", field, quoteShort(value))
		}
	}
	return nil
}

func checkHeaderName(name string) error {
	if len(name) < 3 || !strings.EqualFold(name[:2], "X-") {
		return invalid("header %s: only X- headers may be added", quoteShort(name))
	}
	for _, r := range name {
		ok := r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return invalid("header name %s may contain only letters, digits and '-'", quoteShort(name))
		}
	}
	return nil
}

// checkAddr insists on a bare address: a display name belongs in the Name
// fields, where it is encoded, not hidden inside the address.
func checkAddr(field, value string) error {
	if value == "" {
		return invalid("%s is empty", field)
	}
	if err := checkHeaderText(field, value); err != nil {
		return err
	}
	if _, err := parseBareAddr(value); err != nil {
		return invalid("%s %s %v", field, quoteShort(value), err)
	}
	return nil
}

// parseBareAddr accepts only an addr-spec, no display name or angle
// brackets, and returns it unquoted ("a b"@x becomes a b@x), which is what
// net/mail and go-mail expect in mail.Address.Address.
func parseBareAddr(value string) (string, error) {
	a, err := mail.ParseAddress(value)
	if err != nil {
		return "", fmt.Errorf("does not parse: %v", err)
	}
	if a.Name != "" || strings.ContainsAny(value, "<>") {
		return "", errors.New("must be a bare address such as name@example.com")
	}
	return a.Address, nil
}

// Build turns a validated Message into a go-mail message with a fresh
// Message-ID and the given Date. now is a parameter so outbox files and tests
// are reproducible.
func Build(m Message, now time.Time) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	from, _ := parseBareAddr(m.FromAddr) // Validate checked both
	to, _ := parseBareAddr(m.ToAddr)
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&mail.Address{Name: m.FromName, Address: from})
	msg.ToMailAddress(&mail.Address{Name: m.ToName, Address: to})
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	nonce := m.Nonce
	if nonce == "" {
		nonce = NewNonce()
	}
	msg.SetMessageIDWithValue(nonce + "@" + messageIDDomain(m.FromAddr))
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		msg.SetGenHeader(gomail.Header(canonicalHeader(name)), m.Headers[name])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// NewNonce is a fresh random nonce for Message.Nonce: 26 characters of
// base32, 130 bits.
func NewNonce() string { return rand.Text() }

// messageIDDomain uses the sender's own domain rather than go-mail's default
// (this machine's hostname), which would leak the operator's laptop name to
// every customer.
func messageIDDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "makegood.invalid"
	}
	d := addr[at+1:]
	if d == "" {
		return "makegood.invalid"
	}
	for _, r := range d {
		ok := r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return "makegood.invalid"
		}
	}
	return strings.ToLower(d)
}

func canonicalHeader(name string) string {
	parts := strings.Split(strings.ToLower(name), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}
