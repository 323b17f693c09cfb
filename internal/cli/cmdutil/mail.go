package cmdutil

import (
	"fmt"
	netmail "net/mail"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
)

// MailConfig reads the mail settings. Errors name the config key at fault
// and are usage errors (exit status 2); none of them can contain the
// password, which is only ever copied into SMTP.Password.
func (f *Factory) MailConfig() (mail.Config, error) {
	v, err := f.Config()
	if err != nil {
		return mail.Config{}, err
	}
	c := mail.Config{
		Via:    strings.ToLower(strings.TrimSpace(v.GetString("mail.via"))),
		Outbox: v.GetString("mail.outbox"),
		SMTP: mail.SMTPConfig{
			Host:     strings.TrimSpace(v.GetString("smtp.host")),
			Username: v.GetString("smtp.username"),
			Password: v.GetString("smtp.password"),
			From:     strings.TrimSpace(v.GetString("smtp.from")),
			TLS:      v.GetString("smtp.tls"),
		},
		FromName: strings.TrimSpace(v.GetString("sender.name")),
		FromAddr: strings.TrimSpace(v.GetString("sender.email")),
	}
	if c.Via == "" {
		c.Via = ledger.ViaOutbox
	}
	if !slices.Contains(ledger.Vias(), c.Via) {
		return c, configErrorf("mail.via %q is not one of %s", c.Via, strings.Join(ledger.Vias(), ", "))
	}
	if c.Outbox == "" {
		c.Outbox = filepath.Join(f.besideLedger(v.GetString("db")), "outbox")
	}
	if s := strings.TrimSpace(v.GetString("smtp.port")); s != "" {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return c, configErrorf("smtp.port %q is not a port number (1-65535)", s)
		}
		c.SMTP.Port = p
	}
	if s := strings.TrimSpace(v.GetString("smtp.insecure")); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return c, configErrorf("smtp.insecure %q is not true or false", s)
		}
		c.SMTP.Insecure = b
	}
	if s := strings.TrimSpace(v.GetString("smtp.timeout")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return c, configErrorf("smtp.timeout %q is not a duration such as 30s", s)
		}
		c.SMTP.Timeout = d
	}
	if c.SMTP.From != "" && (c.FromName == "" || c.FromAddr == "") {
		a, err := netmail.ParseAddress(c.SMTP.From)
		if err != nil || strings.ContainsAny(c.SMTP.From, "\r\n") {
			return c, configErrorf("smtp.from %q is not an address", c.SMTP.From)
		}
		if c.FromName == "" {
			c.FromName = a.Name
		}
		if c.FromAddr == "" {
			c.FromAddr = a.Address
		}
	}
	if strings.ContainsAny(c.FromName, "\r\n") {
		return c, configErrorf("sender.name must be one line")
	}
	if c.FromAddr != "" {
		if a, err := netmail.ParseAddress(c.FromAddr); err != nil || a.Address != c.FromAddr || a.Name != "" {
			return c, configErrorf("sender.email %q is not a bare address such as you@example.com", c.FromAddr)
		}
	}
	return c, nil
}

// MailSender returns the way out for via (outbox or smtp; print writes no
// mail). now stamps outbox files, so MAKEGOOD_NOW makes them reproducible.
func MailSender(c mail.Config, via string, now func() time.Time) (mail.Sender, error) {
	if via != ledger.ViaPrint && c.FromAddr == "" {
		return nil, configErrorf("sender.email is not set: set it (or smtp.from) in the config file or MAKEGOOD_SENDER_EMAIL, so notes have a From address")
	}
	switch via {
	case ledger.ViaOutbox:
		return mail.Outbox{Dir: c.Outbox, Now: now}, nil
	case ledger.ViaSMTP:
		if err := c.SMTP.Validate(); err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("%w (config file or MAKEGOOD_SMTP_* environment)", err)}
		}
		return mail.SMTP{Config: c.SMTP}, nil
	}
	return nil, configErrorf("via %q has no mail sender", via)
}

func configErrorf(format string, args ...any) error {
	return ConfigErrorf(format, args...)
}
