package apologymail

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/delivery"
	"github.com/makegood/makegood/internal/ledger"
	gomail "github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func TestSplitSubject(t *testing.T) {
	for _, tt := range []struct{ text, subject, body string }{
		{"Subject: Fixed: Login outage\n\nHi Ana,\nSorry.", "Fixed: Login outage", "Hi Ana,\nSorry."},
		{"Hi Ana,\nSorry.", "About: Login outage", "Hi Ana,\nSorry."},
		{"Subject:   spaced  \nbody", "spaced", "body"},
	} {
		s, b := SplitSubject(tt.text, "Login outage")
		if s != tt.subject || b != tt.body {
			t.Errorf("SplitSubject(%q) = %q, %q; want %q, %q", tt.text, s, b, tt.subject, tt.body)
		}
	}
}

// recorded opens a ledger with one apology recorded for ana.
func recorded(t *testing.T) (*sqlite.Ledger, ledger.Customer, ledger.Apology) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := ledger.Customer{ID: "ana", Name: "Ana Souza", Email: "ana@example.com", Currency: "USD", Period: "month", CreatedAt: t0, UpdatedAt: t0}
	res, err := st.RecordCase(ctx, ledger.Case{NewCustomers: []ledger.Customer{c},
		NewIncident: &ledger.NewIncident{Title: "Login outage", What: "Logins failed.", StartedAt: t0, ReportedAt: t0, CreatedAt: t0},
		Resolutions: []ledger.Resolution{{Customer: "ana", At: t0, Apology: &ledger.NewApology{
			Body: "Subject: Fixed: Login outage\n\nHi Ana,\n\nLogins failed. It is fixed.", RecordedAt: t0, Status: ledger.ApologyQueued}}}})
	if err != nil {
		t.Fatal(err)
	}
	return st, c, *res.Resolutions[0].Apology
}

var from = gomail.Config{FromName: "Sam", FromAddr: "sam@shop.example"}

func courier(st ledger.Store, mc gomail.Config, via string) *delivery.Courier {
	return NewCourier(st, mc, via, func() time.Time { return t0 }, false)
}

func TestDeliverToTheOutbox(t *testing.T) {
	st, c, a := recorded(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	mc := from
	mc.Outbox = dir
	res, err := Deliver(context.Background(), st, courier(st, mc, ledger.ViaOutbox), gomail.Outbox{Dir: dir, Now: func() time.Time { return t0 }},
		mc, c, a, "Login outage")
	if err != nil || !res.Sent() || res.Delivery == nil || res.Delivery.Status != ledger.DeliveryQueued || res.MessageID == "" {
		t.Fatalf("delivery %+v, %v", res, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Subject") != "Fixed: Login outage" || m.Header.Get("X-Makegood-Apology") != "1" ||
		!strings.Contains(m.Header.Get("To"), "ana@example.com") {
		t.Fatalf("headers %v", m.Header)
	}
	got, err := st.Apology(context.Background(), a.ID)
	if err != nil || got.Status != ledger.ApologyInOutbox {
		t.Fatalf("apology %+v, %v", got, err)
	}
	// Not twice: the second run is refused before anything is written.
	res, err = Deliver(context.Background(), st, courier(st, mc, ledger.ViaOutbox), gomail.Outbox{Dir: dir}, mc, c, got, "Login outage")
	if err != nil || res.Refused == nil || !strings.Contains(res.Refused.Error(), "in the outbox already") {
		t.Fatalf("second delivery %+v, %v", res, err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != 1 {
		t.Fatalf("outbox %v after a second delivery", files)
	}
}

// A server that is not there: the attempt is recorded as failed, with the
// reason, and the apology's status says so.
func TestDeliverFailureIsRecorded(t *testing.T) {
	st, c, a := recorded(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	smtp := gomail.SMTP{Config: gomail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", Insecure: true, Timeout: 5 * time.Second}}
	res, err := Deliver(context.Background(), st, courier(st, from, ledger.ViaSMTP), smtp, from, c, a, "Login outage")
	if err != nil || res.Outcome != ledger.OutcomeFailed || res.Err == nil || res.Delivery == nil ||
		res.Delivery.Status != ledger.DeliveryFailed || res.Delivery.Error == "" || res.Delivery.MessageID != "" {
		t.Fatalf("delivery %+v, %v", res, err)
	}
	got, _ := st.Apology(context.Background(), a.ID)
	ds, _ := st.Deliveries(context.Background(), a.ID)
	if got.Status != ledger.ApologyFailed || len(ds) != 1 || ds[0].Via != "smtp" {
		t.Fatalf("apology %+v deliveries %+v", got, ds)
	}
}

// The address rule is the customer's: an id that is an email address,
// with no email, is where the apology goes; no address at all is refused
// before anything is claimed.
func TestDeliverAddress(t *testing.T) {
	st, _, a := recorded(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	mc := from
	mc.Outbox = dir
	out := gomail.Outbox{Dir: dir}
	_, err := Deliver(context.Background(), st, courier(st, mc, ledger.ViaOutbox), out, mc, ledger.Customer{ID: "ana"}, a, "Login outage")
	var fe *ledger.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `customer "ana" has no email address`) {
		t.Fatalf("err = %v, want the no-address error", err)
	}
	if cs, _ := st.Claims(context.Background(), ledger.ClaimFilter{}); len(cs) != 0 {
		t.Fatalf("claims %+v for a customer with no address", cs)
	}
	res, err := Deliver(context.Background(), st, courier(st, mc, ledger.ViaOutbox), out, mc, ledger.Customer{ID: "ana@example.org"}, a, "Login outage")
	if err != nil || !res.Sent() {
		t.Fatalf("%+v, %v", res, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-ana-example-org-*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox %v, want one file to ana@example.org", files)
	}
}
