package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	me := Claimer{Host: "here", PID: 10, Run: "me"}
	other := Claimer{Host: "here", PID: 20, Run: "other"}
	far := Claimer{Host: "there", PID: 30, Run: "far"}
	alive := func(c Claimer) (bool, bool) {
		switch c {
		case me:
			return true, true
		case other:
			return false, true // gone
		}
		return false, false // another host: cannot tell
	}
	claim := func(by Claimer, age time.Duration, o *Outcome) *Claim {
		return &Claim{ID: 1, Message: ThanksMessage("ana", "welcome"), Attempt: 2, Via: ViaSMTP,
			ClaimedAt: now.Add(-age), By: by, Outcome: o}
	}
	for _, tc := range []struct {
		name        string
		prior       MessageState
		last        *Claim
		alive       Liveness
		want        string
		claimerGone bool
	}{
		{name: "nothing recorded", want: StateUnsent},
		{name: "prior sent note, no claim", prior: MessageState{State: StateSent, Via: ViaOutbox}, want: StateSent},
		{name: "prior failed note, no claim", prior: MessageState{State: StateFailed}, want: StateFailed},
		{name: "claim sent", prior: MessageState{State: StateFailed}, last: claim(me, 0, &Outcome{Status: OutcomeSent}), alive: alive, want: StateSent},
		{name: "claim failed", last: claim(me, 0, &Outcome{Status: OutcomeFailed}), alive: alive, want: StateFailed},
		{name: "claim recorded unknown", last: claim(me, 0, &Outcome{Status: OutcomeUnknown}), alive: alive, want: StateUnknown},
		{name: "open claim, claimer running", last: claim(me, time.Second, nil), alive: alive, want: StateSending},
		{name: "open claim, claimer running but past the lease", last: claim(me, ClaimLease, nil), alive: alive, want: StateUnknown},
		{name: "open claim, claimer gone", last: claim(other, time.Second, nil), alive: alive, want: StateUnknown, claimerGone: true},
		{name: "open claim, other host, recent", last: claim(far, ClaimLease-time.Second, nil), alive: alive, want: StateSending},
		{name: "open claim, other host, past the lease", last: claim(far, ClaimLease, nil), alive: alive, want: StateUnknown},
		{name: "open claim, no way to check", last: claim(me, 0, nil), want: StateUnknown},
	} {
		s := StateOf(tc.prior, tc.last, now, tc.alive)
		if s.State != tc.want || s.ClaimerGone != tc.claimerGone {
			t.Errorf("%s: state %s (claimer gone %t), want %s (%t)", tc.name, s.State, s.ClaimerGone, tc.want, tc.claimerGone)
		}
	}
}

func TestMaySendAndMark(t *testing.T) {
	by := Claimer{Host: "h", PID: 1}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	last := &Claim{Attempt: 1, Via: ViaSMTP, By: by, ClaimedAt: at}
	for _, tc := range []struct {
		name               string
		s                  MessageState
		send, resend, mark bool
		sendMsg            string
	}{
		{name: "unsent", s: MessageState{State: StateUnsent}, send: true, resend: true, mark: true},
		{name: "failed", s: MessageState{State: StateFailed, Last: last}, send: true, resend: true, mark: true},
		{name: "unknown", s: MessageState{State: StateUnknown, Last: last, ClaimerGone: true}, resend: true, mark: true,
			sendMsg: "unknown outcome (attempt 1 by smtp at 2026-11-24T10:00:00Z: the run that claimed it (pid 1 on h) stopped before recording how it went); it may have reached them, so it is not sent again unless you say so (--resend-unknown)"},
		{name: "unknown, by the outbox, claimer gone: look there first", s: MessageState{State: StateUnknown, Last: &Claim{Attempt: 1,
			Via: ViaOutbox, By: by, ClaimedAt: at}, ClaimerGone: true}, sendMsg: "stopped while writing it to the outbox; look there"},
		{name: "unknown, by the outbox, past the lease", s: MessageState{State: StateUnknown, Last: &Claim{Attempt: 1,
			Via: ViaOutbox, By: by, ClaimedAt: at}}, resend: true, mark: true, sendMsg: "never recorded how it went"},
		{name: "sending", s: MessageState{State: StateSending, Last: last}, sendMsg: "another run is sending it (pid 1 on h, since 2026-11-24T10:00:00Z)"},
		{name: "sent", s: MessageState{Kind: MessageThanks, State: StateSent, Via: ViaOutbox}, sendMsg: "it was sent already"},
		{name: "apology in the outbox", s: MessageState{Kind: MessageApology, State: StateSent, Via: ViaOutbox}, mark: true,
			sendMsg: "it is in the outbox already"},
		{name: "apology marked sent", s: MessageState{Kind: MessageApology, State: StateSent, Via: ViaOutbox, ByHand: true},
			sendMsg: "sent already"},
	} {
		check := func(what string, err error, want bool, msg string) {
			t.Helper()
			if (err == nil) != want {
				t.Errorf("%s: %s: err = %v, want allowed %t", tc.name, what, err, want)
			}
			if err != nil && !errors.Is(err, ErrConflict) {
				t.Errorf("%s: %s: %v is not a conflict", tc.name, what, err)
			}
			if err != nil && msg != "" && !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: %s: %q lacks %q", tc.name, what, err, msg)
			}
		}
		check("send", tc.s.MaySend(false), tc.send, tc.sendMsg)
		check("send --resend-unknown", tc.s.MaySend(true), tc.resend, "")
		check("mark", tc.s.MayMark(), tc.mark, "")
	}
}

func TestApologyStatus(t *testing.T) {
	for _, tc := range []struct {
		recorded, delivery, via string
		last                    *Claim
		want                    string
	}{
		{recorded: ApologyQueued, want: ApologyQueued},
		{recorded: ApologySent, want: ApologySent},
		{recorded: ApologyFailed, want: ApologyFailed},
		{recorded: ApologyQueued, delivery: DeliveryQueued, via: ViaOutbox, want: ApologyInOutbox},
		{recorded: ApologyQueued, delivery: DeliverySent, via: ViaSMTP, want: ApologySent},
		{recorded: ApologyQueued, delivery: DeliveryFailed, via: ViaSMTP, want: ApologyFailed},
		{recorded: ApologyQueued, last: &Claim{Message: MessageRef{Kind: MessageApology}, Via: ViaSMTP}, want: ApologyUnknown},
		{recorded: ApologyQueued, delivery: DeliveryFailed, last: &Claim{Message: MessageRef{Kind: MessageApology}, Via: ViaOutbox,
			Outcome: &Outcome{Status: OutcomeSent}}, want: ApologyInOutbox},
		{recorded: ApologyQueued, last: &Claim{Message: MessageRef{Kind: MessageApology}, Via: ViaOutbox,
			Outcome: &Outcome{Status: OutcomeSent, ByHand: true}}, want: ApologySent},
	} {
		got := ApologyStatus(StateOf(ApologyPrior(tc.recorded, tc.delivery, tc.via), tc.last, time.Time{}, nil))
		if got != tc.want {
			t.Errorf("recorded %s, delivery %s/%s, claim %+v: %s, want %s", tc.recorded, tc.delivery, tc.via, tc.last, got, tc.want)
		}
	}
}

func TestMailAddress(t *testing.T) {
	for _, tc := range []struct {
		c    Customer
		want string
	}{
		{Customer{ID: "cus_1", Email: "ana@example.com"}, "ana@example.com"},
		{Customer{ID: "ana@example.com"}, "ana@example.com"},
		{Customer{ID: "bo@example.com", Email: "bo@work.example"}, "bo@work.example"},
		{Customer{ID: "cus_1"}, ""},
		{Customer{ID: "Ana <ana@example.com>"}, ""},
		{Customer{ID: "ana"}, ""},
	} {
		got, err := tc.c.MailAddress()
		if got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
		if tc.want == "" {
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "customer edit "+tc.c.ID+" --email") {
				t.Errorf("%+v: err = %v, want a field error naming customer edit", tc.c, err)
			}
		}
	}
}
