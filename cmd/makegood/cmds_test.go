package main

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/makegood/makegood/internal/mail/mailtest"
)

// Custom testscript commands. Each is generic: it checks or shows files and
// mail the way a person would, and knows nothing about makegood's internals.

// cmdFilemode checks the permission bits of files:
//
//	filemode 0600 $HOME/.local/share/makegood/outbox/*.eml
//
// Each argument is a glob that must match at least one file.
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: filemode MODE GLOB...")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("filemode: %q is not an octal mode", args[0])
	}
	for _, path := range globs(ts, args[1:]) {
		fi, err := os.Stat(path)
		ts.Check(err)
		got := fi.Mode().Perm()
		if (got == os.FileMode(want)) == neg {
			ts.Fatalf("%s has mode %#o; want %s%#o", path, got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	}
}

func globs(ts *testscript.TestScript, patterns []string) []string {
	var out []string
	for _, p := range patterns {
		matches, err := filepath.Glob(ts.MkAbs(p))
		ts.Check(err)
		if len(matches) == 0 {
			ts.Fatalf("no file matches %s", p)
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	return out
}

// cmdMailcat parses each file matching the globs as an RFC 5322 message
// (net/mail) and prints it decoded, so scripts can match on what the
// recipient's mail client would show. A file that does not parse fails the
// script.
func cmdMailcat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: mailcat GLOB...")
	}
	for _, path := range globs(ts, args) {
		data, err := os.ReadFile(path)
		ts.Check(err)
		text, err := decodeMessage(data)
		if err != nil {
			ts.Fatalf("%s: %v", path, err)
		}
		fmt.Fprintf(ts.Stdout(), "== %s\n%s", filepath.Base(path), text)
	}
}

// decodeMessage renders a message's main headers and body in plain UTF-8.
func decodeMessage(data []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("not a valid message: %w", err)
	}
	var b strings.Builder
	dec := new(mime.WordDecoder)
	// Every message says what it is: a thank-you note's occasion, or the
	// apology it delivers.
	what := "X-Makegood-Occasion"
	if m.Header.Get(what) == "" && m.Header.Get("X-Makegood-Apology") != "" {
		what = "X-Makegood-Apology"
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-Id", what} {
		v := m.Header.Get(h)
		if v == "" {
			return "", fmt.Errorf("no %s header", h)
		}
		if h == "From" || h == "To" {
			as, err := m.Header.AddressList(h)
			if err != nil || len(as) != 1 {
				return "", fmt.Errorf("%s %q: %v", h, v, err)
			}
			v = as[0].Name + " <" + as[0].Address + ">"
		} else if v, err = dec.DecodeHeader(v); err != nil {
			return "", fmt.Errorf("%s: %w", h, err)
		}
		fmt.Fprintf(&b, "%s: %s\n", h, v)
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	b.WriteString("\n" + strings.ReplaceAll(string(text), "\r\n", "\n") + "\n")
	return b.String(), nil
}

type smtpdKey struct{}

type smtpdState struct {
	srv  *mailtest.Server
	pass string
}

// cmdSMTPD runs a real SMTP server (STARTTLS with a throwaway certificate,
// AUTH PLAIN) inside the test process for the script's makegood to talk to:
//
//	smtpd start [-drop-after-accept | -drop-before-reply] USER PASSWORD [REFUSED-ADDRESS...]
//	    start it and point MAKEGOOD_SMTP_* and SSL_CERT_FILE at it; with
//	    -drop-after-accept it answers 250 to each message and then hangs
//	    up, with -drop-before-reply it takes each message whole and hangs
//	    up without answering
//	smtpd accept ADDRESS | smtpd refuse ADDRESS
//	    change which recipients the server refuses with 550
//	smtpd received
//	    print every accepted message, decoded, with its envelope
//	smtpd auth
//	    print every AUTH attempt: user, whether the password was right, TLS
//	[!] smtpd count N
//	    check how many messages were accepted
func cmdSMTPD(ts *testscript.TestScript, neg bool, args []string) {
	st := ts.Value(smtpdKey{}).(*smtpdState)
	if len(args) == 0 {
		ts.Fatalf("usage: smtpd start|accept|refuse|received|auth|count ...")
	}
	if args[0] != "start" && st.srv == nil {
		ts.Fatalf("smtpd %s: the server is not started", args[0])
	}
	switch args[0] {
	case "start":
		o := mailtest.Options{TLS: "starttls"}
		args = args[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "-") {
			switch args[0] {
			case "-drop-after-accept":
				o.DropAfterAccept = true
			case "-drop-before-reply":
				o.DropBeforeReply = true
			default:
				ts.Fatalf("smtpd start: unknown option %s", args[0])
			}
			args = args[1:]
		}
		if len(args) < 2 || st.srv != nil {
			ts.Fatalf("usage: smtpd start [-drop-after-accept | -drop-before-reply] USER PASSWORD [REFUSED...] (once per script)")
		}
		o.User, o.Pass, o.Refuse = args[0], args[1], args[2:]
		srv, err := mailtest.New(o)
		ts.Check(err)
		ts.Defer(func() { _ = srv.Close() })
		st.srv, st.pass = srv, o.Pass
		// The binary trusts the test certificate the way an operator would
		// trust a private CA: through SSL_CERT_FILE.
		ca := ts.MkAbs("smtpd-ca.pem")
		ts.Check(os.WriteFile(ca, srv.CertPEM(), 0o600))
		ts.Setenv("SSL_CERT_FILE", ca)
		ts.Setenv("MAKEGOOD_SMTP_HOST", srv.Host)
		ts.Setenv("MAKEGOOD_SMTP_PORT", strconv.Itoa(srv.Port))
	case "accept", "refuse":
		if len(args) != 2 {
			ts.Fatalf("usage: smtpd %s ADDRESS", args[0])
		}
		if args[0] == "accept" {
			st.srv.Accept(args[1])
		} else {
			st.srv.Refuse(args[1])
		}
	case "received":
		for i, m := range st.srv.Received() {
			text, err := decodeMessage(m.Data)
			if err != nil {
				ts.Fatalf("message %d: %v", i+1, err)
			}
			fmt.Fprintf(ts.Stdout(), "== message %d: MAIL FROM %s RCPT TO %s\n%s", i+1, m.From, strings.Join(m.To, ","), text)
		}
	case "auth":
		for _, a := range st.srv.Auths() {
			ok := "password-ok"
			if a.Password != st.pass {
				ok = "password-wrong"
			}
			fmt.Fprintf(ts.Stdout(), "AUTH PLAIN %s %s tls=%t\n", a.Username, ok, a.TLS)
		}
	case "count":
		if len(args) != 2 {
			ts.Fatalf("usage: smtpd count N")
		}
		n := len(st.srv.Received())
		if (strconv.Itoa(n) == args[1]) == neg {
			ts.Fatalf("server accepted %d messages", n)
		}
	default:
		ts.Fatalf("smtpd: unknown subcommand %q", args[0])
	}
}
