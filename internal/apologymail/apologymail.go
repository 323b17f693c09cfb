// Package apologymail delivers recorded apologies: it turns one into a mail
// message and sends it through a delivery.Courier, which claims it in the
// ledger first and records the attempt, so resolve and apology send deliver
// the same way and never twice.
package apologymail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/delivery"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/procs"
)

// SplitSubject takes the "Subject: …" line off a stored apology (the form
// apology draft writes); without one the subject names the incident.
func SplitSubject(text, title string) (subject, body string) {
	if first, rest, ok := strings.Cut(text, "\n"); ok && strings.HasPrefix(first, "Subject:") {
		return strings.TrimSpace(strings.TrimPrefix(first, "Subject:")), strings.TrimLeft(rest, "\n")
	}
	return "About: " + title, text
}

// Message is the mail for a recorded apology to c at address to.
func Message(mc mail.Config, c ledger.Customer, to string, a ledger.Apology, title string) mail.Message {
	subject, body := SplitSubject(a.Body, title)
	return mail.Message{FromName: mc.FromName, FromAddr: mc.FromAddr, ToName: c.Name, ToAddr: to,
		Subject: subject, Body: body, Headers: map[string]string{"X-Makegood-Apology": fmt.Sprint(a.ID)}}
}

// NewCourier is the courier for apologies sent by via (outbox or smtp).
func NewCourier(st ledger.Store, mc mail.Config, via string, now func() time.Time, resendUnknown bool) *delivery.Courier {
	self := procs.Self()
	return &delivery.Courier{Store: st, Via: via, Outbox: mail.Outbox{Dir: mc.Outbox, Now: now}, By: self,
		Alive: procs.Liveness(self), Now: now, ResendUnknown: resendUnknown}
}

// Result is what became of one apology: the courier's result, and the
// delivery attempt recorded (nil when none was: not attempted, or an
// unknown outcome).
type Result struct {
	delivery.Result
	Delivery *ledger.Delivery
}

// Deliver sends one recorded apology through the courier (whose Via says
// how) and records the attempt. A failed attempt is recorded too; the
// result carries its error for the caller to report with the retry
// command. The error is for what stops the command: no address for the
// customer, or a ledger that cannot be written.
func Deliver(ctx context.Context, st ledger.Store, co *delivery.Courier, sender mail.Sender, mc mail.Config,
	c ledger.Customer, a ledger.Apology, title string) (Result, error) {
	to, err := c.MailAddress()
	if err != nil {
		return Result{}, err
	}
	var out Result
	job := delivery.Job{
		Message: ledger.ApologyMessage(a),
		Send: func(ctx context.Context, claim ledger.Claim) (string, error) {
			m := Message(mc, c, to, a, title)
			m.Nonce = claim.Nonce
			return sender.Send(ctx, m)
		},
		Record: func(ctx context.Context, claim ledger.Claim, o ledger.Outcome) error {
			d := ledger.Delivery{Apology: a.ID, Via: claim.Via, MessageID: o.MessageID, Error: o.Error, At: o.At,
				Claim: claim.ID, ByHand: o.ByHand}
			switch {
			case o.Status == ledger.OutcomeFailed:
				d.Status = ledger.DeliveryFailed
			case claim.Via == ledger.ViaOutbox && !o.ByHand:
				d.Status = ledger.DeliveryQueued
			default:
				d.Status = ledger.DeliverySent
			}
			if err := st.RecordDelivery(ctx, d); err != nil {
				return err
			}
			out.Delivery = &d
			return nil
		},
	}
	if out.Result, err = co.Deliver(ctx, job); err != nil {
		return out, fmt.Errorf("apology %d: %w", a.ID, err)
	}
	return out, nil
}

// Mark records a recorded apology as sent by hand, through the courier.
func Mark(ctx context.Context, st ledger.Store, co *delivery.Courier, a ledger.Apology) (Result, error) {
	var out Result
	job := delivery.Job{
		Message: ledger.ApologyMessage(a),
		Record: func(ctx context.Context, claim ledger.Claim, o ledger.Outcome) error {
			d := ledger.Delivery{Apology: a.ID, Via: claim.Via, MessageID: o.MessageID, At: o.At, Claim: claim.ID,
				ByHand: o.ByHand, Status: ledger.DeliverySent}
			if claim.Via == ledger.ViaOutbox && !o.ByHand {
				d.Status = ledger.DeliveryQueued // found in the outbox, not marked
			}
			if err := st.RecordDelivery(ctx, d); err != nil {
				return err
			}
			out.Delivery = &d
			return nil
		},
	}
	var err error
	if out.Result, err = co.Mark(ctx, job); err != nil {
		return out, fmt.Errorf("apology %d: %w", a.ID, err)
	}
	return out, nil
}
