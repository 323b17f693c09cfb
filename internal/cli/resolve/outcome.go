package resolve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/apologymail"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/delivery"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/pkg/money"
)

// outcome is what a run wrote and sent, for the operator and for --json.
type outcome struct {
	plan     *Plan
	incident ledger.Incident
	rows     []*outcomeRow
	now      time.Time
	err      error // what stopped the deliveries: the ledger could not be written
}

type outcomeRow struct {
	target   *Target
	apology  *ledger.Apology
	credit   *ledger.Credit
	delivery *ledger.Delivery
	// result is what became of the delivery; sendErr is set when it did
	// not reach the customer for sure (failed, unknown, not attempted).
	result  delivery.Result
	sendErr error
}

func newOutcome(p *Plan, res ledger.CaseResult, now time.Time) *outcome {
	o := &outcome{plan: p, incident: res.Incident, now: now}
	for i, t := range p.Targets {
		row := &outcomeRow{target: t}
		if i < len(res.Resolutions) {
			r := res.Resolutions[i]
			row.apology = r.Apology
			if len(r.Credits) > 0 {
				c := r.Credits[0]
				row.credit = &c
			}
		}
		o.rows = append(o.rows, row)
	}
	return o
}

// deliver sends the apologies just recorded, each claimed in the ledger
// before it leaves, so a resolve killed mid-delivery leaves the apology
// unknown (for apology send to settle), never one sent twice. A failure
// leaves the records in place, marks the apology failed and is reported
// with the retry. A ledger that cannot be written stops the deliveries;
// print reports it.
func (o *outcome) deliver(ctx context.Context, st ledger.Store, sender mail.Sender, mc mail.Config, via string, now time.Time) {
	if sender == nil {
		return
	}
	co := apologymail.NewCourier(st, mc, via, func() time.Time { return now }, false)
	for _, r := range o.rows {
		if r.apology == nil {
			continue
		}
		res, err := apologymail.Deliver(ctx, st, co, sender, mc, r.target.Customer, *r.apology, o.incident.Title)
		if err != nil {
			o.err = err
			return
		}
		r.result, r.delivery = res.Result, res.Delivery
		switch {
		case res.Refused != nil:
			r.sendErr = res.Refused
		case res.Outcome != ledger.OutcomeSent:
			r.sendErr = res.Err
		}
		if a, err := st.Apology(context.WithoutCancel(ctx), r.apology.ID); err == nil {
			r.apology.Status = a.Status
		}
	}
}

func (o *outcome) failed() int {
	n := 0
	for _, r := range o.rows {
		if r.sendErr != nil {
			n++
		}
	}
	return n
}

// timeToApology is from the report to the customer's first apology that
// went out (as incident show counts it).
func (o *outcome) timeToApology(r *outcomeRow) (time.Duration, bool) {
	if r.sendErr != nil {
		return 0, false // not apologized until it reaches them
	}
	at := r.target.Apologized
	if r.apology != nil && at == nil { // a follow-up is not the first apology
		at = &r.apology.RecordedAt
	}
	if at == nil {
		return 0, false
	}
	return max(at.Sub(o.incident.ReportedAt), 0), true
}

func (o *outcome) print(opts *Options) error {
	if opts.Output.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, o.view()); err != nil {
			return err
		}
	} else if err := o.printText(opts); err != nil {
		return err
	}
	if o.err != nil {
		return fmt.Errorf("the case is recorded, but delivering the apologies stopped: %w; see makegood apology list", o.err)
	}
	if n := o.failed(); n > 0 {
		return fmt.Errorf("%d apology(s) not delivered; the case is recorded: retry with the command shown: %w", n, cmdutil.ErrSilent)
	}
	return nil
}

func (o *outcome) printText(opts *Options) error {
	var b strings.Builder
	inc := o.incident
	if o.plan.Action == ActionSave {
		fmt.Fprintf(&b, "Saved incident #%d \"%s\": not fixed yet.\n", inc.ID, cmdutil.Escape(inc.Title))
	} else {
		fmt.Fprintf(&b, "Recorded incident #%d \"%s\".\n", inc.ID, cmdutil.Escape(inc.Title))
	}
	for _, r := range o.rows {
		fmt.Fprintf(&b, "  %s:", cmdutil.CustomerLabel(r.target.Customer))
		switch {
		case r.apology != nil && r.target.Apologized != nil:
			fmt.Fprintf(&b, " apologized %s; it's-fixed follow-up #%d %s", r.target.Apologized.Format(timeInputShape),
				r.apology.ID, deliveryText(o.plan.Via, r))
		case r.apology != nil:
			fmt.Fprintf(&b, " apology #%d %s", r.apology.ID, deliveryText(o.plan.Via, r))
		case r.target.Apologized != nil:
			fmt.Fprintf(&b, " apologized %s", r.target.Apologized.Format(timeInputShape))
		}
		if o.plan.Action == ActionRecord {
			switch {
			case r.target.Compensated:
				b.WriteString("; already compensated")
			case r.credit != nil && r.credit.IsGesture():
				fmt.Fprintf(&b, "; gesture #%d: %s", r.credit.ID, cmdutil.Escape(r.credit.Gesture))
			case r.credit != nil:
				fmt.Fprintf(&b, "; credit #%d %s", r.credit.ID, money.Format(r.credit.AmountMinor, r.credit.Currency))
			default:
				b.WriteString("; nothing given")
			}
		}
		if d, ok := o.timeToApology(r); ok {
			fmt.Fprintf(&b, "; time to apology %s", view.Duration(d))
		}
		b.WriteString("\n")
	}
	if ttf, ok := inc.TimeToFix(); ok {
		fmt.Fprintf(&b, "Time to fix: %s.\n", view.Duration(ttf))
	} else {
		fmt.Fprintf(&b, "Not fixed yet, %s since it was reported. Once it is, resume with: makegood resolve --incident %d\n",
			view.Duration(o.now.Sub(inc.ReportedAt)), inc.ID)
	}
	if _, err := fmt.Fprint(opts.IO.Out, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	for _, r := range o.rows {
		switch {
		case r.sendErr == nil:
		case r.result.Outcome == ledger.OutcomeUnknown:
			fmt.Fprintf(opts.IO.ErrOut, "The outcome of apology #%d to %s is unknown: %v\nIt may have arrived, so it is not sent again unless you say so: "+
				"makegood apology send %d --resend-unknown, or --mark-sent once you know it arrived\n",
				r.apology.ID, cmdutil.CustomerLabel(r.target.Customer), r.sendErr, r.apology.ID)
		case r.result.Refused != nil:
			fmt.Fprintf(opts.IO.ErrOut, "Apology #%d to %s was not sent: %v\n", r.apology.ID, cmdutil.CustomerLabel(r.target.Customer), r.sendErr)
		default:
			fmt.Fprintf(opts.IO.ErrOut, "Could not deliver apology #%d to %s: %v\nThe case is recorded and the apology kept as not sent; retry with: makegood apology send %d\n",
				r.apology.ID, cmdutil.CustomerLabel(r.target.Customer), r.sendErr, r.apology.ID)
		}
	}
	return nil
}

func deliveryText(via string, r *outcomeRow) string {
	switch {
	case via == ViaNone:
		return "recorded (you send it)"
	case r.result.Outcome == ledger.OutcomeUnknown:
		return "delivery UNKNOWN"
	case r.sendErr != nil:
		return "NOT delivered"
	case r.delivery != nil && r.delivery.Status == ledger.DeliveryQueued:
		return "queued in the outbox (" + r.delivery.MessageID + ")"
	case r.delivery != nil:
		return "sent by SMTP"
	}
	return "recorded"
}

// caseView is the --json shape of a case.
type caseView struct {
	Status    string         `json:"status"` // recorded or saved
	Incident  view.Incident  `json:"incident"`
	Customers []customerCase `json:"customers"`
	Resume    *string        `json:"resume"`
}

type customerCase struct {
	Customer             string        `json:"customer"`
	ApologyID            *int64        `json:"apology_id"`
	Delivery             view.Delivery `json:"delivery"`
	Given                string        `json:"given"` // credit, gesture, nothing, none_yet or already
	Option               *string       `json:"option"`
	Credit               *view.Credit  `json:"credit"`
	Gesture              *string       `json:"gesture"`
	Flagged              []findingView `json:"flagged"`
	TimeToApology        *string       `json:"time_to_apology"`
	TimeToApologySeconds *int64        `json:"time_to_apology_seconds"`
}

type findingView struct {
	Line       int    `json:"line"`
	Col        int    `json:"col"`
	Kind       string `json:"kind"`
	Phrase     string `json:"phrase"`
	Suggestion string `json:"suggestion"`
}

func (o *outcome) view() caseView {
	v := caseView{Status: "recorded", Incident: view.NewIncident(o.incident, o.now), Customers: []customerCase{}}
	if o.plan.Action == ActionSave {
		v.Status = "saved"
		s := fmt.Sprintf("makegood resolve --incident %d", o.incident.ID)
		v.Resume = &s
	}
	for _, r := range o.rows {
		c := customerCase{Customer: r.target.Customer.ID, Flagged: []findingView{}}
		c.Delivery = view.Delivery{Via: o.plan.Via, Status: "already_apologized"}
		switch {
		case r.delivery != nil:
			c.Delivery = view.NewDelivery(*r.delivery)
		case r.apology != nil && r.sendErr != nil:
			// Claimed with an unknown outcome, or not attempted.
			e := r.sendErr.Error()
			status, retry := "not_sent", fmt.Sprintf("makegood apology send %d", r.apology.ID)
			if r.result.Outcome == ledger.OutcomeUnknown {
				status, retry = ledger.ApologyUnknown, retry+" --resend-unknown"
			}
			c.Delivery = view.Delivery{Apology: r.apology.ID, Via: o.plan.Via, Status: status, Error: &e, Retry: &retry}
		case r.apology != nil:
			// Recorded without delivery: the operator sends it (--via none).
			c.Delivery = view.Delivery{Apology: r.apology.ID, Via: o.plan.Via, Status: "not_sent_by_makegood"}
		}
		if r.apology != nil {
			id := r.apology.ID
			c.ApologyID = &id
		}
		for _, f := range r.target.Kept {
			c.Flagged = append(c.Flagged, findingView{Line: f.Line, Col: f.Col, Kind: f.Kind, Phrase: f.Phrase, Suggestion: f.Suggestion})
		}
		switch {
		case o.plan.Action == ActionSave:
			c.Given = "none_yet"
		case r.target.Compensated:
			c.Given = "already"
		case r.credit != nil && r.credit.IsGesture():
			c.Given = "gesture"
			g := r.credit.Gesture
			c.Gesture = &g
		case r.credit != nil:
			c.Given = "credit"
			cv := view.NewCredit(*r.credit, o.now)
			c.Credit = &cv
		default:
			c.Given = "nothing"
		}
		if k := r.target.Give.Kind; k != "" && o.plan.Action == ActionRecord && !r.target.Compensated {
			c.Option = &k
		}
		if d, ok := o.timeToApology(r); ok {
			s, secs := view.Duration(d), int64(d/time.Second)
			c.TimeToApology, c.TimeToApologySeconds = &s, &secs
		}
		v.Customers = append(v.Customers, c)
	}
	return v
}
