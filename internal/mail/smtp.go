package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Values of SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS; refuses servers without it
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
	TLSNone     = "none"     // cleartext; only with Insecure
)

// DefaultTimeout bounds a whole SMTP session when SMTPConfig.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ErrInvalidConfig is wrapped by every SMTPConfig.Validate failure.
var ErrInvalidConfig = errors.New("invalid SMTP configuration")

// SMTPConfig mirrors the smtp.* config keys. Its String, GoString, Format,
// LogValue and MarshalJSON all redact Password, so printing or logging a
// config by accident never shows the secret.
type SMTPConfig struct {
	Host     string
	Port     int // 0 means the usual port for TLS: 587, 465 or 25
	Username string
	Password string
	// From is the default sender ("Name <addr>" or a bare address), used when
	// a Message has no FromAddr.
	From string
	TLS  string // TLSStartTLS (default), TLSImplicit or TLSNone
	// Insecure must be true for TLS == TLSNone, and then also allows
	// PLAIN/LOGIN authentication over the cleartext connection. It never
	// disables certificate verification.
	Insecure bool
	// RootCAs replaces the system roots when set; tests use it for their
	// self-signed certificate, operators for a private CA.
	RootCAs *x509.CertPool
	Timeout time.Duration
}

// Validate checks the settings without contacting the server. Messages name
// the config key at fault and never include the password.
func (c SMTPConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mail: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	host := strings.TrimSpace(c.Host)
	if host == "" {
		return bad("smtp.host is required")
	}
	if strings.ContainsAny(host, " \t\r\n/@") {
		return bad("smtp.host %q is not a host name", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		return bad("smtp.port %d is out of range (1-65535)", c.Port)
	}
	tlsMode := normalizeTLS(c.TLS)
	switch tlsMode {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !c.Insecure {
			return bad("smtp.tls none sends mail and credentials unencrypted; it is accepted only with smtp.insecure: true")
		}
	default:
		return bad("smtp.tls %q is not one of starttls, tls, none", c.TLS)
	}
	if c.Username != "" && c.Password == "" {
		return bad("smtp.username is set but smtp.password is empty (set it in the config file or MAKEGOOD_SMTP_PASSWORD)")
	}
	if c.Username == "" && c.Password != "" {
		return bad("smtp.password is set but smtp.username is empty")
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil || strings.ContainsAny(c.From, "\r\n") {
			return bad("smtp.from %s is not an address", quoteShort(c.From))
		}
	}
	if c.Timeout < 0 {
		return bad("smtp.timeout %s is negative", c.Timeout)
	}
	return nil
}

func normalizeTLS(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return TLSStartTLS
	}
	return s
}

func (c SMTPConfig) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch normalizeTLS(c.TLS) {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

func (c SMTPConfig) redactedPassword() string {
	if c.Password == "" {
		return "<unset>"
	}
	return "<redacted>"
}

// String describes the config for humans, with the password redacted.
func (c SMTPConfig) String() string {
	return fmt.Sprintf("smtp host=%s port=%d tls=%s insecure=%t username=%q password=%s from=%q",
		c.Host, c.port(), normalizeTLS(c.TLS), c.Insecure, c.Username, c.redactedPassword(), c.From)
}

// GoString keeps %#v from dumping the struct fields verbatim.
func (c SMTPConfig) GoString() string {
	return fmt.Sprintf("mail.SMTPConfig{Host:%q, Port:%d, Username:%q, Password:%q, From:%q, TLS:%q, Insecure:%t, Timeout:%s}",
		c.Host, c.Port, c.Username, c.redactedPassword(), c.From, c.TLS, c.Insecure, c.Timeout)
}

// Format routes every verb through the redacted forms; without it %+v and
// %x would print the raw fields.
func (c SMTPConfig) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, c.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", c.String())
	default:
		fmt.Fprint(f, c.String())
	}
}

// LogValue keeps slog from reflecting over the fields.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.port()),
		slog.String("tls", normalizeTLS(c.TLS)),
		slog.Bool("insecure", c.Insecure),
		slog.String("username", c.Username),
		slog.String("password", c.redactedPassword()),
		slog.String("from", c.From),
	)
}

// MarshalJSON is for `config show --json`-style output: redacted like String.
func (c SMTPConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"host":     c.Host,
		"port":     c.port(),
		"tls":      normalizeTLS(c.TLS),
		"insecure": c.Insecure,
		"username": c.Username,
		"password": c.redactedPassword(),
		"from":     c.From,
	})
}

// scrub removes the password, in the forms an SMTP exchange may carry it,
// from text that came back from the network or the mail library.
func (c SMTPConfig) scrub(s string) string {
	if c.Password == "" {
		return s
	}
	for _, secret := range []string{
		base64.StdEncoding.EncodeToString([]byte("\x00" + c.Username + "\x00" + c.Password)),
		base64.StdEncoding.EncodeToString([]byte(c.Password)),
		c.Password,
	} {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	return s
}

// ErrOutcomeUnknown is wrapped when the whole message, its end included,
// went to the server but no reply to it came back (the connection dropped
// or timed out while waiting). The server may have accepted it: sending it
// again could mail the customer twice.
var ErrOutcomeUnknown = errors.New("the server may have accepted the message: it received all of it but the connection ended before it replied")

// SMTP delivers through the operator's own mail server.
type SMTP struct {
	Config SMTPConfig
}

// deliveryError carries only a scrubbed copy of the cause's text: the cause
// itself is dropped, because a library error could render credentials in a
// way nobody can see from here. Classification survives through kinds.
type deliveryError struct {
	msg   string
	kinds []error
}

func (e *deliveryError) Error() string   { return e.msg }
func (e *deliveryError) Unwrap() []error { return e.kinds }

// Send delivers m. When m.FromAddr is empty the configured From is used. The
// error wraps ErrInvalidMessage or ErrInvalidConfig when nothing was
// attempted, ErrRecipientRefused for a permanent RCPT rejection,
// ErrOutcomeUnknown when the server got the whole message but its reply
// never came, and the context's error when ctx ended the session.
//
// Once the server has answered 250 to the message, it is delivered: an
// error after that (the connection dropping before RSET or QUIT) is not
// an error of the delivery, and Send returns the Message-ID.
func (s SMTP) Send(ctx context.Context, m Message) (string, error) {
	cfg := s.Config
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if m.FromAddr == "" && cfg.From != "" {
		from, _ := mail.ParseAddress(cfg.From) // Validate checked it
		m.FromAddr = from.Address
		if m.FromName == "" {
			m.FromName = from.Name
		}
	}
	msg, err := Build(m, time.Now())
	if err != nil {
		return "", err
	}
	messageID := msg.GetMessageID()

	host := strings.TrimSpace(cfg.Host)
	addr := net.JoinHostPort(host, strconv.Itoa(cfg.port()))
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	tlsMode := normalizeTLS(cfg.TLS)
	tlsConf := &tls.Config{ServerName: host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}

	// go-mail watches ctx only while dialing; owning the connection lets us
	// close it when ctx ends mid-session, and close it on every error path
	// (go-mail drops it without closing when EHLO, STARTTLS or AUTH fail).
	var conn *watchedConn
	fail := func(cause error) error {
		kinds := []error{}
		var se *gomail.SendError
		if errors.As(cause, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
			kinds = append(kinds, ErrRecipientRefused)
		}
		// The reply to the end of the message did not come (no SMTP code):
		// if every byte went out, the final "." among them, the server
		// may have taken it. A failed write means the end never left.
		if errors.As(cause, &se) && se.Reason == gomail.ErrSMTPDataClose && se.ErrorCode() == 0 &&
			(conn == nil || !conn.writeFailed()) {
			kinds = append(kinds, ErrOutcomeUnknown)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			kinds = append(kinds, ctxErr)
		}
		text := fmt.Sprintf("mail: smtp delivery to %s via %s: %v", m.ToAddr, addr, cause)
		if slices.Contains(kinds, ErrOutcomeUnknown) {
			text += " (" + ErrOutcomeUnknown.Error() + ")"
		}
		return &deliveryError{msg: cfg.scrub(text), kinds: kinds}
	}

	stopWatch := func() bool { return false }
	defer func() {
		stopWatch()
		if conn != nil {
			_ = conn.Close()
		}
	}()
	dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
		d := net.Dialer{}
		c, err := d.DialContext(dctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if tlsMode == TLSImplicit {
			tc := tls.Client(c, tlsConf)
			if err := tc.HandshakeContext(dctx); err != nil {
				_ = c.Close()
				return nil, err
			}
			c = tc
		}
		conn = &watchedConn{Conn: c}
		stopWatch = context.AfterFunc(ctx, func() { _ = c.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(cfg.port()),
		gomail.WithTimeout(timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConf),
	}
	switch tlsMode {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		// Implicit TLS is done by dial; none means none.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		// Mechanisms are chosen explicitly rather than auto-discovered: go-mail
		// decides "encrypted" from its own dialer, which we replaced. PLAIN
		// and LOGIN still refuse a cleartext non-local server unless the
		// operator asked for tls: none with insecure: true.
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if tlsMode == TLSNone {
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts,
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password),
			gomail.WithOpportunisticSMTPAuth(mechs...),
		)
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return "", fail(err)
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", fail(err)
	}
	if err := client.SendWithSMTPClient(sc, msg); err != nil && !msg.IsDelivered() {
		return "", fail(err)
	}
	// The server has accepted the message; a failed RSET or QUIT changes
	// nothing.
	_ = client.CloseWithSMTPClient(sc)
	return messageID, nil
}

// watchedConn remembers whether a write ever failed, which tells "the end
// of the message never left" from "it left and the reply did not come".
type watchedConn struct {
	net.Conn
	failed atomic.Bool
}

func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.failed.Store(true)
	}
	return n, err
}

func (c *watchedConn) writeFailed() bool { return c.failed.Load() }
