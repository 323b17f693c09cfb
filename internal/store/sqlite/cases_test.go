package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func newCase(fixed *time.Time, customers ...string) ledger.Case {
	c := ledger.Case{NewIncident: &ledger.NewIncident{Title: "Login outage", What: "Logins failed.",
		StartedAt: t0.Add(-5 * time.Hour), ReportedAt: t0.Add(-4 * time.Hour), CreatedAt: t0}}
	for _, id := range customers {
		c.Resolutions = append(c.Resolutions, ledger.Resolution{Customer: id, At: t0, FixedAt: fixed,
			Apology: &ledger.NewApology{Body: "Subject: Fixed\n\nSorry, " + id + ".", RecordedAt: t0, Status: ledger.ApologyQueued},
			Credits: []ledger.NewCredit{{AmountMinor: 2500, Currency: "USD", Reason: "outage", IssuedAt: t0}}})
	}
	return c
}

// TestApologyDeliveriesAreAppendOnly: the table refuses edits typed in
// SQL; the contract suite tests deliveries themselves.
func TestApologyDeliveriesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	res, err := s.RecordCase(ctx, newCase(nil, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDelivery(ctx, ledger.Delivery{Apology: res.Resolutions[0].Apology.ID, Via: "smtp",
		Status: ledger.DeliveryFailed, Error: "connection refused", At: t0}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE apology_deliveries SET status = 'sent'`, `DELETE FROM apology_deliveries`} {
		if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
