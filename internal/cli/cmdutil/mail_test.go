package cmdutil_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/mail"
)

const secret = "pa55-w0rd-never-shown"

// newFactory is a Factory built like the real one (MAKEGOOD_* environment
// bound) with its config file and ledger in a temporary directory.
func newFactory(t *testing.T, configYAML string) *cmdutil.Factory {
	t.Helper()
	dir := t.TempDir()
	f := cmdutil.New("test", "none")
	ios, _, _, _ := iostreams.Test()
	f.IOStreams = ios
	f.Getenv = func(string) string { return "" }
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	f.Viper.Set("config", cfg)
	f.Viper.Set("db", filepath.Join(dir, "data", "ledger.db"))
	return f
}

func TestMailConfigDefaults(t *testing.T) {
	f := newFactory(t, "")
	c, err := f.MailConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Via != "outbox" || c.Outbox != filepath.Join(filepath.Dir(f.Viper.GetString("db")), "outbox") {
		t.Fatalf("defaults %+v", c)
	}
	// Without a sender address no mail can be written, and the error says
	// which setting to add.
	_, err = cmdutil.MailSender(c, "outbox", time.Now)
	if err == nil || !strings.Contains(err.Error(), "sender.email is not set") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("err = %v", err)
	}
}

func TestMailConfigFileAndEnvironment(t *testing.T) {
	f := newFactory(t, `
mail:
  via: smtp
  outbox: /srv/outbox
smtp:
  host: mail.example.com
  port: 2525
  username: zoe
  password: from-the-file
  from: "Zoë Founder <zoe@example.com>"
  tls: tls
  timeout: 5s
`)
	t.Setenv("MAKEGOOD_SMTP_PASSWORD", secret)
	t.Setenv("MAKEGOOD_SMTP_PORT", "465")
	t.Setenv("MAKEGOOD_SENDER_NAME", "Zoë")
	c, err := f.MailConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := mail.SMTPConfig{Host: "mail.example.com", Port: 465, Username: "zoe", Password: secret,
		From: "Zoë Founder <zoe@example.com>", TLS: "tls", Timeout: 5 * time.Second}
	if c.SMTP.Host != want.Host || c.SMTP.Port != want.Port || c.SMTP.Username != want.Username ||
		c.SMTP.Password != want.Password || c.SMTP.From != want.From || c.SMTP.TLS != want.TLS || c.SMTP.Timeout != want.Timeout {
		t.Fatalf("smtp %#v", c.SMTP)
	}
	if c.Via != "smtp" || c.Outbox != "/srv/outbox" || c.FromName != "Zoë" || c.FromAddr != "zoe@example.com" {
		t.Fatalf("config %+v", c)
	}
	s, err := cmdutil.MailSender(c, "smtp", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.(mail.SMTP); !ok || got.Config.Password != secret {
		t.Fatalf("sender %T", s)
	}
	if o, err := cmdutil.MailSender(c, "outbox", time.Now); err != nil || o.(mail.Outbox).Dir != "/srv/outbox" {
		t.Fatalf("outbox sender %v %v", o, err)
	}
}

func TestMailConfigErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MAKEGOOD_MAIL_VIA": "pigeon"}, `mail.via "pigeon" is not one of outbox, smtp, print`},
		{map[string]string{"MAKEGOOD_SMTP_PORT": "25x"}, `smtp.port "25x" is not a port number`},
		{map[string]string{"MAKEGOOD_SMTP_PORT": "70000"}, `smtp.port "70000"`},
		{map[string]string{"MAKEGOOD_SMTP_INSECURE": "maybe"}, `smtp.insecure "maybe" is not true or false`},
		{map[string]string{"MAKEGOOD_SMTP_TIMEOUT": "soon"}, `smtp.timeout "soon"`},
		{map[string]string{"MAKEGOOD_SMTP_FROM": "not an address"}, `smtp.from "not an address" is not an address`},
		{map[string]string{"MAKEGOOD_SENDER_EMAIL": "Zoë <z@example.com>"}, `sender.email "Zoë <z@example.com>" is not a bare address`},
		{map[string]string{"MAKEGOOD_SENDER_NAME": "Zoë\r\nBcc: x@example.com", "MAKEGOOD_SENDER_EMAIL": "z@example.com"}, "sender.name must be one line"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			f := newFactory(t, "")
			t.Setenv("MAKEGOOD_SMTP_PASSWORD", secret)
			t.Setenv("MAKEGOOD_SMTP_USERNAME", "zoe")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := f.MailConfig()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if cmdutil.ExitCode(err) != 2 {
				t.Fatalf("exit %d, want 2", cmdutil.ExitCode(err))
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), secret) {
				t.Fatal("error shows the password")
			}
		})
	}
}

func TestMailConfigSMTPValidatedWithoutLeakingPassword(t *testing.T) {
	f := newFactory(t, "smtp:\n  host: 127.0.0.1\n  tls: none\n  username: zoe\nsender:\n  email: z@example.com\n")
	t.Setenv("MAKEGOOD_SMTP_PASSWORD", secret)
	c, err := f.MailConfig()
	if err != nil {
		t.Fatal(err)
	}
	_, err = cmdutil.MailSender(c, "smtp", time.Now)
	if err == nil || !strings.Contains(err.Error(), "smtp.insecure: true") || !errors.Is(err, mail.ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	if cmdutil.ExitCode(err) != 2 || strings.Contains(fmt.Sprintf("%v %+v", err, err), secret) {
		t.Fatalf("exit %d, err %v", cmdutil.ExitCode(err), err)
	}
	t.Setenv("MAKEGOOD_SMTP_INSECURE", "true")
	if c, err = f.MailConfig(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmdutil.MailSender(c, "smtp", time.Now); err != nil {
		t.Fatalf("tls none with insecure: %v", err)
	}
}
