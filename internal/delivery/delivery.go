// Package delivery sends each message to its customer at most once: it
// claims the message in the ledger (a committed transaction of its own),
// sends it only when the claim is accepted, and records how it went. Thank-
// you notes and apologies go out through it, by the outbox, SMTP or a card
// list, so overlapping runs, parallel sends and a process killed at any
// moment never mail anyone twice.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
)

// Courier delivers jobs for one run.
type Courier struct {
	Store ledger.ClaimStore
	// Via is how this run sends: outbox, smtp or print.
	Via string
	// Outbox is where a claim by the outbox wrote its file. A run that
	// finds a claim left by a process that stopped looks there, whatever
	// its own Via, to record what was written instead of writing it again.
	Outbox mail.Outbox
	By     ledger.Claimer
	Alive  ledger.Liveness
	Now    func() time.Time
	// ResendUnknown sends again a message whose outcome is unknown.
	ResendUnknown bool
}

// Job is one message to deliver.
type Job struct {
	Message ledger.MessageRef
	// Send delivers the message, carrying the claim's nonce (Message.Nonce)
	// and returns its Message-ID.
	Send func(ctx context.Context, c ledger.Claim) (messageID string, err error)
	// Record writes the note or delivery of a sent or failed attempt with
	// the claim's outcome, in one transaction.
	Record func(ctx context.Context, c ledger.Claim, o ledger.Outcome) error
}

// Result is what became of one job.
type Result struct {
	// Outcome is sent, failed or unknown; empty when the message was not
	// attempted, and then Refused says why.
	Outcome string
	Refused *ledger.RefusedError
	Claim   ledger.Claim
	// MessageID is the sent message's Message-ID.
	MessageID string
	// Err is why the attempt failed, or why its outcome is unknown.
	Err error
	// Recovered is set for a message an earlier run wrote to the outbox
	// and stopped before recording: it is recorded now, not written again.
	Recovered bool
}

// Sent reports whether the job's message went out in this run (or was
// found in the outbox, or marked by hand).
func (r Result) Sent() bool { return r.Outcome == ledger.OutcomeSent }

// maxTries bounds how often a job is claimed again after another process
// changed the message's state between two steps of this one.
const maxTries = 4

// Deliver claims the job's message and, when the claim is accepted, sends
// and records it. The error is only for what stops the run: the ledger
// could not be read or written. A message already sent, being sent, or
// with an unknown outcome is not attempted: the Result says why.
func (c *Courier) Deliver(ctx context.Context, j Job) (Result, error) {
	return c.do(ctx, j, false)
}

// Mark records the job's message as sent by hand (--mark-sent): the
// operator sent it some other way, or checked that an attempt with an
// unknown outcome did arrive.
func (c *Courier) Mark(ctx context.Context, j Job) (Result, error) {
	return c.do(ctx, j, true)
}

func (c *Courier) do(ctx context.Context, j Job, mark bool) (Result, error) {
	// Recording outlives an interrupted run: what was sent must be said.
	rctx := context.WithoutCancel(ctx)
	for range maxTries {
		claim, err := c.Store.Claim(rctx, ledger.NewClaim{Message: j.Message, Via: c.Via, Nonce: mail.NewNonce(),
			At: c.Now(), By: c.By, Alive: c.Alive, ResendUnknown: c.ResendUnknown, Mark: mark})
		var refused *ledger.RefusedError
		if errors.As(err, &refused) {
			res, again, err := c.recover(rctx, j, refused)
			if err != nil || !again {
				return res, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if mark {
			o := ledger.Outcome{Status: ledger.OutcomeSent, ByHand: true, At: c.Now()}
			if err := j.Record(rctx, claim, o); err != nil {
				return Result{Claim: claim}, fmt.Errorf("mark %s as sent: %w", j.Message, err)
			}
			return Result{Outcome: ledger.OutcomeSent, Claim: claim}, nil
		}
		return c.send(ctx, rctx, j, claim)
	}
	return Result{}, fmt.Errorf("claim %s: its state kept changing under this run; try again", j.Message)
}

// send makes the claimed attempt and records its outcome.
func (c *Courier) send(ctx, rctx context.Context, j Job, claim ledger.Claim) (Result, error) {
	id, sendErr := j.Send(ctx, claim)
	res := Result{Claim: claim, MessageID: id, Err: sendErr}
	o := ledger.Outcome{Status: ledger.OutcomeSent, MessageID: id, At: c.Now()}
	switch {
	case sendErr == nil:
	case errors.Is(sendErr, mail.ErrOutcomeUnknown):
		// Neither a note nor a delivery: the ledger cannot say either.
		res.Outcome, res.MessageID = ledger.OutcomeUnknown, ""
		o = ledger.Outcome{Status: ledger.OutcomeUnknown, Error: sendErr.Error(), At: c.Now()}
		if err := c.Store.RecordOutcome(rctx, claim.ID, o); err != nil {
			return res, fmt.Errorf("%s may have been delivered, and its unknown outcome could not be recorded: %w", j.Message, err)
		}
		return res, nil
	default:
		o = ledger.Outcome{Status: ledger.OutcomeFailed, Error: sendErr.Error(), At: c.Now()}
	}
	res.Outcome = o.Status
	if err := j.Record(rctx, claim, o); err != nil {
		if sendErr == nil {
			return res, fmt.Errorf("%s was delivered but could not be recorded: %w; its claim stays, so no run sends it again", j.Message, err)
		}
		return res, fmt.Errorf("record failed attempt at %s: %w", j.Message, err)
	}
	return res, nil
}

// recover deals with a refused claim. A claim left by a process that
// stopped, by the outbox, is settled from the outbox: its file there means
// it was sent (recorded now), no file means it never left (recorded as
// failed, and the job is claimed again). Anything else stands: the result
// says why the job was not attempted.
func (c *Courier) recover(ctx context.Context, j Job, refused *ledger.RefusedError) (res Result, again bool, err error) {
	st := refused.State
	last := st.Last
	if !st.OutboxUnsettled() || c.Outbox.Dir == "" {
		return Result{Refused: refused}, false, nil
	}
	_, id, found, err := c.Outbox.Find(last.Nonce)
	if err != nil {
		return Result{}, false, fmt.Errorf("look in the outbox for %s: %w", j.Message, err)
	}
	if !found {
		o := ledger.Outcome{Status: ledger.OutcomeFailed, At: c.Now(),
			Error: fmt.Sprintf("the run that claimed it (%s) stopped before writing it to the outbox", last.By)}
		if err := c.Store.RecordOutcome(ctx, last.ID, o); err != nil && !errors.Is(err, ledger.ErrConflict) {
			return Result{}, false, err
		}
		return Result{}, true, nil // another run may have settled it first: look again
	}
	o := ledger.Outcome{Status: ledger.OutcomeSent, MessageID: id, At: c.Now()}
	if err := j.Record(ctx, *last, o); err != nil {
		if errors.Is(err, ledger.ErrConflict) {
			return Result{}, true, nil
		}
		return Result{}, false, fmt.Errorf("record %s, found in the outbox: %w", j.Message, err)
	}
	return Result{Outcome: ledger.OutcomeSent, Claim: *last, MessageID: id, Recovered: true}, false, nil
}
