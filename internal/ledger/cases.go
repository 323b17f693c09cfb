package ledger

import (
	"context"
	"time"
)

// Case is everything `makegood resolve` records at once, in one
// transaction: a new incident (or an existing one), customers added on the
// way, and per customer the apology, the fix and what was given.
type Case struct {
	// NewIncident, when set, is opened first and every resolution is for
	// it; otherwise Incident names an existing incident.
	NewIncident *NewIncident
	Incident    int64
	// NewCustomers are added before anything refers to them.
	NewCustomers []Customer
	// Resolutions are recorded in order; their Incident is set to the
	// case's. A resolution's Apology is recorded only if the customer has
	// as many for the incident as the run saw (Resolution.ApologiesSeen):
	// a run that raced another to the same case (or re-ran it) does not
	// apologize twice.
	Resolutions []Resolution
}

// CaseResult is what RecordCase wrote.
type CaseResult struct {
	Incident    Incident // as it stands after the case
	Resolutions []ResolutionResult
	// Existing is true when the case's NewIncident had a CaseKey already
	// recorded: the case went on with that incident instead of opening
	// another.
	Existing bool
}

// Delivery statuses of an apology. An apology is recorded before it is
// delivered; each attempt is recorded beside it, and the latest says where
// it stands.
const (
	DeliverySent   = ApologySent   // handed to the SMTP server
	DeliveryQueued = ApologyQueued // written to the outbox
	DeliveryFailed = ApologyFailed // the attempt failed: retry with apology send
)

// Delivery is one attempt to deliver a recorded apology.
type Delivery struct {
	Apology   int64
	Via       string // outbox or smtp
	Status    string // DeliverySent, DeliveryQueued or DeliveryFailed
	MessageID string
	Error     string // why it failed, without secrets
	At        time.Time
	// Claim, when set, is the claim this attempt is the outcome of: the
	// outcome is appended in the same transaction as the delivery.
	Claim int64
	// ByHand records a delivery the operator marked as sent (--mark-sent).
	ByHand bool
}

// Outcome is the outcome of d's claim, appended with it: written to the
// outbox is the attempt's success, like sent.
func (d Delivery) Outcome() Outcome {
	o := Outcome{Status: OutcomeSent, MessageID: d.MessageID, ByHand: d.ByHand, At: d.At}
	if d.Status == DeliveryFailed {
		o.Status, o.Error = OutcomeFailed, d.Error
	}
	return o
}

// DeliveryState is where the apology's delivery stands, by StateOf, checking
// the claimer of an attempt with no outcome with alive.
func (a Apology) DeliveryState(now time.Time, alive Liveness) MessageState {
	return StateOf(a.Prior, a.LastClaim, now, alive)
}

// CaseStore records whole cases and the delivery of their apologies.
type CaseStore interface {
	// RecordCase writes a case in one transaction: all of it, or none.
	RecordCase(ctx context.Context, c Case) (CaseResult, error)
	// Apology returns one apology with its delivery status.
	Apology(ctx context.Context, id int64) (Apology, error)
	// RecordDelivery appends a delivery attempt; the apology's Status
	// becomes the attempt's. With d.Claim set, the claim's outcome is
	// appended in the same transaction.
	RecordDelivery(ctx context.Context, d Delivery) error
	// Deliveries lists an apology's delivery attempts, oldest first.
	Deliveries(ctx context.Context, apology int64) ([]Delivery, error)
}
