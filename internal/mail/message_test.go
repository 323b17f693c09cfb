package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

type mimeDecoder = mime.WordDecoder

func decodeBody(t *testing.T, pm *mail.Message) string {
	t.Helper()
	var r io.Reader = pm.Body
	switch strings.ToLower(pm.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected transfer encoding %q", pm.Header.Get("Content-Transfer-Encoding"))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// injectionMessages each try to add a header line through a different field.
func injectionMessages() []Message {
	base := testMessage()
	var out []Message
	for _, mod := range []func(*Message){
		func(m *Message) { m.ToName = "Bob\r\nBcc: x@y.example" },
		func(m *Message) { m.ToName = "Bob\nBcc: x@y.example" },
		func(m *Message) { m.FromName = "Zoë\rBcc: x@y.example" },
		func(m *Message) { m.Subject = "Thanks\r\nBcc: x@y.example" },
		func(m *Message) { m.ToAddr = "bob@example.com\r\nBcc: x@y.example" },
		func(m *Message) { m.FromAddr = "zoe@example.com\nBcc: x@y.example" },
		func(m *Message) { m.Headers = map[string]string{"X-Makegood-Note": "1\r\nBcc: x@y.example"} },
		func(m *Message) { m.Headers = map[string]string{"X-Note\r\nBcc": "x@y.example"} },
		func(m *Message) { m.Headers = map[string]string{"Bcc": "x@y.example"} },
	} {
		m := base
		m.Headers = map[string]string{}
		mod(&m)
		out = append(out, m)
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Message)
		field string // "" = valid
	}{
		{"ok", func(*Message) {}, ""},
		{"non-ASCII everywhere", func(m *Message) { m.ToName = "Łukasz Żółw"; m.Subject = "Dziękujemy 🎉" }, ""},
		{"quoted local part", func(m *Message) { m.ToAddr = `"../../etc/passwd"@example.com` }, ""},
		{"CRLF in to name", func(m *Message) { m.ToName = "Bob\r\nBcc: x@y" }, "to name"},
		{"LF in from name", func(m *Message) { m.FromName = "a\nb" }, "from name"},
		{"CR in subject", func(m *Message) { m.Subject = "a\rb" }, "subject"},
		{"NUL in subject", func(m *Message) { m.Subject = "a\x00b" }, "subject"},
		{"ESC in name", func(m *Message) { m.ToName = "a\x1b[31mb" }, "to name"},
		{"empty subject", func(m *Message) { m.Subject = "  " }, "subject"},
		{"empty to", func(m *Message) { m.ToAddr = "" }, "to address"},
		{"bad to", func(m *Message) { m.ToAddr = "not an address" }, "to address"},
		{"to with name", func(m *Message) { m.ToAddr = "Bob <bob@example.com>" }, "to address"},
		{"two tos", func(m *Message) { m.ToAddr = "a@example.com, b@example.com" }, "to address"},
		{"bad from", func(m *Message) { m.FromAddr = "zoe@" }, "from address"},
		{"invalid UTF-8", func(m *Message) { m.ToName = "\xff" }, "to name"},
		{"header not X-", func(m *Message) { m.Headers = map[string]string{"Reply-To": "x@y.z"} }, "only X- headers"},
		{"header name space", func(m *Message) { m.Headers = map[string]string{"X-A B": "1"} }, "header name"},
		{"header value LF", func(m *Message) { m.Headers = map[string]string{"X-A": "1\nB: 2"} }, "header X-A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.mod(&m)
			err := m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want one naming %q", err, tt.field)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00\x1b") {
				t.Fatalf("error message carries raw control characters: %q", err.Error())
			}
		})
	}
}

func TestInjectionRejectedEverywhere(t *testing.T) {
	dir := t.TempDir()
	var printed bytes.Buffer
	senders := map[string]Sender{
		"outbox":  Outbox{Dir: dir},
		"printer": Printer{W: &printed},
	}
	for name, s := range senders {
		for _, m := range injectionMessages() {
			if _, err := s.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("%s: %+v: err = %v", name, m, err)
			}
		}
	}
	if printed.Len() != 0 {
		t.Errorf("printer wrote %q", printed.String())
	}
	if entries, _ := readDir(dir); len(entries) != 0 {
		t.Errorf("outbox wrote %v", entries)
	}
}

func TestBuildHeaders(t *testing.T) {
	now := time.Date(2025, 11, 24, 10, 15, 0, 0, time.UTC)
	msg, err := Build(testMessage(), now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	pm, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pm.Header.Date(); !d.Equal(now) {
		t.Errorf("Date = %v", d)
	}
	if pm.Header.Get("User-Agent") != "" || pm.Header.Get("X-Mailer") != "" {
		t.Errorf("library advertises itself: %q %q", pm.Header.Get("User-Agent"), pm.Header.Get("X-Mailer"))
	}
	if id := pm.Header.Get("Message-Id"); id != msg.GetMessageID() || !strings.HasSuffix(id, "@makegood.example>") {
		t.Errorf("Message-ID = %q", id)
	}
	other, _ := Build(testMessage(), now)
	if other.GetMessageID() == msg.GetMessageID() {
		t.Error("two messages share a Message-ID")
	}
}

func TestMessageIDDomain(t *testing.T) {
	for in, want := range map[string]string{
		"a@Example.COM":        "example.com",
		"a@[127.0.0.1]":        "makegood.invalid",
		"a@bücher.example":     "makegood.invalid",
		`"x@y"@mail.example`:   "mail.example",
		"no-at-sign":           "makegood.invalid",
		"trailing@":            "makegood.invalid",
		"a@sub.domain-1.co.uk": "sub.domain-1.co.uk",
	} {
		if got := messageIDDomain(in); got != want {
			t.Errorf("messageIDDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrinter(t *testing.T) {
	var buf bytes.Buffer
	m := testMessage()
	m.Body = "Hi\x1b[2J there\r\nbye"
	id, err := Printer{W: &buf}.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"From: Zoë from Makegood <zoe@makegood.example>\n",
		"To: José Núñez <jose@customer.example>\n",
		"Subject: Obrigado, José — três anos juntos\n",
		"Message-ID: " + id + "\n",
		"Date: ",
		"X-Makegood-Note: 42\n",
		"\n\nHi\uFFFD[2J there\nbye\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequence reached the terminal")
	}
}
