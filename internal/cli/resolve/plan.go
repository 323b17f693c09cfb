package resolve

import (
	"context"
	"fmt"
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

// incidentLabel is how a list shows an incident.
func incidentLabel(i ledger.Incident) string {
	return fmt.Sprintf("#%d %s (since %s)", i.ID, i.Title, i.StartedAt.Format("2006-01-02 15:04"))
}

// Target is one affected customer and what the walk decided for them.
type Target struct {
	Customer ledger.Customer
	New      bool // add the customer with the case

	// Apologized is when an apology was already recorded (a resumed case);
	// then Apology is empty and nothing new is sent.
	Apologized *time.Time
	Apology    string
	// Kept are the apology check findings the operator chose to keep.
	Kept []apology.Finding
	// draftedFor remembers which incident the draft was written for, so
	// going back and forth keeps the operator's edits; drafted is the draft
	// as written, to tell whether the operator changed it.
	draftedFor string
	drafted    string

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
			return fmt.Errorf("%s has no email address: add one with `makegood customer edit %s --email …`, or send it yourself (--via none)",
				cmdutil.CustomerLabel(t.Customer), t.Customer.ID)
		}
	}
	return nil
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
		var give *Give
		if p.Action != ActionSave && !t.Compensated && t.Give.Kind != "" {
			give = &t.Give
		}
		d, err := src.Draft(ctx, p.Incident, p.Fixed, t.Customer, give)
		if err != nil {
			return err
		}
		t.Apology, t.drafted = d, d
	}
	return nil
}
