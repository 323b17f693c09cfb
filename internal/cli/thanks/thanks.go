// Package thanks implements `makegood thanks`: who is due a thank-you note,
// sending it exactly once, and the history of notes sent.
package thanks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/thanks"
)

// NewCmdThanks builds `makegood thanks` and its verbs.
func NewCmdThanks(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "thanks <command>",
		Short: "Thank customers: who is due, send notes once, see the history",
		Long: `Thank customers on the occasions that matter: a welcome, each anniversary,
a milestone you name, after an incident was put right, or just because.
makegood knows who is due, writes the note from a template, delivers it
(outbox, SMTP or a printable list for handwritten cards) and never sends the
same occasion to the same customer twice.

Occasions: welcome, anniversary, milestone:NAME, after_recovery, just_because.

Windows (config keys, in days): thanks.welcome_days (14),
thanks.anniversary_days (30), thanks.recovery_days (30) and the just-because
cool-down thanks.just_because_days (30). A weekly cron job with windows of a
week or more never misses anyone. thanks.cooldown (7 days; 0 for none)
spaces notes of any occasion: one due within that many days of the
customer's last note or apology is deferred, and thanks due says until
when.

Each note is claimed in the ledger before it leaves, so overlapping runs
and killed runs never mail anyone twice; a note whose delivery ended
without anyone knowing whether it arrived shows as unknown, and is only
sent again with thanks send --resend-unknown (or recorded with
--mark-sent).

Templates: override any occasion with
$XDG_CONFIG_HOME/makegood/templates/thanks/<occasion>[.<locale>].tmpl, a
"Subject: ..." line, a blank line, then the body (Go text/template with
.FirstName, .CustomerName, .Plan, .Tenure, .Years, .Credit, .SenderName,
.Milestone, .Incident).`,
	}
	cmd.AddCommand(
		NewCmdDue(f, nil),
		NewCmdSend(f, nil),
		NewCmdList(f, nil),
	)
	return cmd
}

// occasionFlag is a parsed --occasion.
type occasionFlag struct {
	occasion  thanks.Occasion // "" when not given
	milestone string
}

func parseOccasion(s string) (occasionFlag, error) {
	if s == "" {
		return occasionFlag{}, nil
	}
	occ, milestone, err := thanks.ParseOccasion(s)
	if err != nil {
		return occasionFlag{}, &ledger.FieldError{Field: "--occasion", Err: err}
	}
	return occasionFlag{occasion: occ, milestone: milestone}, nil
}

// dueOptions merges the configured windows with the chosen occasion.
func (o occasionFlag) dueOptions(windows thanks.DueOptions) thanks.DueOptions {
	d := windows
	if o.occasion != "" {
		d.Occasions = []thanks.Occasion{o.occasion}
		d.Milestone = o.milestone
	}
	return d
}

// sentNotes is what the never-twice rule looks at: only notes that went
// out, so a failed one stays due and a re-run retries it.
func sentNotes(ctx context.Context, st ledger.Store) ([]thanks.Sent, error) {
	ns, err := st.ThankYouNotes(ctx, ledger.ThanksFilter{Status: ledger.NoteSent})
	if err != nil {
		return nil, err
	}
	out := make([]thanks.Sent, len(ns))
	for i, n := range ns {
		out[i] = thanks.Sent{CustomerID: n.Customer, Occasion: thanks.Occasion(n.Occasion), Key: n.Key, At: n.At}
	}
	return out, nil
}

// contacts are the apologies customers were sent (or may have been),
// which count towards the cool-down between notes.
func contacts(ctx context.Context, st ledger.Store) ([]thanks.Contact, error) {
	as, err := st.Apologies(ctx, ledger.ApologyFilter{})
	if err != nil {
		return nil, err
	}
	var out []thanks.Contact
	for _, a := range as {
		if a.Status == ledger.ApologyQueued || a.Status == ledger.ApologyFailed {
			continue
		}
		out = append(out, thanks.Contact{CustomerID: a.Customer, At: a.RecordedAt, What: "an apology"})
	}
	return out, nil
}

// claimStates is where every thank-you note with a claim stands, by
// customer and key, checking claimers with alive.
func claimStates(ctx context.Context, st ledger.Store, now time.Time, alive ledger.Liveness) (map[[2]string]ledger.MessageState, error) {
	cs, err := st.Claims(ctx, ledger.ClaimFilter{Kind: ledger.MessageThanks})
	if err != nil {
		return nil, err
	}
	last := map[[2]string]*ledger.Claim{}
	for i := range cs {
		k := [2]string{cs[i].Message.Customer, cs[i].Message.Key}
		if l := last[k]; l == nil || cs[i].Attempt > l.Attempt {
			last[k] = &cs[i]
		}
	}
	out := make(map[[2]string]ledger.MessageState, len(last))
	for k, c := range last {
		out[k] = ledger.StateOf(ledger.MessageState{Kind: ledger.MessageThanks}, c, now, alive)
	}
	return out, nil
}

// held lists the notes whose latest attempt is unsettled: being sent by a
// run still going, or of unknown outcome (unless the operator resends or
// marks those). A claim an outbox run left is not held: the next send
// settles it from the outbox.
func held(states map[[2]string]ledger.MessageState, releaseUnknown bool) []thanks.Held {
	var out []thanks.Held
	for k, s := range states {
		switch {
		case s.State == ledger.StateSending:
			out = append(out, thanks.Held{CustomerID: k[0], Key: k[1], At: s.Last.ClaimedAt,
				Why: fmt.Sprintf("another run is sending it (%s, since %s)", s.Last.By, s.Last.ClaimedAt.Format(time.RFC3339))})
		case s.State == ledger.StateUnknown && !s.OutboxUnsettled() && !releaseUnknown:
			out = append(out, thanks.Held{CustomerID: k[0], Key: k[1], At: s.Last.ClaimedAt, Why: unknownWhy(s)})
		}
	}
	return out
}

func unknownWhy(s ledger.MessageState) string {
	why := fmt.Sprintf("attempt %d by %s at %s has an unknown outcome", s.Last.Attempt, s.Last.Via, s.Last.ClaimedAt.Format(time.RFC3339))
	switch {
	case s.Last.Outcome != nil && s.Last.Outcome.Error != "":
		why += ": " + s.Last.Outcome.Error
	default:
		why += ": the run that claimed it (" + s.Last.By.String() + ") stopped before recording how it went"
	}
	return why
}

// recoveries lists, for each incident fixed in the last year, the affected
// customers who were given something for it: after_recovery is due once an
// incident is both fixed and made good.
func recoveries(ctx context.Context, st ledger.Store, now time.Time) ([]thanks.Recovery, error) {
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{Status: ledger.IncidentFixed})
	if err != nil {
		return nil, err
	}
	var out []thanks.Recovery
	for _, inc := range incs {
		if inc.FixedAt == nil || inc.FixedAt.Before(now.AddDate(-1, 0, 0)) {
			continue
		}
		given, err := st.Credits(ctx, ledger.CreditFilter{Incident: inc.ID, Now: now})
		if err != nil {
			return nil, err
		}
		first := map[string]time.Time{}
		for _, c := range given {
			if c.VoidedAt != nil {
				continue
			}
			if t, ok := first[c.Customer]; !ok || c.IssuedAt.Before(t) {
				first[c.Customer] = c.IssuedAt
			}
		}
		for customer, at := range first {
			out = append(out, thanks.Recovery{CustomerID: customer, IncidentID: strconv.FormatInt(inc.ID, 10),
				Title: inc.Title, Fixed: *inc.FixedAt, Compensated: at})
		}
	}
	return out, nil
}

// incidentDecisions decides after_recovery for an incident the operator
// names with --incident: an incident id from the ledger, or free text for
// one it does not hold, in which case the operator vouches that it was
// fixed and made good. The key makes sure each customer is thanked once per
// incident, and an id gives the same key as the automatic --due path.
func incidentDecisions(ctx context.Context, st ledger.Store, customers []ledger.Customer, sent []thanks.Sent, ref string) ([]thanks.Decision, error) {
	title := ref
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		inc, err := st.Incident(ctx, id)
		switch {
		case err == nil:
			title = inc.Title
		case !errors.Is(err, ledger.ErrNotFound):
			return nil, err
		}
	}
	key := thanks.AfterRecoveryKey(ref)
	var out []thanks.Decision
	for _, c := range customers {
		d := thanks.Decision{DueItem: thanks.DueItem{Customer: c, Occasion: thanks.AfterRecovery, Key: key,
			Incident: thanks.Recovery{CustomerID: c.ID, IncidentID: ref, Title: title}}}
		d.Status, d.Why = thanks.StatusDue, fmt.Sprintf("after incident %q, named with --incident", ref)
		for _, s := range sent {
			if s.CustomerID == c.ID && s.Key == key {
				d.Status = thanks.StatusAlreadySent
				d.Why = fmt.Sprintf("already thanked after incident %q on %s", ref, s.At.Format(time.DateOnly))
				break
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
