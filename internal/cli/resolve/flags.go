package resolve

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/fileutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
	"github.com/makegood/makegood/pkg/money"
)

// planFromFlags makes the walk's decisions from flags alone, for scripts.
// base is the case as the ledger has it when --incident names one (nil for
// a new incident). Every decision still missing is an error naming its
// flag; nothing is written either way.
func planFromFlags(ctx context.Context, src Source, o *Options, now time.Time, base *Plan, defaultCurrency, defaultVia string, stdin io.Reader) (*Plan, error) {
	plan := base
	if plan == nil {
		inc, err := newIncidentFromFlags(o, now)
		if err != nil {
			return nil, err
		}
		plan = &Plan{Incident: inc}
	}
	if err := targetsFromFlags(ctx, src, o, plan); err != nil {
		return nil, err
	}
	plan.Via = o.Via
	if plan.Via == "" {
		plan.Via = defaultVia
	}
	if err := plan.checkEmails(plan.Via); err != nil {
		return nil, &ledger.FieldError{Field: "--via", Err: err}
	}

	if err := apologiesFromFlags(ctx, src, o, plan, stdin); err != nil {
		return nil, err
	}

	switch {
	case plan.Incident.FixedAt != nil:
		if o.FixedAt != "" || o.NotFixed {
			flag := "--fixed-at"
			if o.NotFixed {
				flag = "--not-fixed"
			}
			return nil, ledger.Fieldf(flag, "incident #%d was already fixed at %s", plan.Incident.ID, plan.Incident.FixedAt.Format(time.RFC3339))
		}
		plan.Fixed, plan.FixedAt = true, *plan.Incident.FixedAt
	case o.FixedAt != "":
		t, err := parseFixedAt(o.FixedAt, now, plan.Incident)
		if err != nil {
			return nil, err
		}
		plan.Fixed, plan.FixedAt = true, t
	case o.NotFixed:
		if plan.pendingApologies() == 0 {
			return nil, ledger.Fieldf("--not-fixed", "incident #%d is saved already and every apology is recorded: nothing to save; once it is fixed, resume with --fixed-at", plan.Incident.ID)
		}
		plan.Action = ActionSave
		return plan, nil
	default:
		return nil, cmdutil.RequiredError("--fixed-at or --not-fixed")
	}

	if o.compensationFlag() == "" && plan.pendingCompensations() > 0 {
		return nil, cmdutil.RequiredError(compensationRequired)
	}
	for _, t := range plan.Targets {
		if t.Compensated {
			continue
		}
		if err := giveFromFlags(ctx, src, o, plan, t, now, defaultCurrency); err != nil {
			return nil, err
		}
	}
	plan.Action = ActionRecord
	if err := plan.refreshDrafts(ctx, src); err != nil {
		return nil, err
	}
	if err := followUpsFromFlags(ctx, src, o, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// followUpsFromFlags writes the it's-fixed follow-up, from the template
// with the fix and what is given, for every customer due one
// (Plan.followUpDue) when --follow-up asks; without it they are counted,
// so the run can say that nobody told them.
func followUpsFromFlags(ctx context.Context, src Source, o *Options, plan *Plan) error {
	due := 0
	for _, t := range plan.Targets {
		if !plan.followUpDue(t) {
			continue
		}
		due++
		if !o.FollowUp {
			continue
		}
		if _, err := t.Customer.MailAddress(); plan.Via != ViaNone && err != nil {
			return &ledger.FieldError{Field: "--via", Err: noEmail(t.Customer)}
		}
		d, err := src.Draft(ctx, plan.Incident, true, t.Customer, plan.giveFor(t))
		if err != nil {
			return err
		}
		if findings := apology.Check(d, src.Rules()); len(findings) > 0 {
			return flaggedError("the follow-up draft", findings)
		}
		t.FollowUp = d
	}
	switch {
	case o.FollowUp && due == 0:
		return ledger.Fieldf("--follow-up", "nobody affected by incident #%d was apologized to before the fix: there is no follow-up to send", plan.Incident.ID)
	case !o.FollowUp:
		plan.followUpsLeft = due
	}
	return nil
}

func newIncidentFromFlags(o *Options, now time.Time) (ledger.Incident, error) {
	inc := ledger.Incident{Title: o.Title, What: o.What, Severity: o.Severity, StartedAt: now, ReportedAt: now}
	if inc.Severity == "" {
		inc.Severity = "normal"
	}
	if err := validTitle(o.Title); err != nil {
		return ledger.Incident{}, &ledger.FieldError{Field: "--title", Err: err}
	}
	if strings.TrimSpace(o.What) == "" {
		return ledger.Incident{}, ledger.Fieldf("--what", "must not be empty: say what happened, in plain words")
	}
	if err := ledger.ValidateText("--what", o.What, ledger.MaxNoteLen); err != nil {
		return ledger.Incident{}, err
	}
	if o.Started != "" {
		t, err := ledger.ParsePastTime("--started", o.Started, now)
		if err != nil {
			return ledger.Incident{}, err
		}
		inc.StartedAt = t
	}
	if o.Reported != "" {
		t, err := ledger.ParsePastTime("--reported", o.Reported, now)
		if err != nil {
			return ledger.Incident{}, err
		}
		inc.ReportedAt = t
	}
	if err := ledger.CheckReported("--reported", "--started", inc.ReportedAt, inc.StartedAt); err != nil {
		return ledger.Incident{}, err
	}
	if o.Impact != "" {
		bp, err := ledger.ParseImpact("--impact", o.Impact)
		if err != nil {
			return ledger.Incident{}, err
		}
		inc.ImpactBP = bp
	}
	return inc, nil
}

// targetsFromFlags narrows the case to --customer when given; a new
// incident needs it, a saved one defaults to the customers it affected.
func targetsFromFlags(ctx context.Context, src Source, o *Options, plan *Plan) error {
	if len(o.Customers) == 0 {
		if len(plan.Targets) == 0 {
			return cmdutil.RequiredError("--customer")
		}
		return nil
	}
	known := map[string]*Target{}
	for _, t := range plan.Targets {
		known[t.Customer.ID] = t
	}
	all, err := src.Customers(ctx)
	if err != nil {
		return err
	}
	var ts []*Target
	seen := map[string]bool{}
	for _, id := range o.Customers {
		if err := ledger.ValidateID("--customer", id); err != nil {
			return err
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if t, ok := known[id]; ok {
			ts = append(ts, t)
			continue
		}
		var found *ledger.Customer
		for i := range all {
			if all[i].ID == id {
				found = &all[i]
			}
		}
		if found == nil {
			return ledger.Fieldf("--customer", "customer %q is not in the ledger; add it first with `makegood customer add %s`", id, id)
		}
		ts = append(ts, &Target{Customer: *found})
	}
	plan.Targets = ts
	return nil
}

// apologiesFromFlags fills in the apology for each customer not yet
// apologized to: --apology-file for all of them, or each one's draft.
func apologiesFromFlags(ctx context.Context, src Source, o *Options, plan *Plan, stdin io.Reader) error {
	if plan.pendingApologies() == 0 {
		if o.ApologyFile != "" {
			return ledger.Fieldf("--apology-file", "every customer of incident #%d has had an apology already", plan.Incident.ID)
		}
		return nil
	}
	var body string
	if o.ApologyFile != "" {
		b, err := readApology(o.ApologyFile, stdin)
		if err != nil {
			return err
		}
		body = b
		if strings.TrimSpace(body) == "" {
			return ledger.Fieldf("--apology-file", "the apology is empty")
		}
		if err := ledger.ValidateText("--apology-file", body, ledger.MaxApologyLen); err != nil {
			return err
		}
	}
	for _, t := range plan.Targets {
		if t.Apologized != nil {
			continue
		}
		text, field := body, "--apology-file"
		if o.ApologyFile == "" {
			d, err := src.Draft(ctx, plan.Incident, plan.Incident.FixedAt != nil || o.FixedAt != "", t.Customer, nil)
			if err != nil {
				return err
			}
			text, field = d, "the apology draft"
			t.drafted = d
		}
		findings := apology.Check(text, src.Rules())
		if len(findings) > 0 && !o.KeepFlagged {
			return flaggedError(field, findings)
		}
		t.Apology, t.Kept = text, findings
	}
	return nil
}

// flaggedError lists apology check's findings, one per line, with the
// line and column in the text, and says how to go ahead anyway.
func flaggedError(field string, findings []apology.Finding) error {
	lines := make([]string, len(findings))
	for i, f := range findings {
		lines[i] = "  " + f.String()
	}
	hint := "edit it, or pass --keep-flagged to send it as written"
	switch field {
	case "--apology-file":
	case "the follow-up draft":
		hint = "fix the template, or resume the case at a terminal to edit the follow-up"
	default:
		hint = "write your own with --apology-file, or fix the template"
	}
	return &ledger.FieldError{Field: field, Line: findings[0].Line, Err: fmt.Errorf(
		"apology check flagged %d phrase(s); %s:\n%s", len(findings), hint, strings.Join(lines, "\n"))}
}

// maxApologyFile bounds what --apology-file reads: an apology's most
// characters, at the most bytes UTF-8 takes for one.
const maxApologyFile = 4 * ledger.MaxApologyLen

func readApology(path string, stdin io.Reader) (string, error) {
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = fileutil.ReadAllBounded("--apology-file", "standard input", stdin, maxApologyFile)
	} else {
		b, err = fileutil.ReadBounded("--apology-file", path, maxApologyFile)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\n") + "\n", nil
}

// parseFixedAt reads --fixed-at: "now", RFC 3339 or a date; not in the
// future, not before the incident started.
func parseFixedAt(s string, now time.Time, inc ledger.Incident) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	t, err := ledger.ParsePastTime("--fixed-at", s, now)
	if err != nil {
		return time.Time{}, err
	}
	return t, inc.CheckAfterStart("--fixed-at", t)
}

// giveFromFlags decides one customer's compensation from the flag given.
func giveFromFlags(ctx context.Context, src Source, o *Options, plan *Plan, t *Target, now time.Time, defaultCurrency string) error {
	label := cmdutil.CustomerLabel(t.Customer)
	suggest := func(flag string) (goodwill.Suggestion, error) {
		s, err := src.Suggest(ctx, plan.Incident, plan.downtime(now), t.Customer)
		if err != nil {
			return s, ledger.Fieldf(flag, "no suggestion for %s: %v; or give --amount or --gesture instead", label, err)
		}
		t.Suggestion = &s
		return s, nil
	}
	switch {
	case o.AcceptSuggestion:
		s, err := suggest("--accept-suggestion")
		if err != nil {
			return err
		}
		t.Give = optionGive(s.Recommended)
	case o.Pick != "":
		s, err := suggest("--pick")
		if err != nil {
			return err
		}
		for _, opt := range s.Options {
			if opt.Kind == o.Pick {
				t.Give = optionGive(opt)
				return nil
			}
		}
		return ledger.Fieldf("--pick", "goodwill suggest has no %s option for %s", o.Pick, label)
	case o.Amount != "":
		cur, _, err := ledger.CreditCurrency(t.Customer, defaultCurrency)
		if err != nil {
			return err
		}
		if cur == "" {
			return ledger.NoCurrency("--amount", t.Customer)
		}
		a, err := money.Parse(o.Amount, cur)
		if err != nil {
			return &ledger.FieldError{Field: "--amount", Err: err}
		}
		if a.Minor <= 0 {
			return ledger.Fieldf("--amount", "must be more than zero; use --no-compensation to give nothing")
		}
		t.Give = Give{Kind: GiveCustom, Amount: a, Reason: "chosen by the operator"}
	case o.Gesture != "":
		if err := validGesture(o.Gesture); err != nil {
			return &ledger.FieldError{Field: "--gesture", Err: err}
		}
		t.Give = Give{Kind: GiveOwnGesture, Gesture: strings.TrimSpace(o.Gesture), Reason: "chosen by the operator"}
	case o.NoCompensation:
		t.Give = Give{Kind: GiveNothing, Reason: "nothing, confirmed with --no-compensation"}
	}
	// The amount checks credit issue makes, made now to name the flag;
	// the ledger makes them again as it writes.
	if t.Give.Money() {
		if err := money.Check(t.Give.Amount.Minor, t.Give.Amount.Currency); err != nil {
			return ledger.Fieldf("--"+o.compensationFlag(), "%s for %s: %v", strings.ReplaceAll(t.Give.Kind, "_", " "), label, err)
		}
	}
	return nil
}

func (p *Plan) pendingApologies() int {
	n := 0
	for _, t := range p.Targets {
		if t.Apologized == nil {
			n++
		}
	}
	return n
}

func (p *Plan) pendingCompensations() int {
	n := 0
	for _, t := range p.Targets {
		if !t.Compensated {
			n++
		}
	}
	return n
}
