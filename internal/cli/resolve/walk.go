package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
	"github.com/makegood/makegood/pkg/money"
)

// The walk's steps, as the step indicator names them.
func stepNames() []string {
	return []string{"What happened", "Apologize", "Fix", "Compensate", "Confirm"}
}

const (
	stepWhat = iota
	stepApologize
	stepFix
	stepCompensate
	stepConfirm
)

// Choice values that are not ids.
const (
	choiceNew      = "\x00new"
	fixNow         = "now"
	fixEarlier     = "earlier"
	fixNotYet      = "not_yet"
	findingsEdit   = "edit"
	findingsKeep   = "keep"
	followSend     = "send"
	followSkip     = "skip"
	timeInputShape = "2006-01-02 15:04"
)

// page is one screen of the walk.
type page = prompt.Page

// walk asks the operator, screen by screen, for every decision of a case.
// It reads from src and never writes: the caller carries out the Plan.
type walk struct {
	src             Source
	p               prompt.Stepper
	now             time.Time
	defaultCurrency string
	defaultVia      string
	plan            *Plan

	open      []ledger.Incident
	customers []ledger.Customer

	// Answers bound to fields, kept across Back.
	incidentChoice string
	picked         []string
	started        string
	reported       string
	impact         string
	fixChoice      string
	fixedAt        string
	nc             newCustomer
}

// newCustomer holds the answers about a customer added inline.
type newCustomer struct {
	id, name, email, currency, price, period string
}

// Walk runs the guided walk. With resume set (a saved case picked up with
// --incident), it starts where the case stopped. ErrAborted (Ctrl-C, Esc)
// means nothing was decided.
func Walk(ctx context.Context, src Source, p prompt.Stepper, now time.Time, defaultCurrency, defaultVia string, resume *Plan) (*Plan, error) {
	w := &walk{src: escapedSource{src}, p: p, now: now, defaultCurrency: defaultCurrency, defaultVia: defaultVia}
	var err error
	if w.customers, err = src.Customers(ctx); err != nil {
		return nil, err
	}
	var start page
	if resume != nil {
		w.plan = resume
		if w.plan.Via == "" {
			w.plan.Via = defaultVia
		}
		start = w.resumePage()
	} else {
		w.plan = &Plan{Via: defaultVia}
		if w.open, err = src.OpenIncidents(ctx); err != nil {
			return nil, err
		}
		start = w.whatPage
	}
	if err := prompt.RunPages(ctx, start); err != nil {
		return nil, err
	}
	return w.plan, nil
}

// escapedSource is the walk's Source with its drafts escaped
// (cmdutil.EscapeText): a draft holds the incident's words and the
// customer's name, which come from the ledger, and the walk shows it at the
// terminal, in a text area, a note and the preview. What is shown is what
// goes out, so an escape sequence written into the ledger by another tool
// reaches neither the terminal nor the customer.
type escapedSource struct{ Source }

func (s escapedSource) Draft(ctx context.Context, inc ledger.Incident, fixed bool, c ledger.Customer, give *Give) (string, error) {
	d, err := s.Source.Draft(ctx, inc, fixed, c, give)
	return cmdutil.EscapeText(d), err
}

func stepTitle(step int, detail string) string {
	t := fmt.Sprintf("Step %d of %d · %s", step+1, len(stepNames()), stepNames()[step])
	if detail != "" {
		t += " · " + detail
	}
	return t
}

// resumePage picks up a case the ledger has: an incident opened without
// customers starts at the customers, one without apologies at the
// apologies; a saved case (apologies recorded) at the fix, or at the
// compensation if the fix is in.
func (w *walk) resumePage() page {
	switch {
	case len(w.plan.Targets) == 0:
		w.picked = append(w.picked, w.plan.Incident.Customers...)
		return w.customersPage
	case w.plan.pendingApologies() > 0:
		return w.apologyPage(0)
	}
	if w.plan.Incident.FixedAt != nil {
		w.plan.Fixed, w.plan.FixedAt = true, *w.plan.Incident.FixedAt
		return w.compensatePage(0)
	}
	return w.fixPage
}

// Step 1: what happened.

func (w *walk) whatPage(ctx context.Context, allowBack bool) (bool, page, error) {
	if len(w.open) == 0 {
		w.incidentChoice = choiceNew
		return w.newIncidentPage(ctx, allowBack)
	}
	if w.incidentChoice == "" {
		w.incidentChoice = choiceNew
	}
	opts := make([]prompt.Option, 0, len(w.open)+1)
	for _, inc := range w.open {
		opts = append(opts, prompt.Option{Label: incidentLabel(inc), Value: strconv.FormatInt(inc.ID, 10)})
	}
	opts = append(opts, prompt.Option{Label: "+ A new incident", Value: choiceNew})
	back, err := w.p.Group(ctx, stepTitle(stepWhat, ""), []prompt.Field{
		prompt.SelectField("Which incident is this about?", opts, &w.incidentChoice),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if w.incidentChoice == choiceNew {
		if w.plan.Incident.ID != 0 {
			w.plan.Incident = ledger.Incident{}
		}
		return false, w.newIncidentPage, nil
	}
	for _, inc := range w.open {
		if strconv.FormatInt(inc.ID, 10) == w.incidentChoice {
			if w.plan.Incident.ID != inc.ID {
				w.picked = append([]string(nil), inc.Customers...)
			}
			w.plan.Incident = inc
		}
	}
	return false, w.customersPage, nil
}

func (w *walk) newIncidentPage(ctx context.Context, allowBack bool) (bool, page, error) {
	inc := &w.plan.Incident
	if w.started == "" {
		w.started = w.now.Format(timeInputShape)
	}
	if w.reported == "" {
		w.reported = w.now.Format(timeInputShape)
	}
	if w.impact == "" {
		w.impact = "100%"
	}
	if inc.Severity == "" {
		inc.Severity = "normal"
	}
	sev := make([]prompt.Option, 0, 4)
	for _, s := range ledger.Severities() {
		sev = append(sev, prompt.Option{Label: s, Value: s})
	}
	back, err := w.p.Group(ctx, stepTitle(stepWhat, "a new incident"), []prompt.Field{
		prompt.InputField("Title (a few words)", &inc.Title, func(s string) error {
			return validTitle(s)
		}),
		prompt.TextField("What happened, in plain words (as you would tell the customer)", &inc.What, func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New("say what happened")
			}
			return ledger.ValidateText("what happened", s, ledger.MaxNoteLen)
		}),
		prompt.InputField("When did it start? (YYYY-MM-DD HH:MM, UTC)", &w.started, func(s string) error {
			_, err := w.parseTime(s)
			return err
		}),
		// Time to apology and time to fix run from here, so it is asked
		// rather than taken to be the moment the walk runs.
		prompt.InputField("When did the customer tell you? (YYYY-MM-DD HH:MM, UTC)", &w.reported, func(s string) error {
			t, err := w.parseTime(s)
			if err != nil {
				return err
			}
			if st, err := w.parseTime(w.started); err == nil && t.Before(st) {
				return errors.New("that is before it started")
			}
			return nil
		}),
		prompt.InputField("How much of the service was lost? (100% = down; less when degraded, e.g. 30%)", &w.impact, func(s string) error {
			_, err := ledger.ParseImpact("impact", s)
			return err
		}),
		{Kind: prompt.KindSelect, Title: "Severity", Options: sev, Value: &inc.Severity},
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	started, err := w.parseTime(w.started)
	if err != nil {
		return false, nil, err
	}
	reported, err := w.parseTime(w.reported)
	if err != nil {
		return false, nil, err
	}
	if reported.Before(started) {
		return false, nil, ledger.Fieldf("reported", "%s is before it started", w.reported)
	}
	impact, err := ledger.ParseImpact("impact", w.impact)
	if err != nil {
		return false, nil, err
	}
	inc.ID, inc.StartedAt, inc.ReportedAt, inc.ImpactBP = 0, started, reported, impact
	return false, w.customersPage, nil
}

func validTitle(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("a title is required")
	case strings.ContainsAny(s, "\r\n"):
		return errors.New("one line, please")
	}
	return ledger.ValidateText("title", s, ledger.MaxTitleLen)
}

// parseTime reads a time typed at the prompt: "2026-11-24 09:30" (UTC),
// RFC 3339, or a date. It may not be in the future.
func (w *walk) parseTime(s string) (time.Time, error) {
	t, err := ledger.ParseTimeAs("time", strings.TrimSpace(s), "YYYY-MM-DD HH:MM (UTC)", timeInputShape)
	if err != nil {
		// The prompt is the field: its message alone.
		return time.Time{}, errors.Unwrap(err)
	}
	if ledger.CheckPast("time", t, w.now) != nil {
		return time.Time{}, errors.New("that is in the future")
	}
	return t.UTC(), nil
}

func (w *walk) customersPage(ctx context.Context, allowBack bool) (bool, page, error) {
	var fields []prompt.Field
	if len(w.customers) > 0 {
		opts := make([]prompt.Option, 0, len(w.customers)+1)
		for _, c := range w.customers {
			opts = append(opts, prompt.Option{Label: cmdutil.CustomerLabel(c), Value: c.ID})
		}
		opts = append(opts, prompt.Option{Label: "+ A new customer", Value: choiceNew})
		fields = append(fields, prompt.MultiSelectField("Who was affected? (space picks, / filters)", opts, &w.picked, 1))
	} else {
		w.picked = []string{choiceNew}
	}
	if len(fields) == 0 {
		w.plan.Targets = nil
		return w.newCustomerPage()(ctx, allowBack)
	}
	back, err := w.p.Group(ctx, stepTitle(stepWhat, "customers"), fields, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	var ids []string
	adding := false
	for _, id := range w.picked {
		if id == choiceNew {
			adding = true
			continue
		}
		ids = append(ids, id)
	}
	w.setTargets(ids)
	if adding {
		return false, w.newCustomerPage(), nil
	}
	return false, w.apologyPage(0), nil
}

// setTargets keeps the targets already worked on (their drafts and
// choices) and adds or drops the rest, in the order picked.
func (w *walk) setTargets(ids []string) {
	old := map[string]*Target{}
	for _, t := range w.plan.Targets {
		old[t.Customer.ID] = t
	}
	var ts []*Target
	for _, id := range ids {
		if t, ok := old[id]; ok && !t.New {
			ts = append(ts, t)
			continue
		}
		for _, c := range w.customers {
			if c.ID == id {
				ts = append(ts, &Target{Customer: c})
			}
		}
	}
	w.plan.Targets = ts
}

// newCustomerPage adds a customer inline; its record is written with the
// case.
func (w *walk) newCustomerPage() page {
	nc := &w.nc
	if nc.period == "" {
		nc.currency, nc.period = w.defaultCurrency, ledger.PeriodMonth
	}
	id, name, email, price, period, cur := &nc.id, &nc.name, &nc.email, &nc.price, &nc.period, &nc.currency
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		title := stepTitle(stepWhat, "a new customer")
		back, err := w.p.Group(ctx, title, []prompt.Field{
			prompt.InputField("Customer ID (email, Stripe id, any handle)", id, func(s string) error {
				if err := ledger.ValidateID("customer ID", s); err != nil {
					return err
				}
				for _, c := range w.customers {
					if c.ID == s {
						return fmt.Errorf("%s is already a customer: pick it from the list", s)
					}
				}
				return nil
			}),
			prompt.InputField("Name", name, func(s string) error { return ledger.ValidateText("name", s, ledger.MaxTextLen) }),
			prompt.InputField("Email (where the apology goes)", email, validEmail),
			prompt.InputField("Currency (ISO 4217, e.g. USD)", cur, func(s string) error {
				_, err := money.NormalizeCurrency(s)
				return err
			}),
			prompt.InputField("Price per period, e.g. 49.00 (goodwill suggestions need it)", price, func(s string) error {
				if s == "" {
					return nil
				}
				c, err := money.NormalizeCurrency(*cur)
				if err != nil {
					return errors.New("fix the currency first")
				}
				_, err = money.Parse(s, c)
				return err
			}),
			prompt.SelectField("Billing period", []prompt.Option{{Label: "month", Value: ledger.PeriodMonth}, {Label: "year", Value: ledger.PeriodYear}}, period),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		c := ledger.Customer{ID: *id, Name: *name, Email: *email, Period: *period, CreatedAt: w.now, UpdatedAt: w.now}
		if c.Currency, err = money.NormalizeCurrency(*cur); err != nil {
			return false, nil, &ledger.FieldError{Field: "currency", Err: err}
		}
		if *price != "" {
			a, err := money.Parse(*price, c.Currency)
			if err != nil {
				return false, nil, &ledger.FieldError{Field: "price", Err: err}
			}
			c.PriceMinor = a.Minor
		}
		var ts []*Target
		for _, t := range w.plan.Targets {
			if !t.New {
				ts = append(ts, t)
			}
		}
		w.plan.Targets = append(ts, &Target{Customer: c, New: true})
		return false, w.apologyPage(0), nil
	}
}

func validEmail(s string) error {
	if s == "" {
		return nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

// Step 2: apologize, one page per customer, then the delivery.

func (w *walk) apologyPage(i int) page {
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		if i >= len(w.plan.Targets) {
			return w.deliveryPage(ctx, allowBack)
		}
		t := w.plan.Targets[i]
		if t.Apologized != nil {
			return w.apologyPage(i+1)(ctx, allowBack)
		}
		key := w.plan.Incident.Title + "\x00" + w.plan.Incident.What
		if t.draftedFor != key {
			// The fix is not known yet: the draft says it is being fixed,
			// and the operator edits it if it already is.
			d, err := w.src.Draft(ctx, w.plan.Incident, w.plan.Incident.FixedAt != nil, t.Customer, nil)
			if err != nil {
				return false, nil, err
			}
			t.Apology, t.draftedFor, t.drafted, t.Kept = d, key, d, nil
		}
		back, err := w.p.Group(ctx, stepTitle(stepApologize, w.ofCustomers(i)), []prompt.Field{
			prompt.TextField(fmt.Sprintf("Apology to %s (edit freely; ctrl+e opens your editor)", cmdutil.CustomerLabel(t.Customer)), &t.Apology, func(s string) error {
				if strings.TrimSpace(s) == "" {
					return errors.New("the apology is empty")
				}
				return ledger.ValidateText("apology", s, ledger.MaxApologyLen)
			}),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		t.Kept = nil
		return w.checked(i, stepTitle(stepApologize, w.ofCustomers(i)), "apology", t.Apology, w.apologyPage(i+1))
	}
}

// checked runs apology check over a message the walk is about to send
// (the apology, or the it's-fixed follow-up) and goes on to next when it
// finds nothing; else to the findings, where keeping a flagged phrase
// needs saying so.
func (w *walk) checked(i int, title, what, text string, next page) (bool, page, error) {
	findings := apology.Check(text, w.src.Rules())
	if len(findings) == 0 {
		return false, next, nil
	}
	return false, w.findingsPage(i, title, what, text, findings, next), nil
}

// findingsPage shows what apology check found under the message, and asks
// to edit it or to keep the flagged phrases knowingly.
func (w *walk) findingsPage(i int, title, what, text string, findings []apology.Finding, next page) page {
	choice := findingsEdit
	return func(ctx context.Context, _ bool) (bool, page, error) {
		t := w.plan.Targets[i]
		lines := make([]string, len(findings))
		for k, f := range findings {
			lines[k] = f.String()
		}
		back, err := w.p.Group(ctx, title, []prompt.Field{
			prompt.Note("Your "+what, text),
			prompt.Note("apology check found", strings.Join(lines, "\n")),
			prompt.SelectField("Before it goes out", []prompt.Option{
				{Label: "Edit the " + what, Value: findingsEdit},
				{Label: "Keep it as written: I stand by the flagged phrases", Value: findingsKeep},
			}, &choice),
		}, false)
		if err != nil {
			return false, nil, err
		}
		if back || choice == findingsEdit {
			// Back to the text, which is the page before this one.
			return true, nil, nil
		}
		t.Kept = findings
		return false, next, nil
	}
}

func (w *walk) deliveryPage(ctx context.Context, allowBack bool) (bool, page, error) {
	if w.plan.pendingApologies() == 0 {
		return w.fixPage(ctx, allowBack)
	}
	via := w.viaField("How should the apology go out?", w.plan.checkEmails)
	back, err := w.p.Group(ctx, stepTitle(stepApologize, "delivery"), []prompt.Field{via}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	return false, w.fixPage, nil
}

// viaField asks how the case's messages go out (outbox by default);
// check refuses a way some customer cannot be reached by.
func (w *walk) viaField(title string, check func(via string) error) prompt.Field {
	if w.plan.Via == "" {
		w.plan.Via = ViaOutbox
	}
	f := prompt.SelectField(title, []prompt.Option{
		{Label: "Outbox: queued as a ready-to-send .eml file beside the ledger (you send it)", Value: ViaOutbox},
		{Label: "SMTP: send it now through the configured server", Value: ViaSMTP},
		{Label: "I'll send it myself (record it only)", Value: ViaNone},
	}, &w.plan.Via)
	f.Validate = check
	return f
}

// Step 3: fix.

func (w *walk) fixPage(ctx context.Context, allowBack bool) (bool, page, error) {
	if w.plan.Incident.FixedAt != nil {
		w.plan.Fixed, w.plan.FixedAt = true, *w.plan.Incident.FixedAt
		return w.compensatePage(0)(ctx, allowBack)
	}
	if w.fixChoice == "" {
		w.fixChoice = fixNow
	}
	fields := []prompt.Field{}
	if w.plan.Incident.ID != 0 {
		note := fmt.Sprintf("Started %s, reported %s.",
			w.plan.Incident.StartedAt.Format(timeInputShape), w.plan.Incident.ReportedAt.Format(timeInputShape))
		if bp := w.plan.Incident.ImpactBP; bp != 0 && bp != ledger.FullImpact {
			note += fmt.Sprintf(" Degraded: %s of the service lost.", ledger.FormatImpact(bp))
		}
		fields = append(fields, prompt.Note(cmdutil.Escape(w.plan.Incident.Title), note))
	}
	fields = append(fields, prompt.SelectField("Is it fixed?", []prompt.Option{
		{Label: "Yes, just now", Value: fixNow},
		{Label: "Yes, earlier (I'll say when)", Value: fixEarlier},
		{Label: "Not yet: save the case and come back when it is", Value: fixNotYet},
	}, &w.fixChoice))
	back, err := w.p.Group(ctx, stepTitle(stepFix, ""), fields, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	switch w.fixChoice {
	case fixNow:
		w.plan.Fixed, w.plan.FixedAt = true, w.now
		return false, w.compensatePage(0), nil
	case fixEarlier:
		return false, w.fixedAtPage, nil
	default:
		w.plan.Fixed, w.plan.FixedAt = false, time.Time{}
		return false, w.savePage, nil
	}
}

func (w *walk) fixedAtPage(ctx context.Context, allowBack bool) (bool, page, error) {
	if w.fixedAt == "" {
		w.fixedAt = w.now.Format(timeInputShape)
	}
	back, err := w.p.Group(ctx, stepTitle(stepFix, "when"), []prompt.Field{
		prompt.InputField("Fixed at (YYYY-MM-DD HH:MM, UTC)", &w.fixedAt, func(s string) error {
			t, err := w.parseTime(s)
			if err == nil && w.plan.Incident.CheckAfterStart("fixed at", t) != nil {
				err = errors.New("that is before the incident started")
			}
			return err
		}),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	t, err := w.parseTime(w.fixedAt)
	if err != nil {
		return false, nil, err
	}
	w.plan.Fixed, w.plan.FixedAt = true, t
	return false, w.compensatePage(0), nil
}

// savePage confirms saving an unfinished case: the incident, the customers
// and the apologies, which go out now — an apology should not wait for the
// fix.
func (w *walk) savePage(ctx context.Context, allowBack bool) (bool, page, error) {
	ok := true
	back, err := w.p.Group(ctx, stepTitle(stepFix, "save for later"), []prompt.Field{
		prompt.Note("Will be saved", w.summary(false)),
		prompt.ConfirmField(fmt.Sprintf("Save the case and %s now?", w.plan.deliveryVerb()), &ok),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if !ok {
		return false, nil, prompt.ErrAborted
	}
	w.plan.Action = ActionSave
	return false, nil, nil
}

// Step 4: compensate, one page per customer.

func (w *walk) compensatePage(i int) page {
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		if i >= len(w.plan.Targets) {
			return w.amendPage(0)(ctx, allowBack)
		}
		t := w.plan.Targets[i]
		if t.Compensated {
			return w.compensatePage(i+1)(ctx, allowBack)
		}
		if t.Suggestion == nil && t.NoSuggestion == "" {
			s, err := w.src.Suggest(ctx, w.plan.Incident, w.plan.downtime(w.now), t.Customer)
			if err != nil {
				t.NoSuggestion = err.Error()
			} else {
				t.Suggestion = &s
			}
		}
		var fields []prompt.Field
		var opts []prompt.Option
		if t.Suggestion != nil {
			for k, o := range t.Suggestion.Options {
				opts = append(opts, prompt.Option{Label: optionLabel(o), Value: "opt:" + strconv.Itoa(k)})
			}
			for _, f := range t.Suggestion.Flags {
				fields = append(fields, prompt.Note("Note: "+strings.ReplaceAll(f.Code, "_", " "), cmdutil.Escape(f.Message)))
			}
		} else {
			fields = append(fields, prompt.Note("No suggestion", cmdutil.Escape(t.NoSuggestion)))
		}
		opts = append(opts,
			prompt.Option{Label: "A custom amount…", Value: GiveCustom},
			prompt.Option{Label: "A gesture of your own…", Value: GiveOwnGesture},
			prompt.Option{Label: "Nothing", Value: GiveNothing})
		if t.choice == "" {
			t.choice = opts[0].Value // the recommendation, or a custom amount
		}
		choice := &t.choice
		fields = append(fields, prompt.SelectField(fmt.Sprintf("What will you give %s?", cmdutil.CustomerLabel(t.Customer)), opts, choice))
		back, err := w.p.Group(ctx, stepTitle(stepCompensate, w.ofCustomers(i)), fields, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		switch {
		case strings.HasPrefix(*choice, "opt:"):
			k, _ := strconv.Atoi(strings.TrimPrefix(*choice, "opt:"))
			t.Give = optionGive(t.Suggestion.Options[k])
			return false, w.compensatePage(i + 1), nil
		case *choice == GiveCustom:
			return false, w.customAmountPage(i), nil
		case *choice == GiveOwnGesture:
			return false, w.ownGesturePage(i), nil
		default:
			return false, w.nothingPage(i), nil
		}
	}
}

// optionLabel shows an option with its amount and its reason, so the
// operator chooses with the figures in view. A gesture's words and a
// reason come from the config and the ledger: escaped.
func optionLabel(o goodwill.Option) string {
	kind := strings.ReplaceAll(o.Kind, "_", " ")
	if o.Kind == goodwill.KindGesture {
		return cmdutil.Escape(fmt.Sprintf("gesture: %s — %s", o.Gesture, o.Reason))
	}
	return cmdutil.Escape(fmt.Sprintf("%s %s — %s", money.Format(o.Amount.Minor, o.Amount.Currency), kind, o.Reason))
}

func (w *walk) customAmountPage(i int) page {
	amount := ""
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		t := w.plan.Targets[i]
		cur := w.targetCurrency(t)
		back, err := w.p.Group(ctx, stepTitle(stepCompensate, w.ofCustomers(i)), []prompt.Field{
			prompt.InputField(fmt.Sprintf("Amount in %s", cur), &amount, func(s string) error {
				a, err := money.Parse(s, cur)
				if err == nil && a.Minor <= 0 {
					err = errors.New("must be more than zero; choose Nothing to give nothing")
				}
				return err
			}),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		a, err := money.Parse(amount, cur)
		if err != nil {
			return false, nil, &ledger.FieldError{Field: "amount", Err: err}
		}
		t.Give = Give{Kind: GiveCustom, Amount: a, Reason: "chosen by the operator"}
		return false, w.compensatePage(i + 1), nil
	}
}

func (w *walk) targetCurrency(t *Target) string {
	if t.Suggestion != nil {
		return t.Suggestion.Currency
	}
	cur, _, err := ledger.CreditCurrency(t.Customer, w.defaultCurrency)
	if err != nil {
		return w.defaultCurrency
	}
	return cur
}

func (w *walk) ownGesturePage(i int) page {
	text := ""
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		t := w.plan.Targets[i]
		back, err := w.p.Group(ctx, stepTitle(stepCompensate, w.ofCustomers(i)), []prompt.Field{
			prompt.InputField("The gesture (e.g. a handwritten card, a free month of Pro)", &text, validGesture),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		t.Give = Give{Kind: GiveOwnGesture, Gesture: strings.TrimSpace(text), Reason: "chosen by the operator"}
		return false, w.compensatePage(i + 1), nil
	}
}

func validGesture(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("say what the gesture is")
	case strings.ContainsAny(s, "\r\n"):
		return errors.New("one line, please")
	}
	return ledger.ValidateText("gesture", s, maxGestureRunes)
}

func (w *walk) nothingPage(i int) page {
	sure := false
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		t := w.plan.Targets[i]
		back, err := w.p.Group(ctx, stepTitle(stepCompensate, w.ofCustomers(i)), []prompt.Field{
			prompt.Note("Giving nothing is the exception", "Restoring what should have been is step one; something extra is what customers remember."),
			prompt.ConfirmField(fmt.Sprintf("Really give %s nothing?", cmdutil.CustomerLabel(t.Customer)), &sure),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		if !sure {
			return true, nil, nil // back to the options
		}
		t.Give = Give{Kind: GiveNothing, Reason: "nothing, confirmed by the operator"}
		return false, w.compensatePage(i + 1), nil
	}
}

// amendPage keeps an apology the operator edited true: it was written
// before the fix and the compensation were known, so when the draft now
// says more (it is fixed; what is given), the walk shows what the draft
// says and asks whether to add it. An apology left as drafted is written
// again at the confirmation instead.
func (w *walk) amendPage(i int) page {
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		if i >= len(w.plan.Targets) {
			return w.followUpPage(0)(ctx, allowBack)
		}
		t := w.plan.Targets[i]
		if t.Apologized != nil || t.drafted == "" || (t.Apology == t.drafted && t.amendBase == "") {
			return w.amendPage(i+1)(ctx, allowBack)
		}
		base := t.amendBase
		if base == "" {
			base = t.Apology
		}
		d, err := w.src.Draft(ctx, w.plan.Incident, w.plan.Fixed, t.Customer, w.plan.giveFor(t))
		if err != nil {
			return false, nil, err
		}
		ch := draftChange(t.drafted, d)
		if ch.empty() {
			t.Apology, t.amendBase = base, ""
			return w.amendPage(i+1)(ctx, allowBack)
		}
		if !t.amendAsked {
			t.amendYes, t.amendAsked = true, true
		}
		back, err := w.p.Group(ctx, stepTitle(stepCompensate, w.ofCustomers(i)+" · your apology"), []prompt.Field{
			prompt.Note("You edited the apology before it was fixed and compensated", "The draft now says:\n\n"+ch.String()),
			prompt.ConfirmField("Add this to your apology?", &t.amendYes),
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		t.amendBase = base
		t.Apology = base
		if t.amendYes {
			t.Apology = ch.apply(base)
		}
		return false, w.amendPage(i + 1), nil
	}
}

// followUpPage offers, for each customer apologized to before the fix (a
// saved case resumed once it is fixed), the "it's fixed" follow-up the
// first apology promised, with what they are given.
func (w *walk) followUpPage(i int) page {
	return func(ctx context.Context, allowBack bool) (bool, page, error) {
		if i >= len(w.plan.Targets) {
			return w.confirmPage(ctx, allowBack)
		}
		t := w.plan.Targets[i]
		if !w.plan.followUpDue(t) {
			t.FollowUp = ""
			return w.followUpPage(i+1)(ctx, allowBack)
		}
		d, err := w.src.Draft(ctx, w.plan.Incident, true, t.Customer, w.plan.giveFor(t))
		if err != nil {
			return false, nil, err
		}
		if t.followText == t.followDrafted { // not edited: follow the compensation
			t.followText = d
		}
		t.followDrafted = d
		if t.followChoice == "" {
			t.followChoice = followSend
		}
		via := w.viaField("How should it go out?", func(v string) error {
			if _, err := t.Customer.MailAddress(); v != ViaNone && err != nil {
				return noEmail(t.Customer)
			}
			return nil
		})
		title := stepTitle(stepCompensate, w.ofCustomers(i)+" · it's fixed")
		back, err := w.p.Group(ctx, title, []prompt.Field{
			prompt.TextField(fmt.Sprintf("The follow-up to %s, apologized to %s (edit freely)", cmdutil.CustomerLabel(t.Customer), t.Apologized.Format(timeInputShape)), &t.followText, func(s string) error {
				if strings.TrimSpace(s) == "" {
					return errors.New("the follow-up is empty; choose not to send it instead")
				}
				return ledger.ValidateText("follow-up", s, ledger.MaxApologyLen)
			}),
			prompt.SelectField("Send the follow-up?", []prompt.Option{
				{Label: "Yes, with the case", Value: followSend},
				{Label: "No, not this time", Value: followSkip},
			}, &t.followChoice),
			via,
		}, allowBack)
		if err != nil || back {
			return back, nil, err
		}
		t.FollowUp, t.Kept = "", nil
		if t.followChoice != followSend {
			return false, w.followUpPage(i + 1), nil
		}
		t.FollowUp = t.followText
		return w.checked(i, title, "follow-up", t.FollowUp, w.followUpPage(i+1))
	}
}

// Step 5: confirm.

func (w *walk) confirmPage(ctx context.Context, allowBack bool) (bool, page, error) {
	w.plan.Action = ActionRecord
	if err := w.plan.refreshDrafts(ctx, w.src); err != nil {
		return false, nil, err
	}
	w.plan.Action = 0
	ok := true
	back, err := w.p.Group(ctx, stepTitle(stepConfirm, ""), []prompt.Field{
		prompt.Note("Will be recorded in one go", w.summary(true)),
		w.apologyPreview(),
		prompt.ConfirmField(fmt.Sprintf("Record all of this and %s?", w.plan.deliveryVerb()), &ok),
	}, allowBack)
	if err != nil || back {
		return back, nil, err
	}
	if !ok {
		return false, nil, prompt.ErrAborted
	}
	w.plan.Action = ActionRecord
	return false, nil, nil
}

// summary lists what the plan will write and send.
func (w *walk) summary(withGive bool) string {
	p := w.plan
	var b strings.Builder
	if p.Incident.ID != 0 {
		fmt.Fprintf(&b, "Incident #%d: %s\n", p.Incident.ID, cmdutil.Escape(p.Incident.Title))
	} else {
		fmt.Fprintf(&b, "New incident: %s (%s), started %s, reported %s", cmdutil.Escape(p.Incident.Title), p.Incident.Severity,
			p.Incident.StartedAt.Format(timeInputShape), p.Incident.ReportedAt.Format(timeInputShape))
		if bp := p.Incident.ImpactBP; bp != 0 && bp != ledger.FullImpact {
			fmt.Fprintf(&b, ", %s impact", ledger.FormatImpact(bp))
		}
		b.WriteString("\n")
	}
	if p.Fixed {
		fmt.Fprintf(&b, "Fixed at %s\n", p.FixedAt.Format(timeInputShape))
	} else {
		b.WriteString("Not fixed yet\n")
	}
	for _, t := range p.Targets {
		fmt.Fprintf(&b, "• %s", cmdutil.CustomerLabel(t.Customer))
		if t.New {
			b.WriteString(" (new customer)")
		}
		switch {
		case t.Apologized != nil && t.FollowUp != "":
			fmt.Fprintf(&b, ": apology already sent %s; the it's-fixed follow-up %s", t.Apologized.Format(timeInputShape), viaText(p.Via))
			if len(t.Kept) > 0 {
				fmt.Fprintf(&b, " (%d flagged phrase(s) kept)", len(t.Kept))
			}
		case t.Apologized != nil:
			fmt.Fprintf(&b, ": apology already sent %s", t.Apologized.Format(timeInputShape))
		default:
			fmt.Fprintf(&b, ": apology %s", viaText(p.Via))
			if len(t.Kept) > 0 {
				fmt.Fprintf(&b, " (%d flagged phrase(s) kept)", len(t.Kept))
			}
		}
		if withGive {
			if t.Compensated {
				b.WriteString("; already compensated")
			} else {
				fmt.Fprintf(&b, "; %s", cmdutil.Escape(t.Give.Describe()))
			}
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (w *walk) ofCustomers(i int) string {
	t := w.plan.Targets[i]
	if len(w.plan.Targets) == 1 {
		return cmdutil.CustomerLabel(t.Customer)
	}
	return fmt.Sprintf("%s (%d of %d)", cmdutil.CustomerLabel(t.Customer), i+1, len(w.plan.Targets))
}

// apologyPreview shows the apology as it will go out (the first pending
// one, when there are several), since a draft left as it was now says what
// is given: the subject in the note's title, then the text with its
// paragraph breaks (runs of blank lines shown as one), cut short so that
// the step, its title included, fits a small terminal.
func (w *walk) apologyPreview() prompt.Field {
	const most = 9
	for _, t := range w.plan.Targets {
		text := t.outgoing()
		if text == "" {
			continue
		}
		subject, paras := splitDraft(text)
		title := "The apology"
		if t.Apologized != nil {
			title = "The follow-up"
		}
		// The title names the subject; its "Subject:" header is the
		// draft's syntax, not something to show twice.
		if subject = strings.TrimSpace(strings.TrimPrefix(subject, "Subject:")); subject != "" {
			title += " · " + subject
		}
		var lines []string
		for i, p := range paras {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, strings.Split(p, "\n")...)
		}
		if len(lines) > most {
			lines = append(lines[:most-1], fmt.Sprintf("… (%d more lines)", len(lines)-most+1))
		}
		return prompt.Note(title, strings.Join(lines, "\n"))
	}
	return prompt.Note("The apology", "already sent")
}

// viaText says what happens to an apology sent this way, in the words of
// the preview and the confirmation: only SMTP sends.
func viaText(via string) string {
	switch via {
	case ViaOutbox:
		return "to be queued in the outbox"
	case ViaSMTP:
		return "to be sent by SMTP"
	}
	return "recorded; you send it yourself"
}

// deliveryVerb is what confirming does with the apology.
func (p *Plan) deliveryVerb() string {
	switch p.Via {
	case ViaOutbox:
		return "queue the apology in the outbox"
	case ViaSMTP:
		return "send the apology by SMTP"
	}
	return "record the apology (you send it)"
}
