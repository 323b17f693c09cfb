package stripe_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/sqlite"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/internal/stripe/stripetest"
)

// recorder notes the status of every answer.
type recorder struct {
	mu  sync.Mutex
	log []string
	bad []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	line := req.Method + " " + req.URL.RequestURI()
	if err != nil {
		r.bad = append(r.bad, line+": "+err.Error())
		return resp, err
	}
	line += fmt.Sprintf(" → %d", resp.StatusCode)
	r.log = append(r.log, line)
	if resp.StatusCode >= 400 {
		r.bad = append(r.bad, line)
	}
	return resp, nil
}

// TestStripeMockAcceptsEveryRequest runs every command's requests against
// stripe-mock, which validates them against Stripe's OpenAPI spec: each
// must be answered 2xx.
func TestStripeMockAcceptsEveryRequest(t *testing.T) {
	ctx := context.Background()
	m, err := stripetest.StartMock(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	rec := &recorder{}
	api, err := stripe.NewClient(stripe.Config{APIKey: "sk_test_123", APIBase: m.URL, Transport: rec, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	s := &stripe.Sync{Ledger: st, API: api, Now: func() time.Time { return now }}

	imp, err := s.ImportCustomers(ctx, false)
	if err != nil {
		t.Fatalf("customers import: %v", err)
	}
	if len(imp.Customers) == 0 {
		t.Fatal("stripe-mock listed no customer")
	}
	cust := imp.Customers[0].ID
	exp := now.AddDate(0, 1, 0)
	for _, amt := range []int64{2500, 1000} {
		if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: cust, AmountMinor: amt, Currency: "USD",
			Reason: "outage", Note: "Dashboard down", IssuedAt: now, ExpiresAt: &exp}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Push(ctx, "", false)
	if err != nil || len(res.Pushes) != 2 {
		t.Fatalf("push = %+v, %v", res, err)
	}
	if _, err := st.VoidCredit(ctx, 1, "issued twice", now); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Push(ctx, cust, false); err != nil || len(res.Pushes) != 1 || res.Pushes[0].Kind != stripe.KindReversal {
		t.Fatalf("reversal push = %+v, %v", res, err)
	}
	if _, err := s.Pull(ctx, "", time.Time{}); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if _, err := s.Pull(ctx, cust, now.Add(-time.Hour)); err != nil {
		t.Fatalf("pull --since: %v", err)
	}
	if _, err := s.Status(ctx, ""); err != nil {
		t.Fatalf("status: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bad) > 0 {
		t.Errorf("stripe-mock refused:\n%v", rec.bad)
	}
	if len(rec.log) < 7 {
		t.Errorf("only %d requests were made: %v", len(rec.log), rec.log)
	}
	t.Logf("requests:\n%v", rec.log)
}
