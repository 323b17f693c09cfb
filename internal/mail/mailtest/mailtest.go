// Package mailtest runs a real SMTP server on 127.0.0.1 for tests: the mail
// package's own tests and the end-to-end tests that drive the makegood
// binary against it. It records what it receives and can refuse recipients,
// require authentication, speak STARTTLS or implicit TLS with a throwaway
// certificate, or hang up in the middle of a message.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// TLS is "starttls" (the default: STARTTLS offered), "tls" (implicit
	// TLS from the first byte) or "none" (cleartext, AUTH allowed).
	TLS string
	// User and Pass, when User is set, make AUTH PLAIN mandatory before MAIL.
	User, Pass string
	// Refuse lists recipients answered with a permanent 550 at RCPT TO.
	Refuse []string
	// DropInData makes the server read part of every message and close the
	// connection, as a crashing server would.
	DropInData bool
	// DropBeforeReply makes the server read every message whole, keep it
	// (Received lists it: a real server may deliver it) and close the
	// connection without answering, as a server crashing at that moment
	// would: the client cannot know whether it was accepted.
	DropBeforeReply bool
	// DropAfterAccept makes the server accept every message, answer 250,
	// and then close the connection before the client's next command.
	DropAfterAccept bool
	// StallData, when set, makes DATA wait until the channel is closed
	// before reading the message.
	StallData chan struct{}
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Auth is one AUTH attempt as the server saw it.
type Auth struct {
	Username, Password string
	TLS                bool // whether the connection was encrypted at the time
}

// Server is a running SMTP server.
type Server struct {
	Host string // always 127.0.0.1
	Port int
	// Pool trusts the server's certificate; nil when TLS is "none".
	Pool *x509.CertPool

	certPEM    []byte
	srv        *smtp.Server
	user, pass string
	opts       Options

	mu     sync.Mutex
	refuse map[string]bool
	msgs   []Message
	auths  []Auth
	inData int
}

// Start starts a server that is closed when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// New starts a server; the caller must Close it.
func New(o Options) (*Server, error) {
	s := &Server{Host: "127.0.0.1", user: o.User, pass: o.Pass, opts: o, refuse: map[string]bool{}}
	for _, r := range o.Refuse {
		s.refuse[strings.ToLower(r)] = true
	}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	switch o.TLS {
	case "", "starttls", "tls":
		cert, pool, certPEM, err := newCert()
		if err != nil {
			l.Close()
			return nil, err
		}
		s.Pool, s.certPEM = pool, certPEM
		conf := &tls.Config{Certificates: []tls.Certificate{cert}}
		if o.TLS == "tls" {
			l = tls.NewListener(l, conf)
		} else {
			srv.TLSConfig = conf
		}
	case "none":
		srv.AllowInsecureAuth = true
	default:
		l.Close()
		return nil, fmt.Errorf("mailtest: TLS %q is not starttls, tls or none", o.TLS)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	s.srv = srv
	go func() { _ = srv.Serve(l) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// CertPEM is the server's self-signed certificate, for SSL_CERT_FILE in a
// child process that must trust it; nil when TLS is "none".
func (s *Server) CertPEM() []byte { return s.certPEM }

// Received returns the messages accepted so far.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// DataStarted is how many sessions have reached DATA so far, whether or
// not their message was accepted: a test that must act while a message is
// in flight (StallData) waits for it.
func (s *Server) DataStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inData
}

// Auths returns the AUTH attempts so far.
func (s *Server) Auths() []Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Auth(nil), s.auths...)
}

// Refuse makes the server refuse addr from now on.
func (s *Server) Refuse(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = true
}

// Accept makes the server accept addr again.
func (s *Server) Accept(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refuse, strings.ToLower(addr))
}

// newCert makes a throwaway self-signed certificate for 127.0.0.1 and
// localhost, and a pool trusting it, so TLS is verified for real rather than
// skipped.
func newCert() (tls.Certificate, *x509.CertPool, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("mailtest: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "makegood test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("mailtest: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("mailtest: certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, certPEM, nil
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c}, nil
}

type session struct {
	s        *Server
	conn     *smtp.Conn
	authed   bool
	from     string
	to       []string
	accepted bool // the last message was accepted and answered
}

func (se *session) AuthMechanisms() []string {
	if se.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		_, isTLS := se.conn.TLSConnectionState()
		se.s.mu.Lock()
		se.s.auths = append(se.s.auths, Auth{Username: username, Password: password, TLS: isTLS})
		se.s.mu.Unlock()
		if username != se.s.user || password != se.s.pass {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	refused := se.s.refuse[strings.ToLower(to)]
	se.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	o := se.s.opts
	se.s.mu.Lock()
	se.s.inData++
	se.s.mu.Unlock()
	if o.DropInData {
		// Take part of the message, then vanish as a crashing server would.
		_, _ = io.ReadFull(r, make([]byte, 64))
		_ = se.conn.Conn().Close()
		return errors.New("dropped")
	}
	if o.StallData != nil {
		<-o.StallData
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, Message{From: se.from, To: se.to, Data: data})
	se.s.mu.Unlock()
	if o.DropBeforeReply {
		_ = se.conn.Conn().Close()
		return errors.New("dropped before replying")
	}
	// go-smtp answers 250 when Data returns and then resets the session:
	// Reset closes the connection once that answer is out.
	se.accepted = true
	return nil
}

func (se *session) Reset() {
	if se.accepted && se.s.opts.DropAfterAccept {
		_ = se.conn.Conn().Close()
	}
	se.from, se.to, se.accepted = "", nil, false
}

func (se *session) Logout() error { return nil }
