package ledger

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// At most once to a customer. Before a message leaves (a thank-you note or
// an apology, by the outbox, SMTP or a card list), the run claims it: it
// appends a claim in a transaction of its own, committed before anything
// is sent, and only the run whose claim is accepted sends. After the
// attempt, an outcome is appended to the claim (sent, failed or unknown),
// in the same transaction as the note or delivery it records. Claims and
// outcomes are append-only; what state a message is in is worked out from
// them, by StateOf, the one rule every engine and command uses.

// Kinds of message.
const (
	MessageThanks  = "thanks"  // a thank-you note: Key is the occasion key
	MessageApology = "apology" // an apology: Key is the apology's id
)

// MessageRef names one message that must reach its customer at most once.
type MessageRef struct {
	Kind     string
	Customer string
	Key      string
}

// ThanksMessage is the message thanking customer for the occasion key.
func ThanksMessage(customer, key string) MessageRef {
	return MessageRef{Kind: MessageThanks, Customer: customer, Key: key}
}

// ApologyMessage is the message delivering a recorded apology.
func ApologyMessage(a Apology) MessageRef {
	return MessageRef{Kind: MessageApology, Customer: a.Customer, Key: strconv.FormatInt(a.ID, 10)}
}

func (r MessageRef) String() string {
	if r.Kind == MessageApology {
		return "apology " + r.Key
	}
	return fmt.Sprintf("%s (%s)", r.Customer, r.Key)
}

// Claimer names the process that claimed a message: its host, its process
// id, and a random id of the run, so a later process that happens to get
// the same pid is not mistaken for it.
type Claimer struct {
	Host string
	PID  int
	Run  string
}

func (c Claimer) String() string { return fmt.Sprintf("pid %d on %s", c.PID, c.Host) }

// Liveness reports whether the process that made a claim may still be
// running. known is false when the caller cannot tell (another host):
// then the claim's age decides, against ClaimLease.
type Liveness func(Claimer) (running, known bool)

// ClaimLease is how long a claim with no outcome, by a process whose
// liveness cannot be checked, counts as still being sent. A claim covers
// one message, and delivering one takes seconds (the SMTP session timeout
// is 30 seconds by default), so a claim older than this is from a run that
// stopped.
const ClaimLease = 10 * time.Minute

// Outcome statuses.
const (
	OutcomeSent    = "sent"    // it left makegood's hands: file written, server accepted, card listed
	OutcomeFailed  = "failed"  // it did not; it may be sent again
	OutcomeUnknown = "unknown" // it may or may not have reached the customer
)

// Outcome is how a claimed attempt ended.
type Outcome struct {
	Status    string
	MessageID string
	// Error says why it failed, or why its outcome is unknown.
	Error string
	// ByHand is set when the operator marked the message as sent
	// (--mark-sent) rather than makegood delivering it.
	ByHand bool
	At     time.Time
}

// Claim is one attempt at a message.
type Claim struct {
	ID      int64
	Message MessageRef
	Attempt int    // 1, 2, …: the database refuses a second claim of the same attempt
	Via     string // outbox, smtp or print
	// Nonce is random, chosen when claiming. It names the outbox file and
	// makes the Message-ID, so a later run can find what this attempt wrote.
	Nonce     string
	ClaimedAt time.Time
	By        Claimer
	Outcome   *Outcome // nil until the attempt's end is recorded
}

// States of a message.
const (
	StateUnsent  = "unsent"  // nothing was tried: send it
	StateSending = "sending" // claimed by a run that is still going
	StateUnknown = "unknown" // claimed, and nobody knows whether it arrived
	StateFailed  = "failed"  // the last attempt failed: send it again
	StateSent    = "sent"    // it went out
)

// MessageState is where a message stands.
type MessageState struct {
	Kind  string
	State string
	// Via is how the latest attempt went, when there was one.
	Via string
	// ByHand is set when the operator marked it sent.
	ByHand bool
	// Last is the latest claim; nil for a message with no claim, whose
	// state comes from records kept before claims existed.
	Last *Claim
	// ClaimerGone is set for StateUnknown when the claimer is known to
	// have stopped (rather than only being too old to tell): nothing more
	// can come from it, so what it left (an outbox file) can be trusted.
	ClaimerGone bool
}

// StateOf works out a message's state from its latest claim. prior is the
// state recorded without claims (notes and deliveries from before claims
// existed, or an apology recorded as sent by the operator); it stands
// when there is no claim. alive may be nil when the caller cannot check
// processes: a claim with no outcome is then unknown.
func StateOf(prior MessageState, last *Claim, now time.Time, alive Liveness) MessageState {
	if last == nil {
		if prior.State == "" {
			prior.State = StateUnsent
		}
		return prior
	}
	s := MessageState{Kind: last.Message.Kind, Via: last.Via, Last: last}
	if o := last.Outcome; o != nil {
		s.ByHand = o.ByHand
		switch o.Status {
		case OutcomeSent:
			s.State = StateSent
		case OutcomeFailed:
			s.State = StateFailed
		default:
			s.State = StateUnknown
		}
		return s
	}
	s.State = StateUnknown
	if alive == nil {
		return s
	}
	running, known := alive(last.By)
	switch {
	case known && !running:
		s.ClaimerGone = true
	case now.Sub(last.ClaimedAt) < ClaimLease:
		// Running, or on another host and recent: still being sent.
		s.State = StateSending
	}
	return s
}

// InOutbox reports an apology written to the outbox and not yet marked as
// sent: for apologies the outbox is a queue the operator sends from, not
// the customer's mailbox. (A thank-you note in the outbox counts as sent.)
func (s MessageState) InOutbox() bool {
	return s.Kind == MessageApology && s.State == StateSent && s.Via == ViaOutbox && !s.ByHand
}

// MaySend says whether a run may claim the message to send it: a message
// never sent or whose last attempt failed, yes; one whose outcome is
// unknown only when the operator said so (resendUnknown); one sent or
// being sent, never.
func (s MessageState) MaySend(resendUnknown bool) error {
	if s.OutboxUnsettled() {
		return s.unsettled()
	}
	switch s.State {
	case StateUnsent, StateFailed:
		return nil
	case StateUnknown:
		if resendUnknown {
			return nil
		}
		return &RefusedError{State: s, Msg: "its last attempt has an unknown outcome" + s.since() +
			"; it may have reached them, so it is not sent again unless you say so (--resend-unknown), or mark it sent (--mark-sent)"}
	case StateSending:
		return &RefusedError{State: s, Msg: "another run is sending it (" + s.Last.By.String() + ", since " +
			s.Last.ClaimedAt.UTC().Format(time.RFC3339) + ")"}
	}
	if s.InOutbox() {
		return &RefusedError{State: s, Msg: "it is in the outbox already; send it from there, then mark it sent (--mark-sent)"}
	}
	return &RefusedError{State: s, Msg: "it was sent already; it is not sent twice"}
}

// MayMark says whether the operator may record the message as sent by
// hand: anything not sent and not being sent, and an apology waiting in
// the outbox.
func (s MessageState) MayMark() error {
	if s.OutboxUnsettled() {
		return s.unsettled()
	}
	switch s.State {
	case StateUnsent, StateFailed, StateUnknown:
		return nil
	case StateSending:
		return s.MaySend(false)
	}
	if s.InOutbox() {
		return nil
	}
	return &RefusedError{State: s, Msg: "it was sent already"}
}

// OutboxUnsettled reports a claim by the outbox whose process stopped
// before recording it. Whether it went out is in the outbox: its file is
// named by the claim's nonce and appears whole or not at all. Nothing may
// claim the message again until that is looked up and recorded, or a
// second file could be written for it.
func (s MessageState) OutboxUnsettled() bool {
	return s.State == StateUnknown && s.ClaimerGone && s.Last != nil && s.Last.Outcome == nil && s.Last.Via == ViaOutbox
}

func (s MessageState) unsettled() error {
	return &RefusedError{State: s, Msg: "an earlier run (" + s.Last.By.String() + ") stopped while writing it to the outbox; " +
		"look there for its file first"}
}

func (s MessageState) since() string {
	if s.Last == nil {
		return ""
	}
	why := ""
	if o := s.Last.Outcome; o != nil && o.Error != "" {
		why = ": " + o.Error
	} else if s.ClaimerGone {
		why = ": the run that claimed it (" + s.Last.By.String() + ") stopped before recording how it went"
	} else {
		why = ": the run that claimed it (" + s.Last.By.String() + ") never recorded how it went"
	}
	return " (attempt " + strconv.Itoa(s.Last.Attempt) + " by " + s.Last.Via + " at " +
		s.Last.ClaimedAt.UTC().Format(time.RFC3339) + why + ")"
}

// RefusedError is a claim the message's state does not allow. It matches
// ErrConflict with errors.Is: a command asked for something the ledger
// says must not happen.
type RefusedError struct {
	State MessageState
	Msg   string
}

func (e *RefusedError) Error() string        { return e.Msg }
func (e *RefusedError) Is(target error) bool { return target == ErrConflict }

// Apology statuses worked out from an apology's deliveries, beyond the
// ones it can be recorded with.
const (
	ApologyInOutbox = "in_outbox" // written to the outbox; send it from there
	ApologySending  = "sending"   // a run is delivering it now
	ApologyUnknown  = "unknown"   // a run claimed it and nobody knows if it arrived
)

// ApologyStatus is an apology's status for people: queued (to send),
// sending, unknown, failed, in_outbox or sent.
func ApologyStatus(s MessageState) string {
	switch {
	case s.State == StateUnsent:
		return ApologyQueued
	case s.InOutbox():
		return ApologyInOutbox
	}
	return s.State
}

// ApologyPrior is an apology's state from what was recorded before claims
// existed: the status it was recorded with, overridden by the latest
// delivery attempt written without a claim ("" when none).
func ApologyPrior(recorded, lastDelivery, lastDeliveryVia string) MessageState {
	s := MessageState{Kind: MessageApology}
	switch recorded {
	case ApologySent:
		s.State = StateSent // sent by the operator, some other way
	case ApologyFailed:
		s.State = StateFailed
	default:
		s.State = StateUnsent
	}
	switch lastDelivery {
	case DeliverySent:
		s.State, s.Via = StateSent, lastDeliveryVia
	case DeliveryQueued:
		s.State, s.Via = StateSent, ViaOutbox
	case DeliveryFailed:
		s.State, s.Via = StateFailed, lastDeliveryVia
	}
	return s
}

// NewClaim asks to claim a message.
type NewClaim struct {
	Message MessageRef
	Via     string
	Nonce   string
	At      time.Time
	By      Claimer
	// Alive checks claimers; nil counts every claim without an outcome as
	// unknown.
	Alive Liveness
	// ResendUnknown lets a message whose outcome is unknown be sent again.
	ResendUnknown bool
	// Mark claims the message to record it as sent by hand (MayMark rather
	// than MaySend).
	Mark bool
}

// NextAttempt decides the claim n asks for from where its message stands
// (st, read under the engine's write lock): MayMark, or MaySend, must
// allow it, and the claim is the attempt after the last. The engine
// writes it, its unique attempt number refusing a claim that raced it.
func (n NewClaim) NextAttempt(st MessageState) (int, error) {
	var err error
	if n.Mark {
		err = st.MayMark()
	} else {
		err = st.MaySend(n.ResendUnknown)
	}
	if err != nil {
		return 0, err
	}
	if st.Last == nil {
		return 1, nil
	}
	return st.Last.Attempt + 1, nil
}

// ThanksSentState is where a thank-you note recorded as sent, via via,
// stands: sent, whatever its claims say (the unique index would refuse a
// second one anyway); last is its latest claim, if any.
func ThanksSentState(via string, last *Claim) MessageState {
	return MessageState{Kind: MessageThanks, State: StateSent, Via: via, Last: last,
		ByHand: last != nil && last.Outcome != nil && last.Outcome.ByHand}
}

// ReadMessageState reads where a message stands with read (StateOf over
// the engine's rows), once more when a claim was read with no outcome and
// alive found its claimer gone: the claimer may have recorded the outcome
// and exited between the read and the check. Gone now, it can write
// nothing more, so the second read is the answer.
func ReadMessageState(alive Liveness, read func() (MessageState, error)) (MessageState, error) {
	st, err := read()
	if err != nil || st.State != StateUnknown || alive == nil || st.Last == nil || st.Last.Outcome != nil {
		return st, err
	}
	return read()
}

// ClaimFilter narrows a list of claims. Zero values mean "any".
type ClaimFilter struct {
	Kind     string
	Customer string
	Key      string
	// Unrecorded keeps only claims with no note or delivery record: those
	// with no outcome, an unknown one, or one recorded without a record.
	Unrecorded bool
}

// ClaimStore keeps claims and their outcomes.
type ClaimStore interface {
	// Claim appends an attempt at n.Message in its own transaction, after
	// checking with StateOf and MaySend (or MayMark) that the message may
	// be claimed; otherwise it returns a *RefusedError with the state. Of
	// two processes claiming at once, one wins and the other is refused.
	Claim(ctx context.Context, n NewClaim) (Claim, error)
	// MessageState is where a message stands, by StateOf.
	MessageState(ctx context.Context, m MessageRef, now time.Time, alive Liveness) (MessageState, error)
	// Claims lists claims with their outcomes, oldest first.
	Claims(ctx context.Context, f ClaimFilter) ([]Claim, error)
	// RecordOutcome appends the outcome of a claim that has none, when no
	// note or delivery goes with it (an unknown outcome; a claim whose run
	// stopped before writing). A second outcome is a ConflictError.
	RecordOutcome(ctx context.Context, claim int64, o Outcome) error
}

// ClaimRaced is a claim refused because another run claimed the same
// attempt at the same moment: the database's unique attempt number said
// so, after the state read allowed it.
func ClaimRaced(m MessageRef) error {
	return &RefusedError{State: MessageState{Kind: m.Kind, State: StateSending}, Msg: "another run claimed it at the same moment"}
}

// OutcomeRecorded refuses a second outcome of one claim.
func OutcomeRecorded(claim int64) error {
	return Conflictf("claim %d has its outcome recorded already", claim)
}
