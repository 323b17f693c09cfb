package mail

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/mail/mailtest"
)

// config points an SMTPConfig at a mailtest server.
func config(ts *mailtest.Server, user, pass, tlsMode string) SMTPConfig {
	return SMTPConfig{
		Host: ts.Host, Port: ts.Port, Username: user, Password: pass,
		TLS: tlsMode, Insecure: tlsMode == TLSNone, RootCAs: ts.Pool, Timeout: 10 * time.Second,
	}
}

const secret = "hunter2-s3cr3t-Pa55"

func testMessage() Message {
	return Message{
		FromName: "Zoë from Makegood",
		FromAddr: "zoe@makegood.example",
		ToName:   "José Núñez",
		ToAddr:   "jose@customer.example",
		Subject:  "Obrigado, José — três anos juntos",
		Body:     "Hi José,\n\nThank you for three years.\n\nZoë\n",
		Headers:  map[string]string{"X-Makegood-Note": "42"},
	}
}

func TestSMTPStartTLSAuthDelivers(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret})
	s := SMTP{Config: config(ts, "zoe", secret, "")}
	id, err := s.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := ts.Received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "zoe@makegood.example" || len(got.To) != 1 || got.To[0] != "jose@customer.example" {
		t.Errorf("envelope = %q -> %q", got.From, got.To)
	}
	if auths := ts.Auths(); len(auths) != 1 || !auths[0].TLS {
		t.Errorf("AUTH happened outside TLS: %+v", auths)
	}

	pm, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, got.Data)
	}
	raw := string(got.Data)
	for _, h := range []string{"From", "To", "Subject"} {
		if v := pm.Header.Get(h); !strings.Contains(strings.ToUpper(v), "=?UTF-8?") {
			t.Errorf("%s header not RFC 2047 encoded: %q", h, v)
		}
	}
	from, err := pm.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Zoë from Makegood" || from[0].Address != "zoe@makegood.example" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := pm.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "José Núñez" || to[0].Address != "jose@customer.example" {
		t.Errorf("To = %v, %v", to, err)
	}
	subj, err := new(mimeDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || subj != "Obrigado, José — três anos juntos" {
		t.Errorf("Subject = %q, %v", subj, err)
	}
	if pm.Header.Get("Message-Id") != id || !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@makegood.example>") {
		t.Errorf("Message-ID header %q, Send returned %q", pm.Header.Get("Message-Id"), id)
	}
	if d, err := pm.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
	if pm.Header.Get("X-Makegood-Note") != "42" {
		t.Errorf("X-Makegood-Note = %q", pm.Header.Get("X-Makegood-Note"))
	}
	body := decodeBody(t, pm)
	if body != "Hi José,\r\n\r\nThank you for three years.\r\n\r\nZoë\r\n" && body != "Hi José,\n\nThank you for three years.\n\nZoë\n" {
		t.Errorf("body = %q", body)
	}
	if strings.Contains(raw, secret) {
		t.Error("message contains the password")
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "tls", User: "zoe", Pass: secret})
	if _, err := (SMTP{Config: config(ts, "zoe", secret, TLSImplicit)}).Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(ts.Received()); n != 1 {
		t.Fatalf("received %d", n)
	}
}

func TestSMTPNoneInsecure(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "none", User: "zoe", Pass: secret})
	if _, err := (SMTP{Config: config(ts, "zoe", secret, TLSNone)}).Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(ts.Received()); n != 1 {
		t.Fatalf("received %d", n)
	}
}

// A server that does not offer STARTTLS must not get the password in clear
// text under the default policy.
func TestSMTPStartTLSRequired(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "none", User: "zoe", Pass: secret})
	_, err := SMTP{Config: config(ts, "zoe", secret, TLSStartTLS)}.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS error", err)
	}
	if auths := ts.Auths(); len(auths) != 0 {
		t.Errorf("client attempted AUTH %d times without TLS", len(auths))
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls"})
	cfg := config(ts, "", "", TLSStartTLS)
	cfg.RootCAs = x509.NewCertPool() // trusts nothing
	_, err := SMTP{Config: cfg}.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
	if len(ts.Received()) != 0 {
		t.Error("message delivered over an unverified connection")
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: "right-password"})
	_, err := SMTP{Config: config(ts, "zoe", secret, "")}.Send(context.Background(), testMessage())
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
		t.Errorf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "535") {
		t.Errorf("err = %v, want the server's 535", err)
	}
	if errors.Is(err, ErrRecipientRefused) {
		t.Error("auth failure classified as a refused recipient")
	}
	if auths := ts.Auths(); len(auths) != 1 || auths[0].Password != secret {
		t.Errorf("server saw %d AUTH attempts", len(auths))
	}
	if len(ts.Received()) != 0 {
		t.Error("message delivered without authentication")
	}
}

func TestSMTPAuthRequiredWithoutCredentials(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret})
	_, err := SMTP{Config: config(ts, "", "", "")}.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("err = %v, want the server's authentication required", err)
	}
}

func TestSMTPRefusedRecipient(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret, Refuse: []string{"gone@customer.example"}})
	s := SMTP{Config: config(ts, "zoe", secret, "")}
	m := testMessage()
	m.ToAddr = "gone@customer.example"
	_, err := s.Send(context.Background(), m)
	if !errors.Is(err, ErrRecipientRefused) {
		t.Fatalf("err = %v, want ErrRecipientRefused", err)
	}
	if !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "gone@customer.example") {
		t.Errorf("error lacks detail: %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Error("error leaks the password")
	}
	// The batch goes on: the next recipient on a fresh session is fine.
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("next Send: %v", err)
	}
	if n := len(ts.Received()); n != 1 {
		t.Fatalf("received %d, want only the accepted one", n)
	}
}

// A server that hangs up in the middle of a message too long for the
// socket buffers: the end of the message never left, so it failed.
func TestSMTPConnectionDroppedInData(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret, DropInData: true})
	m := testMessage()
	m.Body = strings.Repeat("A long note that will not arrive.\n", 500_000)
	id, err := SMTP{Config: config(ts, "zoe", secret, "")}.Send(context.Background(), m)
	if err == nil {
		t.Fatal("Send succeeded although the server hung up mid-message")
	}
	if id != "" {
		t.Errorf("returned message id %q for a failed send", id)
	}
	if errors.Is(err, ErrRecipientRefused) {
		t.Error("dropped connection classified as a refused recipient")
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("the end of the message never left, yet the outcome is unknown: %v", err)
	}
	if len(ts.Received()) != 0 {
		t.Error("server stored a message")
	}
}

// A server that takes the whole message and drops the connection before
// answering: it may have accepted it, so the outcome is unknown, never a
// plain failure a retry would resend.
func TestSMTPDroppedBeforeReplyIsUnknown(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret, DropBeforeReply: true})
	id, err := SMTP{Config: config(ts, "zoe", secret, "")}.Send(context.Background(), testMessage())
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if id != "" {
		t.Errorf("message id %q for an unknown outcome", id)
	}
	if !strings.Contains(err.Error(), "may have accepted") {
		t.Errorf("error %q does not say the server may have it", err)
	}
	if len(ts.Received()) != 1 {
		t.Errorf("server holds %d messages, want the 1 it read", len(ts.Received()))
	}
}

// An error after the server's 250 to the message counts as delivered.
func TestSMTPDroppedAfterAcceptIsDelivered(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "starttls", User: "zoe", Pass: secret, DropAfterAccept: true})
	m := testMessage()
	m.Nonce = NewNonce()
	id, err := SMTP{Config: config(ts, "zoe", secret, "")}.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v; the server had accepted the message", err)
	}
	if id != "<"+m.Nonce+"@makegood.example>" {
		t.Errorf("message id %q, want the one made from the nonce", id)
	}
	if len(ts.Received()) != 1 {
		t.Errorf("server holds %d messages, want 1", len(ts.Received()))
	}
}

func TestSMTPContextCancelsSession(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	ts := mailtest.Start(t, mailtest.Options{TLS: "none", StallData: stall})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := SMTP{Config: config(ts, "", "", TLSNone)}.Send(ctx, testMessage())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Send took %s after the context ended", time.Since(start))
	}
}

func TestSMTPHeaderInjectionRejectedBeforeConnecting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	cfg := SMTPConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: TLSNone, Insecure: true, Timeout: time.Second}
	for _, m := range injectionMessages() {
		_, err := SMTP{Config: cfg}.Send(context.Background(), m)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%+v: err = %v, want ErrInvalidMessage", m, err)
		}
	}
	select {
	case <-accepted:
		t.Error("a connection was made for an invalid message")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSMTPUsesConfiguredFrom(t *testing.T) {
	ts := mailtest.Start(t, mailtest.Options{TLS: "none"})
	cfg := config(ts, "", "", TLSNone)
	cfg.From = "Zoë <hello@makegood.example>"
	m := testMessage()
	m.FromName, m.FromAddr = "", ""
	if _, err := (SMTP{Config: cfg}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ts.Received()
	if len(got) != 1 || got[0].From != "hello@makegood.example" {
		t.Fatalf("received %+v", got)
	}
	pm, _ := mail.ReadMessage(strings.NewReader(string(got[0].Data)))
	from, _ := pm.Header.AddressList("From")
	if len(from) != 1 || from[0].Name != "Zoë" {
		t.Errorf("From = %v", from)
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	ok := SMTPConfig{Host: "mail.example.com"}
	tests := []struct {
		name string
		mod  func(*SMTPConfig)
		want string // "" = valid
	}{
		{"defaults", func(*SMTPConfig) {}, ""},
		{"no host", func(c *SMTPConfig) { c.Host = " " }, "smtp.host is required"},
		{"host with slash", func(c *SMTPConfig) { c.Host = "a/b" }, "smtp.host"},
		{"port low", func(c *SMTPConfig) { c.Port = -1 }, "smtp.port"},
		{"port high", func(c *SMTPConfig) { c.Port = 70000 }, "smtp.port"},
		{"tls upper", func(c *SMTPConfig) { c.TLS = "STARTTLS" }, ""},
		{"tls implicit", func(c *SMTPConfig) { c.TLS = "tls" }, ""},
		{"tls bogus", func(c *SMTPConfig) { c.TLS = "ssl" }, "smtp.tls"},
		{"none without insecure", func(c *SMTPConfig) { c.TLS = "none" }, "smtp.insecure"},
		{"none with insecure", func(c *SMTPConfig) { c.TLS = "none"; c.Insecure = true }, ""},
		{"user without password", func(c *SMTPConfig) { c.Username = "u" }, "smtp.password is empty"},
		{"password without user", func(c *SMTPConfig) { c.Password = secret }, "smtp.username is empty"},
		{"bad from", func(c *SMTPConfig) { c.From = "not an address" }, "smtp.from"},
		{"from with CRLF", func(c *SMTPConfig) { c.From = "a@b.c\r\nBcc: x@y.z" }, "smtp.from"},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, "smtp.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatal("error leaks the password")
			}
		})
	}
}

func TestSMTPConfigNeverPrintsPassword(t *testing.T) {
	c := SMTPConfig{Host: "mail.example.com", Username: "zoe", Password: secret, From: "z@example.com"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "smtp", c)
	js, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{
		c.String(), c.GoString(),
		fmt.Sprint(c), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%d", c, c, c, c, c, c, c),
		fmt.Sprintf("%v|%+v|%#v", &c, SMTP{Config: c}, &SMTP{Config: c}),
		fmt.Sprintf("%+v", struct{ S SMTP }{SMTP{Config: c}}),
		logged.String(), string(js),
	}
	for _, out := range outs {
		if strings.Contains(out, secret) {
			t.Errorf("password printed: %s", out)
		}
	}
	if !strings.Contains(c.String(), "mail.example.com") || !strings.Contains(c.String(), "<redacted>") {
		t.Errorf("String() = %q", c.String())
	}
}

func TestScrub(t *testing.T) {
	c := SMTPConfig{Username: "zoe", Password: secret}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00zoe\x00" + secret))
	login := base64.StdEncoding.EncodeToString([]byte(secret))
	in := "x " + secret + " y " + plain + " z " + login
	if out := c.scrub(in); strings.Contains(out, secret) || strings.Contains(out, plain) || strings.Contains(out, login) {
		t.Errorf("scrub left the secret: %q", out)
	}
}
