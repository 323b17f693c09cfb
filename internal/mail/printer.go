package mail

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Printer is the --dry-run sender: it shows what would be sent, in readable
// UTF-8 rather than the encoded wire form, and delivers nothing.
type Printer struct {
	W io.Writer
}

// Send validates and builds m exactly as a real sender would, so a dry run
// fails where a real run would, then prints it.
func (p Printer) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	msg, err := Build(m, time.Now())
	if err != nil {
		return "", err
	}
	id := msg.GetMessageID()
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\n", displayAddr(m.FromName, m.FromAddr))
	fmt.Fprintf(&b, "To: %s\n", displayAddr(m.ToName, m.ToAddr))
	fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	if d := msg.GetGenHeader(gomail.HeaderDate); len(d) > 0 {
		fmt.Fprintf(&b, "Date: %s\n", d[0])
	}
	fmt.Fprintf(&b, "Message-ID: %s\n", id)
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s: %s\n", canonicalHeader(name), m.Headers[name])
	}
	b.WriteString("\n")
	body := terminalSafe(strings.ReplaceAll(m.Body, "\r\n", "\n"))
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(p.W, b.String()); err != nil {
		return "", fmt.Errorf("mail: print message: %w", err)
	}
	return id, nil
}

func displayAddr(name, addr string) string {
	if name == "" {
		return addr
	}
	return fmt.Sprintf("%s <%s>", name, addr)
}

// terminalSafe neutralises control characters (escape sequences could
// rewrite the operator's terminal) while keeping line breaks and tabs. The
// body is the one part Validate leaves free-form.
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		}
		return r
	}, s)
}
