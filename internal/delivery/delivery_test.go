package delivery

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

var (
	me   = ledger.Claimer{Host: "here", PID: 100, Run: "me"}
	dead = ledger.Claimer{Host: "here", PID: 200, Run: "dead"}
	busy = ledger.Claimer{Host: "here", PID: 300, Run: "busy"}
)

// alive knows three processes: this one, one that died and one still
// running.
func alive(c ledger.Claimer) (bool, bool) {
	switch c {
	case me, busy:
		return true, true
	case dead:
		return false, true
	}
	return false, false
}

type fixture struct {
	st     *sqlite.Ledger
	outbox mail.Outbox
	msg    ledger.MessageRef
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddCustomer(context.Background(), ledger.Customer{ID: "ana", Email: "ana@example.com", Period: "month",
		CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, outbox: mail.Outbox{Dir: filepath.Join(dir, "outbox"), Now: func() time.Time { return t0 }},
		msg: ledger.ThanksMessage("ana", "milestone:launch")}
}

func (f *fixture) courier(by ledger.Claimer, via string) *Courier {
	return &Courier{Store: f.st, Via: via, Outbox: f.outbox, By: by, Alive: alive, Now: func() time.Time { return t0 }}
}

// job writes to the outbox and records a note; sends counts attempts.
func (f *fixture) job(sends *int) Job {
	return Job{
		Message: f.msg,
		Send: func(ctx context.Context, c ledger.Claim) (string, error) {
			*sends++
			return f.outbox.Send(ctx, f.message(c.Nonce))
		},
		Record: func(ctx context.Context, c ledger.Claim, o ledger.Outcome) error {
			_, err := f.st.RecordThankYou(ctx, ledger.NewThankYouNote{Customer: "ana", Occasion: "milestone", Key: "milestone:launch",
				Via: c.Via, Status: o.Status, MessageID: o.MessageID, Error: o.Error, At: o.At, Claim: c.ID, ByHand: o.ByHand})
			return err
		},
	}
}

func (f *fixture) message(nonce string) mail.Message {
	return mail.Message{FromAddr: "zoe@makegood.example", ToAddr: "ana@example.com", Subject: "Launch", Body: "Thanks.", Nonce: nonce}
}

func (f *fixture) files(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(f.outbox.Dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func (f *fixture) notes(t *testing.T) []ledger.ThankYouNote {
	t.Helper()
	ns, err := f.st.ThankYouNotes(context.Background(), ledger.ThanksFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestDeliverOnce(t *testing.T) {
	f := newFixture(t)
	sends := 0
	res, err := f.courier(me, ledger.ViaOutbox).Deliver(context.Background(), f.job(&sends))
	if err != nil || !res.Sent() || res.Claim.Attempt != 1 || !strings.Contains(res.MessageID, res.Claim.Nonce) {
		t.Fatalf("first: %+v, %v", res, err)
	}
	res, err = f.courier(me, ledger.ViaOutbox).Deliver(context.Background(), f.job(&sends))
	if err != nil || res.Refused == nil || res.Refused.State.State != ledger.StateSent {
		t.Fatalf("second: %+v, %v", res, err)
	}
	if sends != 1 || len(f.files(t)) != 1 || len(f.notes(t)) != 1 {
		t.Fatalf("%d sends, %d files, %d notes", sends, len(f.files(t)), len(f.notes(t)))
	}
}

// A claim by a run still going is not taken over; one by a run that died
// by the outbox is settled from the outbox.
func TestClaimsLeftByOtherRuns(t *testing.T) {
	ctx := context.Background()
	claim := func(f *fixture, by ledger.Claimer, via string) ledger.Claim {
		t.Helper()
		c, err := f.st.Claim(ctx, ledger.NewClaim{Message: f.msg, Via: via, Nonce: mail.NewNonce(), At: t0, By: by, Alive: alive})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("still sending", func(t *testing.T) {
		f := newFixture(t)
		claim(f, busy, ledger.ViaSMTP)
		sends := 0
		res, err := f.courier(me, ledger.ViaOutbox).Deliver(ctx, f.job(&sends))
		if err != nil || res.Refused == nil || res.Refused.State.State != ledger.StateSending || sends != 0 {
			t.Fatalf("%+v, %v, %d sends", res, err, sends)
		}
		if !strings.Contains(res.Refused.Error(), "another run is sending it (pid 300 on here") {
			t.Errorf("refusal %q", res.Refused)
		}
	})

	t.Run("died by SMTP: unknown, resent only when told", func(t *testing.T) {
		f := newFixture(t)
		claim(f, dead, ledger.ViaSMTP)
		sends := 0
		res, err := f.courier(me, ledger.ViaOutbox).Deliver(ctx, f.job(&sends))
		if err != nil || res.Refused == nil || res.Refused.State.State != ledger.StateUnknown || sends != 0 {
			t.Fatalf("%+v, %v", res, err)
		}
		co := f.courier(me, ledger.ViaOutbox)
		co.ResendUnknown = true
		res, err = co.Deliver(ctx, f.job(&sends))
		if err != nil || !res.Sent() || res.Claim.Attempt != 2 || sends != 1 {
			t.Fatalf("resend: %+v, %v", res, err)
		}
	})

	t.Run("died after writing the outbox file: recorded, not written again", func(t *testing.T) {
		f := newFixture(t)
		c := claim(f, dead, ledger.ViaOutbox)
		id, err := f.outbox.Send(ctx, f.message(c.Nonce))
		if err != nil {
			t.Fatal(err)
		}
		sends := 0
		co := f.courier(me, ledger.ViaSMTP) // whatever this run's way, the outbox says what happened
		co.ResendUnknown = true             // and even when told to resend unknowns
		res, err := co.Deliver(ctx, f.job(&sends))
		if err != nil || !res.Sent() || !res.Recovered || res.MessageID != id || res.Claim.ID != c.ID || sends != 0 {
			t.Fatalf("%+v, %v, %d sends", res, err, sends)
		}
		ns := f.notes(t)
		if len(f.files(t)) != 1 || len(ns) != 1 || ns[0].Via != ledger.ViaOutbox || ns[0].MessageID != id {
			t.Fatalf("files %v, notes %+v", f.files(t), ns)
		}
	})

	t.Run("died before the file was whole: failed, then sent once", func(t *testing.T) {
		f := newFixture(t)
		c := claim(f, dead, ledger.ViaOutbox)
		if err := os.MkdirAll(f.outbox.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		half := filepath.Join(f.outbox.Dir, ".unfinished-"+c.Nonce+"-1")
		if err := os.WriteFile(half, []byte("From: half"), 0o600); err != nil {
			t.Fatal(err)
		}
		sends := 0
		res, err := f.courier(me, ledger.ViaOutbox).Deliver(ctx, f.job(&sends))
		if err != nil || !res.Sent() || res.Recovered || res.Claim.Attempt != 2 || sends != 1 {
			t.Fatalf("%+v, %v", res, err)
		}
		if _, err := os.Stat(half); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the unfinished file is left: %v", err)
		}
		cs, _ := f.st.Claims(ctx, ledger.ClaimFilter{})
		if len(cs) != 2 || cs[0].Outcome == nil || cs[0].Outcome.Status != ledger.OutcomeFailed ||
			!strings.Contains(cs[0].Outcome.Error, "stopped before writing it to the outbox") {
			t.Fatalf("claims %+v", cs)
		}
		if len(f.files(t)) != 1 {
			t.Fatalf("files %v", f.files(t))
		}
	})
}

// A failed attempt is recorded as failed and the next one may go; an
// unknown one is recorded without a note.
func TestFailedAndUnknownOutcomes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	j := f.job(new(int))
	j.Send = func(context.Context, ledger.Claim) (string, error) { return "", errors.New("550 no such user") }
	res, err := f.courier(me, ledger.ViaSMTP).Deliver(ctx, j)
	if err != nil || res.Outcome != ledger.OutcomeFailed || res.Err == nil {
		t.Fatalf("%+v, %v", res, err)
	}
	j.Send = func(context.Context, ledger.Claim) (string, error) {
		return "", errors.Join(errors.New("connection reset"), mail.ErrOutcomeUnknown)
	}
	res, err = f.courier(me, ledger.ViaSMTP).Deliver(ctx, j)
	if err != nil || res.Outcome != ledger.OutcomeUnknown || res.Claim.Attempt != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if ns := f.notes(t); len(ns) != 1 || ns[0].Status != ledger.NoteFailed {
		t.Fatalf("notes %+v: an unknown outcome has no note", ns)
	}
	st, err := f.st.MessageState(ctx, f.msg, t0, alive)
	if err != nil || st.State != ledger.StateUnknown || st.Last.Outcome == nil || !strings.Contains(st.Last.Outcome.Error, "connection reset") {
		t.Fatalf("state %+v, %v", st, err)
	}
	// Marked by hand: a new attempt, sent, by hand.
	res, err = f.courier(me, ledger.ViaSMTP).Mark(ctx, f.job(new(int)))
	if err != nil || !res.Sent() || res.Claim.Attempt != 3 {
		t.Fatalf("mark: %+v, %v", res, err)
	}
	ns := f.notes(t)
	if len(ns) != 2 || ns[0].Status != ledger.NoteSent {
		t.Fatalf("notes %+v", ns)
	}
	if st, _ := f.st.MessageState(ctx, f.msg, t0, alive); st.State != ledger.StateSent || !st.ByHand {
		t.Fatalf("state %+v", st)
	}
}
