package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

var claimer = ledger.Claimer{Host: "h", PID: 7, Run: "r"}

func gone(ledger.Claimer) (bool, bool)    { return false, true }
func running(ledger.Claimer) (bool, bool) { return true, true }

func TestClaimOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	m := ledger.ThanksMessage("a", "welcome")
	n := ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "N1", At: t0, By: claimer, Alive: running}
	c, err := s.Claim(ctx, n)
	if err != nil || c.ID == 0 || c.Attempt != 1 {
		t.Fatalf("claim %+v, %v", c, err)
	}
	// A second claim while the first runs: refused, as a conflict.
	n.Nonce = "N2"
	_, err = s.Claim(ctx, n)
	var refused *ledger.RefusedError
	if !errors.As(err, &refused) || refused.State.State != ledger.StateSending || !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second claim: %v", err)
	}
	// Its claimer gone: unknown; only a resend or a mark may claim it.
	n.Alive = gone
	if _, err = s.Claim(ctx, n); !errors.As(err, &refused) || refused.State.State != ledger.StateUnknown {
		t.Fatalf("claim after the claimer died: %v", err)
	}
	n.Mark = true
	c2, err := s.Claim(ctx, n)
	if err != nil || c2.Attempt != 2 {
		t.Fatalf("mark claim %+v, %v", c2, err)
	}
	// The note records the mark's outcome; the message is sent.
	if _, err := s.RecordThankYou(ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "welcome", Key: "welcome", Via: "outbox",
		Status: ledger.NoteSent, At: t0, Claim: c2.ID, ByHand: true}); err != nil {
		t.Fatal(err)
	}
	st, err := s.MessageState(ctx, m, t0, gone)
	if err != nil || st.State != ledger.StateSent || !st.ByHand || st.Last.ID != c2.ID {
		t.Fatalf("state %+v, %v", st, err)
	}
	n.Mark, n.Nonce = false, "N3"
	n.ResendUnknown = true
	if _, err = s.Claim(ctx, n); !errors.As(err, &refused) || refused.State.State != ledger.StateSent {
		t.Fatalf("claim of a sent note: %v", err)
	}
	// One outcome per claim.
	if err := s.RecordOutcome(ctx, c2.ID, ledger.Outcome{Status: ledger.OutcomeFailed, Error: "x", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second outcome: %v", err)
	}
	// The database itself refuses a second claim of an attempt.
	_, err = s.DB().Exec(`INSERT INTO delivery_claims (kind, key, customer_id, attempt, via, nonce, claimed_at, host, pid, run)
		VALUES ('thanks', 'welcome', 'a', 2, 'outbox', 'N9', 'x', 'h', 1, 'r')`)
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("duplicate attempt: %v", err)
	}
	if _, err := s.Claim(ctx, ledger.NewClaim{Message: ledger.ThanksMessage("ghost", "welcome"), Via: "outbox", Nonce: "N5",
		At: t0, By: claimer}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("claim for an unknown customer: %v", err)
	}
	// A note sent before claims existed is sent all the same.
	if _, err := s.RecordThankYou(ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "anniversary", Key: "anniversary:1",
		Via: "smtp", Status: ledger.NoteSent, At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, ledger.NewClaim{Message: ledger.ThanksMessage("a", "anniversary:1"), Via: "outbox", Nonce: "N6",
		At: t0, By: claimer}); !errors.As(err, &refused) || refused.State.State != ledger.StateSent {
		t.Fatalf("claim of a note sent without a claim: %v", err)
	}
}

// An apology's status is worked out from the status it was recorded with,
// deliveries without claims, and its latest claim.
func TestApologyStatusFromClaims(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	res, err := s.RecordCase(ctx, newCase(nil, "a"))
	if err != nil {
		t.Fatal(err)
	}
	a := *res.Resolutions[0].Apology
	status := func() string {
		t.Helper()
		got, err := s.Apology(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.Apologies(ctx, ledger.ApologyFilter{Customer: "a"})
		if err != nil || len(list) != 1 || list[0].Status != got.Status {
			t.Fatalf("Apologies %+v, %v; Apology says %s", list, err, got.Status)
		}
		return got.Status
	}
	if st := status(); st != ledger.ApologyQueued {
		t.Fatalf("recorded: %s", st)
	}
	m := ledger.ApologyMessage(a)
	c, err := s.Claim(ctx, ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "A1", At: t0, By: claimer})
	if err != nil {
		t.Fatal(err)
	}
	if st := status(); st != ledger.ApologyUnknown {
		t.Fatalf("claimed: %s (the store cannot check the claimer)", st)
	}
	if err := s.RecordDelivery(ctx, ledger.Delivery{Apology: a.ID, Via: "smtp", Status: ledger.DeliveryFailed, Error: "550", At: t0, Claim: c.ID}); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != ledger.ApologyFailed {
		t.Fatalf("failed: %s", st)
	}
	c, err = s.Claim(ctx, ledger.NewClaim{Message: m, Via: ledger.ViaOutbox, Nonce: "A2", At: t0, By: claimer})
	if err != nil || c.Attempt != 2 {
		t.Fatalf("retry claim %+v, %v", c, err)
	}
	if err := s.RecordDelivery(ctx, ledger.Delivery{Apology: a.ID, Via: "outbox", Status: ledger.DeliveryQueued, MessageID: "<m>", At: t0, Claim: c.ID}); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != ledger.ApologyInOutbox {
		t.Fatalf("written to the outbox: %s", st)
	}
	cs, err := s.Claims(ctx, ledger.ClaimFilter{Kind: ledger.MessageApology, Unrecorded: true})
	if err != nil || len(cs) != 0 {
		t.Fatalf("unrecorded claims %+v, %v", cs, err)
	}
	ds, err := s.Deliveries(ctx, a.ID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
}

// A claimer that records its outcome and exits between another run's read
// of the claim and its look at the process is not taken for one that died
// with the outcome unknown: the state is read again once it is gone.
func TestClaimerThatFinishedBetweenReadAndCheck(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	m := ledger.ThanksMessage("a", "welcome")
	c, err := s.Claim(ctx, ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "N1", At: t0, By: claimer, Alive: running})
	if err != nil {
		t.Fatal(err)
	}
	finished := false
	finishThenGone := func(ledger.Claimer) (bool, bool) {
		if !finished {
			finished = true
			if err := s.RecordOutcome(ctx, c.ID, ledger.Outcome{Status: ledger.OutcomeFailed, Error: "refused", At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		return false, true
	}
	st, err := s.MessageState(ctx, m, t0, finishThenGone)
	if err != nil || st.State != ledger.StateFailed {
		t.Fatalf("state %+v, %v; want failed, as the claimer recorded", st, err)
	}
}
