package ledgertest

import (
	"errors"

	"github.com/makegood/makegood/internal/ledger"
)

func claimTests() []contractTest {
	return []contractTest{
		{"ClaimOnce", testClaimOnce},
		{"ApologyStatusFromClaims", testApologyStatusFromClaims},
		{"ClaimerThatFinishedBetweenReadAndCheck", testClaimerThatFinishedBetweenReadAndCheck},
		{"ClaimsFilter", testClaimsFilter},
	}
}

var claimer = ledger.Claimer{Host: "h", PID: 7, Run: "r"}

func gone(ledger.Claimer) (bool, bool)    { return false, true }
func running(ledger.Claimer) (bool, bool) { return true, true }

func testClaimOnce(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	m := ledger.ThanksMessage("a", "welcome")
	n := ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "N1", At: t0, By: claimer, Alive: running}
	c, err := e.st.Claim(e.ctx, n)
	if err != nil || c.ID == 0 || c.Attempt != 1 || c.Nonce != "N1" || c.By != claimer || !c.ClaimedAt.Equal(t0) || c.Message != m {
		t.Fatalf("claim %+v, %v", c, err)
	}
	// A second claim while the first runs: refused, as a conflict.
	n.Nonce = "N2"
	_, err = e.st.Claim(e.ctx, n)
	var refused *ledger.RefusedError
	if !errors.As(err, &refused) || refused.State.State != ledger.StateSending || !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second claim: %v", err)
	}
	// Its claimer gone: unknown; only a resend or a mark may claim it.
	n.Alive = gone
	if _, err = e.st.Claim(e.ctx, n); !errors.As(err, &refused) || refused.State.State != ledger.StateUnknown {
		t.Fatalf("claim after the claimer died: %v", err)
	}
	n.Mark = true
	c2, err := e.st.Claim(e.ctx, n)
	if err != nil || c2.Attempt != 2 {
		t.Fatalf("mark claim %+v, %v", c2, err)
	}
	// The note records the mark's outcome; the message is sent.
	if _, err := e.st.RecordThankYou(e.ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "welcome", Key: "welcome", Via: "outbox",
		Status: ledger.NoteSent, At: t0, Claim: c2.ID, ByHand: true}); err != nil {
		t.Fatal(err)
	}
	st, err := e.st.MessageState(e.ctx, m, t0, gone)
	if err != nil || st.State != ledger.StateSent || !st.ByHand || st.Last.ID != c2.ID {
		t.Fatalf("state %+v, %v", st, err)
	}
	n.Mark, n.Nonce = false, "N3"
	n.ResendUnknown = true
	if _, err = e.st.Claim(e.ctx, n); !errors.As(err, &refused) || refused.State.State != ledger.StateSent {
		t.Fatalf("claim of a sent note: %v", err)
	}
	// One outcome per claim.
	if err := e.st.RecordOutcome(e.ctx, c2.ID, ledger.Outcome{Status: ledger.OutcomeFailed, Error: "x", At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second outcome: %v", err)
	}
	if err := e.st.RecordOutcome(e.ctx, 999, ledger.Outcome{Status: ledger.OutcomeFailed, Error: "x", At: t0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("outcome of an unknown claim: %v", err)
	}
	if _, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: ledger.ThanksMessage("ghost", "welcome"), Via: "outbox", Nonce: "N5",
		At: t0, By: claimer}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("claim for an unknown customer: %v", err)
	}
	// A note sent before claims existed is sent all the same.
	if _, err := e.st.RecordThankYou(e.ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "anniversary", Key: "anniversary:1",
		Via: "smtp", Status: ledger.NoteSent, At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: ledger.ThanksMessage("a", "anniversary:1"), Via: "outbox", Nonce: "N6",
		At: t0, By: claimer}); !errors.As(err, &refused) || refused.State.State != ledger.StateSent {
		t.Fatalf("claim of a note sent without a claim: %v", err)
	}
	// An unknown outcome recorded: the message reads unknown, and a resend
	// may claim it.
	m3 := ledger.ThanksMessage("a", "milestone:launch")
	c3, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m3, Via: ledger.ViaSMTP, Nonce: "N7", At: t0, By: claimer})
	e.must(err)
	e.must(e.st.RecordOutcome(e.ctx, c3.ID, ledger.Outcome{Status: ledger.OutcomeUnknown, Error: "the connection dropped", At: t0}))
	if st, err := e.st.MessageState(e.ctx, m3, t0, running); err != nil || st.State != ledger.StateUnknown {
		t.Fatalf("after an unknown outcome: %+v %v", st, err)
	}
	if _, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m3, Via: ledger.ViaSMTP, Nonce: "N8", At: t0, By: claimer}); !errors.As(err, &refused) {
		t.Fatalf("a claim of an unknown one without a resend: %v", err)
	}
	if c4, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m3, Via: ledger.ViaSMTP, Nonce: "N9", At: t0, By: claimer, ResendUnknown: true}); err != nil || c4.Attempt != 2 {
		t.Fatalf("resend: %+v %v", c4, err)
	}
}

// testApologyStatusFromClaims: an apology's status is worked out from the
// status it was recorded with, deliveries without claims, and its latest
// claim.
func testApologyStatusFromClaims(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	res, err := e.st.RecordCase(e.ctx, newCase(nil, "a"))
	e.must(err)
	a := *res.Resolutions[0].Apology
	status := func() string {
		t.Helper()
		got, err := e.st.Apology(e.ctx, a.ID)
		e.must(err)
		list, err := e.st.Apologies(e.ctx, ledger.ApologyFilter{Customer: "a"})
		if err != nil || len(list) != 1 || list[0].Status != got.Status {
			t.Fatalf("Apologies %+v, %v; Apology says %s", list, err, got.Status)
		}
		return got.Status
	}
	if st := status(); st != ledger.ApologyQueued {
		t.Fatalf("recorded: %s", st)
	}
	m := ledger.ApologyMessage(a)
	c, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "A1", At: t0, By: claimer})
	e.must(err)
	if st := status(); st != ledger.ApologyUnknown {
		t.Fatalf("claimed: %s (the store cannot check the claimer)", st)
	}
	if got, err := e.st.Apology(e.ctx, a.ID); err != nil || got.LastClaim == nil || got.LastClaim.ID != c.ID ||
		got.DeliveryState(t0, running).State != ledger.StateSending {
		t.Fatalf("a claim being sent: %+v %v", got, err)
	}
	e.must(e.st.RecordDelivery(e.ctx, ledger.Delivery{Apology: a.ID, Via: "smtp", Status: ledger.DeliveryFailed, Error: "550", At: t0, Claim: c.ID}))
	if st := status(); st != ledger.ApologyFailed {
		t.Fatalf("failed: %s", st)
	}
	c, err = e.st.Claim(e.ctx, ledger.NewClaim{Message: m, Via: ledger.ViaOutbox, Nonce: "A2", At: t0, By: claimer})
	if err != nil || c.Attempt != 2 {
		t.Fatalf("retry claim %+v, %v", c, err)
	}
	e.must(e.st.RecordDelivery(e.ctx, ledger.Delivery{Apology: a.ID, Via: "outbox", Status: ledger.DeliveryQueued, MessageID: "<m>", At: t0, Claim: c.ID}))
	if st := status(); st != ledger.ApologyInOutbox {
		t.Fatalf("written to the outbox: %s", st)
	}
	cs, err := e.st.Claims(e.ctx, ledger.ClaimFilter{Kind: ledger.MessageApology, Unrecorded: true})
	if err != nil || len(cs) != 0 {
		t.Fatalf("unrecorded claims %+v, %v", cs, err)
	}
	ds, err := e.st.Deliveries(e.ctx, a.ID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	// A delivery recorded with its claim is the claim's outcome: a second
	// outcome is refused.
	if err := e.st.RecordOutcome(e.ctx, c.ID, ledger.Outcome{Status: ledger.OutcomeFailed, At: t0}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("an outcome after the delivery: %v", err)
	}
}

// testClaimerThatFinishedBetweenReadAndCheck: a claimer that records its
// outcome and exits between another run's read of the claim and its look
// at the process is not taken for one that died with the outcome unknown:
// the state is read again once it is gone.
func testClaimerThatFinishedBetweenReadAndCheck(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	m := ledger.ThanksMessage("a", "welcome")
	c, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m, Via: ledger.ViaSMTP, Nonce: "N1", At: t0, By: claimer, Alive: running})
	e.must(err)
	finished := false
	finishThenGone := func(ledger.Claimer) (bool, bool) {
		if !finished {
			finished = true
			if err := e.st.RecordOutcome(e.ctx, c.ID, ledger.Outcome{Status: ledger.OutcomeFailed, Error: "refused", At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		return false, true
	}
	st, err := e.st.MessageState(e.ctx, m, t0, finishThenGone)
	if err != nil || st.State != ledger.StateFailed {
		t.Fatalf("state %+v, %v; want failed, as the claimer recorded", st, err)
	}
}

// testClaimsFilter: claims list oldest first, by kind, customer and key,
// and those whose outcome has no note or delivery beside it.
func testClaimsFilter(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	claim := func(m ledger.MessageRef, nonce string) ledger.Claim {
		t.Helper()
		c, err := e.st.Claim(e.ctx, ledger.NewClaim{Message: m, Via: ledger.ViaOutbox, Nonce: nonce, At: t0, By: claimer})
		e.must(err)
		return c
	}
	c1 := claim(ledger.ThanksMessage("a", "welcome"), "1")
	c2 := claim(ledger.ThanksMessage("b", "welcome"), "2")
	c3 := claim(ledger.ThanksMessage("a", "anniversary:1"), "3")
	_, err := e.st.RecordThankYou(e.ctx, ledger.NewThankYouNote{Customer: "a", Occasion: "welcome", Key: "welcome", Via: "outbox",
		Status: ledger.NoteSent, At: t0, Claim: c1.ID})
	e.must(err)
	e.must(e.st.RecordOutcome(e.ctx, c2.ID, ledger.Outcome{Status: ledger.OutcomeUnknown, Error: "stopped", At: t0}))
	ids := func(f ledger.ClaimFilter) []int64 {
		t.Helper()
		cs, err := e.st.Claims(e.ctx, f)
		e.must(err)
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tt := range []struct {
		f    ledger.ClaimFilter
		want []int64
	}{
		{ledger.ClaimFilter{}, []int64{c1.ID, c2.ID, c3.ID}},
		{ledger.ClaimFilter{Customer: "a"}, []int64{c1.ID, c3.ID}},
		{ledger.ClaimFilter{Kind: ledger.MessageThanks, Key: "welcome"}, []int64{c1.ID, c2.ID}},
		{ledger.ClaimFilter{Kind: ledger.MessageApology}, []int64{}},
		{ledger.ClaimFilter{Unrecorded: true}, []int64{c2.ID, c3.ID}},
	} {
		got := ids(tt.f)
		if len(got) != len(tt.want) {
			t.Errorf("%+v: %v, want %v", tt.f, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%+v: %v, want %v", tt.f, got, tt.want)
				break
			}
		}
	}
	cs, err := e.st.Claims(e.ctx, ledger.ClaimFilter{Customer: "b"})
	if err != nil || len(cs) != 1 || cs[0].Outcome == nil || cs[0].Outcome.Status != ledger.OutcomeUnknown || cs[0].Outcome.Error != "stopped" {
		t.Fatalf("outcome read back: %+v %v", cs, err)
	}
}
