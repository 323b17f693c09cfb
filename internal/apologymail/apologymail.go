// Package apologymail delivers recorded apologies: it turns one into a mail
// message, hands it to the shared mail Sender and records the attempt in
// the ledger, so resolve and apology send deliver the same way.
package apologymail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
)

// SplitSubject takes the "Subject: …" line off a stored apology (the form
// apology draft writes); without one the subject names the incident.
func SplitSubject(text, title string) (subject, body string) {
	if first, rest, ok := strings.Cut(text, "\n"); ok && strings.HasPrefix(first, "Subject:") {
		return strings.TrimSpace(strings.TrimPrefix(first, "Subject:")), strings.TrimLeft(rest, "\n")
	}
	return "About: " + title, text
}

// Message is the mail for a recorded apology to c.
func Message(mc cmdutil.MailConfig, c ledger.Customer, a ledger.Apology, title string) mail.Message {
	subject, body := SplitSubject(a.Body, title)
	return mail.Message{FromName: mc.FromName, FromAddr: mc.FromAddr, ToName: c.Name, ToAddr: c.Email,
		Subject: subject, Body: body, Headers: map[string]string{"X-Makegood-Apology": fmt.Sprint(a.ID)}}
}

// Deliver sends one recorded apology by via (outbox or smtp) and records
// the attempt. A failed attempt is recorded too, and its error returned,
// for the caller to report with the retry command.
func Deliver(ctx context.Context, st ledger.Store, sender mail.Sender, mc cmdutil.MailConfig, via string,
	c ledger.Customer, a ledger.Apology, title string, now time.Time) (ledger.Delivery, error) {
	d := ledger.Delivery{Apology: a.ID, Via: via, At: now}
	id, sendErr := sender.Send(ctx, Message(mc, c, a, title))
	switch {
	case sendErr != nil:
		d.Status, d.Error = ledger.DeliveryFailed, sendErr.Error()
	case via == ledger.ViaOutbox:
		d.Status, d.MessageID = ledger.DeliveryQueued, id
	default:
		d.Status, d.MessageID = ledger.DeliverySent, id
	}
	// The attempt is worth keeping even when ctx was cancelled mid-send.
	if err := st.RecordDelivery(context.WithoutCancel(ctx), d); err != nil {
		return d, fmt.Errorf("record delivery of apology %d: %w", a.ID, err)
	}
	return d, sendErr
}
