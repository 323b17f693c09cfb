package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
	"github.com/makegood/makegood/pkg/money"
)

// Deliveries are the ways an apology leaves: written to the outbox, sent
// over SMTP, or left to the operator ("none": recorded, not sent by us).
const (
	ViaOutbox = ledger.ViaOutbox
	ViaSMTP   = ledger.ViaSMTP
	ViaNone   = "none"
)

// Vias lists the values --via accepts.
func Vias() []string { return []string{ViaOutbox, ViaSMTP, ViaNone} }

// Give kinds beyond goodwill's option kinds: an amount the operator typed,
// a gesture of their own, and nothing at all.
const (
	GiveCustom      = "custom"
	GiveOwnGesture  = "own_gesture"
	GiveNothing     = "none"
	maxGestureRunes = 500
)

// incidentLabel is how a list shows an incident, its title escaped.
func incidentLabel(i ledger.Incident) string {
	return fmt.Sprintf("#%d %s (since %s)", i.ID, cmdutil.Escape(i.Title), i.StartedAt.Format("2006-01-02 15:04"))
}

// Target is one affected customer and what the walk decided for them.
type Target struct {
	Customer ledger.Customer
	New      bool // add the customer with the case

	// Apologized is when an apology was already recorded (a resumed case);
	// then Apology is empty and nothing new is sent.
	Apologized *time.Time
	// apologies counts the apologies the ledger held for the customer and
	// the incident when the case was read: the next one is recorded only
	// if it still holds that many.
	apologies int
	Apology   string
	// Kept are the apology check findings the operator chose to keep in
	// what goes out: the apology, or the follow-up.
	Kept []apology.Finding
	// FollowUp is the it's-fixed message for a customer apologized to
	// before the fix (a saved case resumed), sent with the case; "" when
	// none goes out.
	FollowUp string
	// draftedFor remembers which incident the draft was written for, so
	// going back and forth keeps the operator's edits; drafted is the draft
	// as written, to tell whether the operator changed it.
	draftedFor string
	drafted    string
	// amendBase is the operator's apology before the draft's new
	// paragraphs were added to it; amendYes/amendAsked keep the answer
	// across Back.
	amendBase  string
	amendYes   bool
	amendAsked bool
	// followText is the follow-up as edited, followDrafted as drafted,
	// followChoice whether to send it: kept across Back.
	followText    string
	followDrafted string
	followChoice  string

	Suggestion *goodwill.Suggestion
	// NoSuggestion says why there is none (for example, no price).
	NoSuggestion string
	// Compensated is true when the ledger already has a credit or gesture
	// for this customer and incident: the walk gives nothing twice.
	Compensated bool
	Give        Give
	choice      string // the compensation select's answer, kept across Back
}

// Give is the compensation decided for one customer.
type Give struct {
	Kind    string       // a goodwill option kind, GiveCustom, GiveOwnGesture or GiveNothing
	Amount  money.Amount // zero for gestures and nothing
	Gesture string
	Reason  string
}

// Money reports whether the give is a credit.
func (g Give) Money() bool { return g.Amount.Minor > 0 }

// Describe is one line for summaries.
func (g Give) Describe() string {
	switch {
	case g.Kind == GiveNothing:
		return "nothing"
	case g.Money():
		return fmt.Sprintf("a credit of %s (%s)", money.Format(g.Amount.Minor, g.Amount.Currency), strings.ReplaceAll(g.Kind, "_", " "))
	case g.Gesture != "":
		return "a gesture: " + g.Gesture
	}
	return "not decided"
}

// Action is what the plan asks the ledger to do.
type Action int

// Actions: record the whole case, or save it unfinished because the fix is
// still to come.
const (
	ActionRecord Action = iota + 1
	ActionSave
)

// Plan is every decision of the walk, and nothing written yet: the walk
// only decides, so cancelling at any point leaves the ledger as it was.
type Plan struct {
	Incident ledger.Incident
	Targets  []*Target
	Via      string
	Fixed    bool
	FixedAt  time.Time
	Action   Action
	// followUpsLeft counts the customers due the it's-fixed follow-up
	// (followUpDue) that a script's run does not send one (no --follow-up).
	followUpsLeft int
}

// NewTargets lists the customers to add with the case.
func (p *Plan) NewTargets() []*Target {
	var out []*Target
	for _, t := range p.Targets {
		if t.New {
			out = append(out, t)
		}
	}
	return out
}

// Source is what the walk reads from the ledger and the policies to offer
// its choices. It never writes.
type Source interface {
	OpenIncidents(ctx context.Context) ([]ledger.Incident, error)
	Customers(ctx context.Context) ([]ledger.Customer, error)
	// Draft writes the apology draft for one customer: fixed says whether
	// the incident is fixed, give (nil while undecided) what they get.
	Draft(ctx context.Context, inc ledger.Incident, fixed bool, c ledger.Customer, give *Give) (string, error)
	// Suggest runs goodwill suggest for one customer; the error says why
	// there is no suggestion (a customer without a price, say).
	Suggest(ctx context.Context, inc ledger.Incident, downtime time.Duration, c ledger.Customer) (goodwill.Suggestion, error)
	// Rules are the apology check's phrase lists.
	Rules() apology.Rules
}

// optionGive turns a goodwill option into a give.
func optionGive(o goodwill.Option) Give {
	return Give{Kind: o.Kind, Amount: o.Amount, Gesture: o.Gesture, Reason: o.Reason}
}

// downtime is how long the customer could not use what they paid for: from
// the start to the fix, or to now if the fix is still to come.
func (p *Plan) downtime(now time.Time) time.Duration {
	end := now
	if p.Fixed {
		end = p.FixedAt
	}
	return max(end.Sub(p.Incident.StartedAt), 0)
}

// checkEmails refuses a delivery by mail to a customer without an email
// address, before anything is written.
func (p *Plan) checkEmails(via string) error {
	if via == ViaNone {
		return nil
	}
	for _, t := range p.Targets {
		if _, err := t.Customer.MailAddress(); t.Apologized == nil && err != nil {
			return noEmail(t.Customer)
		}
	}
	return nil
}

// followUpDue reports whether t is owed the it's-fixed follow-up: apologized
// to before the ledger had the fix (a saved case resumed), when that
// apology said it was being fixed, and the plan now fixes it.
func (p *Plan) followUpDue(t *Target) bool {
	inc := p.Incident
	return t.Apologized != nil && p.Fixed && (inc.FixedAt == nil || t.Apologized.Before(*inc.FixedAt))
}

// noEmail is the error of a customer a message cannot go to by mail.
func noEmail(c ledger.Customer) error {
	return fmt.Errorf("%s has no email address: add one with `makegood customer edit %s --email …`, or send it yourself (--via none)",
		cmdutil.CustomerLabel(c), c.ID)
}

// refreshDrafts writes again the apologies the operator left as drafted,
// now that the fix and the compensation are known: the draft at step 2
// could only say "we are fixing it" and could not say what is given. An
// edited apology is the operator's and stays as it is.
func (p *Plan) refreshDrafts(ctx context.Context, src Source) error {
	for _, t := range p.Targets {
		if t.Apologized != nil || t.drafted == "" || t.Apology != t.drafted {
			continue
		}
		give := p.giveFor(t)
		if p.Action == ActionSave {
			give = nil
		}
		d, err := src.Draft(ctx, p.Incident, p.Fixed, t.Customer, give)
		if err != nil {
			return err
		}
		t.Apology, t.drafted = d, d
	}
	return nil
}

// outgoing is the message this case sends the customer: the apology, or
// for a customer apologized to before the fix, the it's-fixed follow-up
// ("" when nothing goes out).
func (t *Target) outgoing() string {
	if t.Apologized == nil {
		return t.Apology
	}
	return t.FollowUp
}

// outgoing counts the messages the case sends.
func (p *Plan) outgoing() int {
	n := 0
	for _, t := range p.Targets {
		if t.outgoing() != "" {
			n++
		}
	}
	return n
}

// giveFor is what an apology to t can say is given: nil while undecided or
// when they were compensated before.
func (p *Plan) giveFor(t *Target) *Give {
	if t.Compensated || t.Give.Kind == "" {
		return nil
	}
	return &t.Give
}

// change is what a draft written again says that the draft before did not:
// a new subject line, and paragraphs added in place of ones it dropped.
type change struct {
	oldSubject, newSubject string
	dropped, added         []string
}

// draftChange compares two drafts paragraph by paragraph (paragraphs are
// separated by blank lines; the first line is "Subject: …").
func draftChange(before, after string) change {
	var c change
	bs, bp := splitDraft(before)
	as, ap := splitDraft(after)
	if bs != as {
		c.oldSubject, c.newSubject = bs, as
	}
	for _, p := range bp {
		if !slices.Contains(ap, p) {
			c.dropped = append(c.dropped, p)
		}
	}
	for _, p := range ap {
		if !slices.Contains(bp, p) {
			c.added = append(c.added, p)
		}
	}
	return c
}

func (c change) empty() bool { return len(c.added) == 0 && c.newSubject == "" }

// String shows the change as the operator reads it in the walk.
func (c change) String() string {
	var parts []string
	if c.newSubject != "" {
		parts = append(parts, c.newSubject)
	}
	return strings.Join(append(parts, c.added...), "\n\n")
}

// apply makes the operator's text say what the draft now says: the new
// subject in place of the old, each added paragraph in place of a dropped
// one the text still has word for word ("we are fixing it" gives way to
// "it is fixed"), the rest before the last paragraph, the sign-off.
func (c change) apply(text string) string {
	subject, paras := splitDraft(text)
	if c.newSubject != "" && (subject == c.oldSubject || subject == "") {
		subject = c.newSubject
	}
	added := append([]string(nil), c.added...)
	for _, d := range c.dropped {
		if i := slices.Index(paras, d); i >= 0 && len(added) > 0 {
			paras[i], added = added[0], added[1:]
		}
	}
	if len(added) > 0 {
		at := max(len(paras)-1, 0)
		paras = slices.Insert(paras, at, added...)
	}
	out := strings.Join(paras, "\n\n") + "\n"
	if subject != "" {
		out = subject + "\n\n" + out
	}
	return out
}

// splitDraft splits a text into its subject line (if it starts with one)
// and its paragraphs, trimmed.
func splitDraft(text string) (subject string, paras []string) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if first, rest, _ := strings.Cut(text, "\n"); strings.HasPrefix(first, "Subject:") {
		subject, text = first, strings.TrimSpace(rest)
	}
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return subject, paras
}
