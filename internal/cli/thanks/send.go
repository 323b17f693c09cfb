package thanks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/thanks/shared"
	"github.com/makegood/makegood/internal/delivery"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/procs"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/thanks"
	"github.com/makegood/makegood/pkg/money"
)

// SendOptions holds `thanks send`'s inputs.
type SendOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Prompter        func() prompt.Prompter
	Now             func() time.Time
	Mail            func() (mail.Config, error)
	CanPrompt       bool
	Windows         thanks.DueOptions
	TemplateDir     string
	DefaultCurrency string
	// plans prices customers on a plan without a price of their own.
	plans ledger.PlanPrices

	Customer      string
	Due           bool
	Segment       string
	Occasion      string
	Incident      string
	WithCredit    string
	Via           string
	DryRun        bool
	Yes           bool
	ResendUnknown bool
	MarkSent      bool
	Output        cmdutil.OutputFlags

	occasion occasionFlag
	segment  thanks.Segment
}

// NewCmdSend builds `thanks send`.
func NewCmdSend(f *cmdutil.Factory, runF func(*SendOptions) error) *cobra.Command {
	opts := &SendOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now, Mail: f.MailConfig}
	cmd := &cobra.Command{
		Use:   "send (--customer ID | --due | --segment EXPR)",
		Short: "Write and deliver thank-you notes, never twice for the same occasion",
		Long: `Write and deliver thank-you notes.

Choose who: one customer (--customer), everyone due today (--due, for a
weekly cron job), or a segment (--segment): terms over tenure, tag, plan,
price and currency joined by commas, all of which must hold, such as
tenure>=2y,tag=vip or price>=100,currency=USD. Without --occasion the
occasions that come due by themselves are sent: welcome, anniversary, and
after_recovery once an incident is fixed and made good.
--occasion just_because thanks people for no reason at all (at most once per
cool-down), milestone:NAME for a milestone you name, after_recovery with
--incident ID after you put an incident right (an incident id from the
ledger, or a free-text name for one it does not hold).

Never twice: a customer already thanked for the same occasion (the welcome,
the third anniversary, the launch milestone) is skipped and counted. Each
note is claimed in the ledger before it leaves, so two runs at once, or a
run killed at any moment, never mail anyone twice: a note another run is
sending is skipped; a note whose attempt ended without anyone knowing
whether it arrived (the run was killed mid-send, or the SMTP server hung up
before answering) is reported as unknown and not sent again unless you say
so with --resend-unknown, or record that it did arrive with --mark-sent. A
run killed while writing to the outbox is settled by the next one from the
outbox: a file written whole is recorded as sent, never written twice. A
note that failed is recorded as failed and sent by the next run.

No pile of notes: a note due within thanks.cooldown days (default 7; 0 for
none) of the customer's last note or apology is deferred, and of several
due at once only the first goes; thanks due shows when the rest come due.

--mark-sent records the selected notes as sent without sending anything,
for notes you delivered some other way or attempts you checked did arrive.

Notes go to the customer's email, or to their id when the id is an email
address and the email field is empty (as apologies do).

Delivery (--via, or mail.via in the config): outbox (default) writes .eml
files into the outbox directory beside the ledger (mail.outbox), smtp sends
through smtp.host with smtp.username and the password from smtp.password or
MAKEGOOD_SMTP_PASSWORD (never a flag), print writes a CSV for handwritten
cards: customer, name, occasion, suggested line; no addresses. The From
line comes from sender.name and sender.email (or smtp.from).

Each note is delivered first and recorded after, with its credit
(--with-credit, in the customer's currency, reason goodwill) in the same
transaction: a failed delivery records a failed note and no credit, so
nothing is ever marked sent that was not.

At a terminal the notes sent are listed without their Message-IDs, so the
table fits 80 columns; --wide shows them, as piped output and --json do.

More than one note asks for confirmation at a terminal and needs --yes
otherwise. Exit status 1 if any note failed or has an unknown outcome.`,
		Example: `  makegood thanks send --due --yes
  makegood thanks send --customer alice@example.com --occasion just_because --with-credit 10
  makegood thanks send --segment 'tenure>=3y' --occasion anniversary --via print --yes > cards.csv
  makegood thanks send --segment tag=affected --occasion after_recovery --incident "Tuesday's login outage" --dry-run
  makegood thanks send --customer alice@example.com --occasion milestone:launch --mark-sent`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.CanPrompt = f.CanPrompt()
			if err := opts.validate(cmd.Flags().Changed); err != nil {
				return err
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			if opts.plans, err = cmdutil.Plans(cfg); err != nil {
				return err
			}
			opts.TemplateDir = f.ConfigDir()
			if opts.Windows, err = shared.Windows(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Thank this customer")
	fl.BoolVar(&opts.Due, "due", false, "Thank everyone due a note today (see thanks due)")
	fl.StringVar(&opts.Segment, "segment", "", "Thank customers matching terms such as tenure>=2y,tag=vip")
	fl.StringVar(&opts.Occasion, "occasion", "", "Occasion: welcome, anniversary, milestone:NAME, after_recovery, just_because")
	fl.StringVar(&opts.Incident, "incident", "", "With --occasion after_recovery: the incident that was put right")
	fl.StringVar(&opts.WithCredit, "with-credit", "", "Also give each a credit of this amount in their currency, e.g. 10.00")
	fl.StringVar(&opts.Via, "via", "", "Deliver via outbox, smtp or print (default: mail.via, else outbox)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Print what would be sent; send and record nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "Send to several customers without asking")
	fl.BoolVar(&opts.ResendUnknown, "resend-unknown", false, "Send again notes whose earlier attempt has an unknown outcome (they may arrive twice)")
	fl.BoolVar(&opts.MarkSent, "mark-sent", false, "Record the notes as sent by hand, without sending anything")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	cmdutil.AddWideFlag(cmd, &opts.Output)
	cmd.MarkFlagsMutuallyExclusive("customer", "due", "segment")
	cmd.MarkFlagsMutuallyExclusive("mark-sent", "resend-unknown")
	cmd.MarkFlagsMutuallyExclusive("mark-sent", "dry-run")
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions(ledger.Vias(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate checks the flags on their own, before the ledger is opened.
func (o *SendOptions) validate(changed func(string) bool) error {
	if !changed("customer") && !o.Due && !changed("segment") && !o.CanPrompt {
		return cmdutil.RequiredError("--customer, --due or --segment")
	}
	if changed("customer") {
		if err := ledger.ValidateID("--customer", o.Customer); err != nil {
			return err
		}
	}
	if changed("segment") {
		seg, err := thanks.ParseSegment(o.Segment)
		if err != nil {
			return &ledger.FieldError{Field: "--segment", Err: err}
		}
		o.segment = seg
	}
	var err error
	if o.occasion, err = parseOccasion(o.Occasion); err != nil {
		return err
	}
	switch {
	case o.Incident == "" && changed("incident"):
		return ledger.Fieldf("--incident", "must not be empty")
	case o.Incident != "":
		if err := ledger.ValidateID("--incident", o.Incident); err != nil {
			return err
		}
		if o.occasion.occasion != thanks.AfterRecovery {
			return ledger.Fieldf("--incident", "goes with --occasion after_recovery")
		}
		if o.Due {
			return ledger.Fieldf("--incident", "needs the customers it affected: use --customer or --segment, not --due")
		}
	}
	if changed("via") {
		o.Via = strings.ToLower(strings.TrimSpace(o.Via))
		if !slices.Contains(ledger.Vias(), o.Via) {
			return ledger.Fieldf("--via", "%q is not one of %s", o.Via, strings.Join(ledger.Vias(), ", "))
		}
	}
	if changed("with-credit") && strings.TrimSpace(o.WithCredit) == "" {
		return ledger.Fieldf("--with-credit", "must not be empty")
	}
	if o.Output.JSON && o.Via == ledger.ViaPrint {
		return cmdutil.FlagErrorf("--json cannot be used with --via print: the printable CSV is the output")
	}
	return nil
}

// SendJSON is `thanks send --json`.
type SendJSON struct {
	Sent    int `json:"sent"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Unknown counts notes whose outcome is unknown: held from an earlier
	// run, or sent in this one with no answer from the server.
	Unknown int `json:"unknown"`
	// Deferred counts notes the cool-down holds back.
	Deferred int        `json:"deferred"`
	Notes    []SendNote `json:"notes"`
}

// SendNote is one note in SendJSON. In a dry run nothing is recorded: id
// and message_id are null and the status is "would_send". A note whose
// outcome is unknown has no record either: id null, status "unknown".
type SendNote struct {
	ID        *int64  `json:"id"`
	Customer  string  `json:"customer"`
	Occasion  string  `json:"occasion"`
	Via       string  `json:"via"`
	Status    string  `json:"status"`
	MessageID *string `json:"message_id"`
}

const statusWouldSend = "would_send"

// job is one note, written and ready to go.
type job struct {
	item    thanks.DueItem
	subject string
	body    string
	credit  *money.Amount
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	mc, err := opts.Mail()
	if err != nil {
		return err
	}
	via := opts.Via
	if via == "" {
		via = mc.Via
	}
	if opts.Output.JSON && via == ledger.ViaPrint {
		return cmdutil.FlagErrorf("--json cannot be used with --via print (mail.via is print): the printable CSV is the output")
	}
	var sender mail.Sender
	if via != ledger.ViaPrint {
		// Built before anything is written so that a dry run fails on bad
		// settings exactly where a real run would.
		if sender, err = cmdutil.MailSender(mc, via, opts.Now); err != nil {
			return err
		}
	}

	customers, explicit, err := opts.customers(ctx, st)
	if err != nil {
		return err
	}
	now := opts.Now()
	self := procs.Self()
	alive := procs.Liveness(self)
	decisions, states, err := opts.decide(ctx, st, customers, now, alive)
	if err != nil {
		return err
	}

	var (
		due      []thanks.DueItem
		res      = SendJSON{Notes: []SendNote{}}
		deferred []thanks.Decision
	)
	for _, d := range decisions {
		switch d.Status {
		case thanks.StatusDue:
			due = append(due, d.DueItem)
		case thanks.StatusAlreadySent:
			res.Skipped++
			if explicit {
				fmt.Fprintf(opts.IO.ErrOut, "Skipped %s, %s: %s.\n", cmdutil.CustomerLabel(d.Customer), d.Occasion, d.Why)
			}
		case thanks.StatusHeld:
			// Always said, whoever was selected: an unknown outcome needs
			// the operator.
			if states[[2]string{d.Customer.ID, d.Key}].State == ledger.StateSending {
				res.Skipped++
				fmt.Fprintf(opts.IO.ErrOut, "Skipped %s (%s): %s.\n", cmdutil.CustomerLabel(d.Customer), d.Key, d.Why)
				continue
			}
			res.Unknown++
			fmt.Fprintf(opts.IO.ErrOut, "Unknown: %s (%s): %s. Not sent again: check whether it arrived, then run this again with --mark-sent, or --resend-unknown to send it anyway.\n",
				cmdutil.CustomerLabel(d.Customer), d.Key, d.Why)
		case thanks.StatusDeferred:
			res.Deferred++
			deferred = append(deferred, d)
			if explicit {
				fmt.Fprintf(opts.IO.ErrOut, "Deferred: %s, %s: %s.\n", cmdutil.CustomerLabel(d.Customer), d.Occasion, d.Why)
			}
		case thanks.StatusNotDue:
			if explicit {
				fmt.Fprintf(opts.IO.ErrOut, "Not due: %s, %s: %s.\n", cmdutil.CustomerLabel(d.Customer), d.Occasion, d.Why)
			}
		}
	}
	if len(deferred) > 0 && !explicit {
		first := deferred[0].DueOn
		for _, d := range deferred {
			if d.DueOn.Before(first) {
				first = d.DueOn
			}
		}
		fmt.Fprintf(opts.IO.ErrOut, "Deferred %s by the cool-down (another note or an apology in the last days); the first comes due on %s (see makegood thanks due).\n",
			cmdutil.Plural(len(deferred), "note", "notes"), first.Format(time.DateOnly))
	}
	jobs, err := opts.prepare(due, now, mc.FromName)
	if err != nil {
		return err
	}
	if len(jobs) > 1 && !opts.DryRun && !opts.Yes {
		if err := opts.confirm(ctx, len(jobs), via); err != nil {
			return err
		}
	}

	d := &run{opts: opts, st: st, mc: mc, via: via, sender: sender, res: &res,
		courier: &delivery.Courier{Store: st, Via: via, Outbox: mail.Outbox{Dir: mc.Outbox, Now: opts.Now}, By: self,
			Alive: alive, Now: opts.Now, ResendUnknown: opts.ResendUnknown}}
	if via == ledger.ViaPrint && len(jobs) > 0 {
		d.cards = cmdutil.NewCSVWriter(opts.IO.Out, opts.IO.IsStdoutTTY()) // neutralizes formulas: the sheet is opened in a spreadsheet
		if err := d.cards.Write([]string{"customer", "name", "occasion", "suggested_line"}); err != nil {
			return fmt.Errorf("write card list: %w", err)
		}
	}
	if opts.DryRun && sender != nil {
		w := opts.IO.Out
		if opts.Output.JSON {
			w = opts.IO.ErrOut // stdout is for the JSON summary
		}
		d.sender = mail.Printer{W: w}
	}
	fatal := d.run(ctx, jobs)
	if err := d.report(fatal); err != nil {
		return err
	}
	if fatal != nil {
		return fatal
	}
	if d.notAttempted > 0 {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	if res.Failed > 0 || res.Unknown > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// decide works out every note for the customers: due, already sent, not
// due, held by an unsettled attempt, or deferred by the cool-down. states
// is where each note with a claim stands.
func (o *SendOptions) decide(ctx context.Context, st ledger.Store, customers []ledger.Customer, now time.Time,
	alive ledger.Liveness) ([]thanks.Decision, map[[2]string]ledger.MessageState, error) {
	sent, err := sentNotes(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	states, err := claimStates(ctx, st, now, alive)
	if err != nil {
		return nil, nil, err
	}
	dopts := o.occasion.dueOptions(o.Windows)
	dopts.Held = held(states, o.ResendUnknown || o.MarkSent)
	if dopts.Contacts, err = contacts(ctx, st); err != nil {
		return nil, nil, err
	}
	if o.Incident != "" {
		ds, err := incidentDecisions(ctx, st, customers, sent, o.Incident)
		if err != nil {
			return nil, nil, err
		}
		return thanks.Settle(ds, sent, now, dopts), states, nil
	}
	if dopts.Recoveries, err = recoveries(ctx, st, now); err != nil {
		return nil, nil, err
	}
	return thanks.Evaluate(customers, sent, now, dopts), states, nil
}

// customers picks who to consider; explicit is true when the operator named
// one customer, so every decision about them is worth reporting.
func (o *SendOptions) customers(ctx context.Context, st ledger.Store) ([]ledger.Customer, bool, error) {
	if o.Customer == "" && !o.Due && o.Segment == "" {
		if err := o.pick(ctx, st); err != nil {
			return nil, false, err
		}
	}
	if o.Customer != "" {
		c, err := st.Customer(ctx, o.Customer)
		if err != nil {
			return nil, false, err
		}
		return []ledger.Customer{o.plans.Apply(c)}, true, nil
	}
	all, err := st.Customers(ctx)
	if err != nil {
		return nil, false, err
	}
	// A segment on price reads a plan's price for customers who have a
	// plan and no price of their own.
	for i := range all {
		all[i] = o.plans.Apply(all[i])
	}
	cs := all
	if o.Segment != "" {
		now := o.Now()
		cs = slices.DeleteFunc(cs, func(c ledger.Customer) bool { return !o.segment.Match(c, now) })
		if len(cs) == 0 {
			fmt.Fprintf(o.IO.ErrOut, "No customers match --segment %s.\n", o.Segment)
		}
	}
	return cs, false, nil
}

const everyoneDue = "\x00due"

// pick asks who to thank, at a terminal with no --customer, --due or
// --segment.
func (o *SendOptions) pick(ctx context.Context, st ledger.Store) error {
	cs, err := st.Customers(ctx)
	if err != nil {
		return err
	}
	options := []prompt.Option{{Label: "Everyone due a note today", Value: everyoneDue}}
	for _, c := range cs {
		options = append(options, prompt.Option{Label: cmdutil.CustomerLabel(c), Value: c.ID})
	}
	v, err := o.Prompter().Select(ctx, "Who would you like to thank?", options, everyoneDue)
	if err != nil {
		return err
	}
	if v == everyoneDue {
		o.Due = true
	} else {
		o.Customer = v
	}
	return nil
}

// prepare writes every note and works out every credit before anything is
// sent, so a broken template or an amount that does not fit a currency
// stops the run with nothing delivered and nothing recorded.
func (o *SendOptions) prepare(items []thanks.DueItem, now time.Time, senderName string) ([]job, error) {
	jobs := make([]job, 0, len(items))
	for _, it := range items {
		j := job{item: it}
		data := thanks.NewTemplateData(it, now)
		data.SenderName = senderName
		if o.WithCredit != "" {
			cur, _, err := ledger.CreditCurrency(it.Customer, o.DefaultCurrency)
			if err != nil {
				return nil, err
			}
			if cur == "" {
				return nil, ledger.NoCurrency("--with-credit", it.Customer)
			}
			amt, err := money.Parse(o.WithCredit, cur)
			if err != nil {
				return nil, ledger.Fieldf("--with-credit", "for customer %q: %v", it.Customer.ID, err)
			}
			j.credit = &amt
			data.Credit = money.Format(amt.Minor, amt.Currency)
		}
		var err error
		if j.subject, j.body, err = thanks.Render(it.Occasion, it.Customer.Locale, o.TemplateDir, data); err != nil {
			return nil, cmdutil.FlagErrorf("%s note for %s: %v", it.Occasion, it.Customer.ID, err)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (o *SendOptions) confirm(ctx context.Context, n int, via string) error {
	if !o.CanPrompt {
		return cmdutil.RequiredError("--yes")
	}
	q := fmt.Sprintf("Send %d thank-you notes via %s?", n, via)
	switch {
	case o.MarkSent:
		q = fmt.Sprintf("Record %d thank-you notes as sent by hand (nothing is sent)?", n)
	case via == ledger.ViaPrint:
		q = fmt.Sprintf("List %d customers for handwritten cards and record them as thanked?", n)
	}
	if o.WithCredit != "" {
		q = strings.TrimSuffix(q, "?") + fmt.Sprintf(", each with a credit of %s?", o.WithCredit)
	}
	ok, err := o.Prompter().Confirm(ctx, q, true)
	if err != nil {
		return err
	}
	if !ok {
		return cmdutil.ErrCancel
	}
	return nil
}

// run sends the jobs one by one and records each outcome.
type run struct {
	opts    *SendOptions
	st      ledger.Store
	mc      mail.Config
	via     string
	sender  mail.Sender
	cards   *cmdutil.CSVWriter
	res     *SendJSON
	courier *delivery.Courier

	failures     []string
	notAttempted int
	recovered    int // found in the outbox, written by a run that stopped
}

// run delivers each note through the courier: claimed in the ledger (its
// own committed transaction) before anything leaves, so no other run sends
// it; then delivered; then recorded as sent, with its credit, or failed,
// without it, in one transaction with the claim's outcome. A run killed in
// between leaves a claim whose outcome is unknown, which no later run
// sends again unless told to. The error is returned only for what stops
// the whole run (the ledger cannot be written).
func (d *run) run(ctx context.Context, jobs []job) error {
	bar := d.progress(len(jobs))
	for i, j := range jobs {
		if ctx.Err() != nil {
			d.notAttempted = len(jobs) - i
			break
		}
		err := d.one(ctx, j)
		if bar != nil {
			_ = bar.Add(1)
		}
		if err != nil {
			d.notAttempted = len(jobs) - i - 1
			return err
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	return nil
}

func (d *run) progress(n int) *progressbar.ProgressBar {
	if n < 2 || d.opts.DryRun || d.via == ledger.ViaPrint || !d.opts.IO.IsStderrTTY() {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(d.opts.IO.ErrOut),
		progressbar.OptionSetDescription("Sending thank-you notes"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

func (d *run) one(ctx context.Context, j job) error {
	c := j.item.Customer
	who := fmt.Sprintf("%s (%s)", c.ID, j.item.Key)
	if d.opts.DryRun {
		_, sendErr := d.deliver(ctx, j, "")
		status := statusWouldSend
		if sendErr != nil {
			d.fail(who, sendErr)
			status = ledger.NoteFailed
		}
		d.res.Notes = append(d.res.Notes, SendNote{Customer: c.ID, Occasion: string(j.item.Occasion), Via: d.via, Status: status})
		return nil
	}
	var rec *ledger.ThankYouNote
	dj := delivery.Job{
		Message: ledger.ThanksMessage(c.ID, j.item.Key),
		Send: func(ctx context.Context, claim ledger.Claim) (string, error) {
			return d.deliver(ctx, j, claim.Nonce)
		},
		Record: func(ctx context.Context, claim ledger.Claim, o ledger.Outcome) error {
			n := ledger.NewThankYouNote{Customer: c.ID, Occasion: string(j.item.Occasion), Key: j.item.Key, Via: claim.Via,
				Subject: j.subject, At: o.At, Status: o.Status, MessageID: o.MessageID, Error: o.Error,
				Claim: claim.ID, ByHand: o.ByHand}
			if o.Status == ledger.OutcomeSent && j.credit != nil {
				n.Credit = &ledger.NewCredit{Customer: c.ID, AmountMinor: j.credit.Minor, Currency: j.credit.Currency,
					Reason: ledger.ReasonGoodwill, Note: "thank-you note: " + j.item.Key, IssuedAt: o.At}
			}
			r, err := d.st.RecordThankYou(ctx, n)
			if err != nil {
				return err
			}
			rec = &r
			return nil
		},
	}
	var (
		res delivery.Result
		err error
	)
	if d.opts.MarkSent {
		res, err = d.courier.Mark(ctx, dj)
	} else {
		res, err = d.courier.Deliver(ctx, dj)
	}
	if err != nil {
		return err
	}
	switch {
	case res.Refused != nil:
		if res.Refused.State.State == ledger.StateUnknown {
			d.res.Unknown++
			fmt.Fprintf(d.opts.IO.ErrOut, "Unknown: %s: %v.\n", who, res.Refused)
			return nil
		}
		// Sent or being sent by another run since this one looked.
		d.res.Skipped++
		if d.opts.MarkSent {
			fmt.Fprintf(d.opts.IO.ErrOut, "Skipped %s: %v.\n", who, res.Refused)
		}
		return nil
	case res.Outcome == ledger.OutcomeUnknown:
		d.res.Unknown++
		d.res.Notes = append(d.res.Notes, SendNote{Customer: c.ID, Occasion: string(j.item.Occasion), Via: d.via, Status: ledger.OutcomeUnknown})
		fmt.Fprintf(d.opts.IO.ErrOut, "Unknown: %s: %v. Not sent again: check whether it arrived, then run this again with --mark-sent, or --resend-unknown to send it anyway.\n", who, res.Err)
		return nil
	}
	note := SendNote{ID: &rec.ID, Customer: c.ID, Occasion: rec.Occasion, Via: rec.Via, Status: rec.Status, MessageID: optString(rec.MessageID)}
	d.res.Notes = append(d.res.Notes, note)
	if res.Outcome == ledger.OutcomeFailed {
		d.fail(who, res.Err)
		return nil
	}
	d.res.Sent++
	if res.Recovered {
		d.recovered++
	}
	return nil
}

func (d *run) fail(who string, err error) {
	d.res.Failed++
	d.failures = append(d.failures, fmt.Sprintf("%s: %v", who, err))
}

// deliver sends one note the chosen way, carrying the claim's nonce, and
// returns its Message-ID (empty for a printed card).
func (d *run) deliver(ctx context.Context, j job, nonce string) (string, error) {
	c := j.item.Customer
	if d.cards != nil {
		line := j.subject
		if j.credit != nil {
			line += fmt.Sprintf("; I've added %s to your account", money.Format(j.credit.Minor, j.credit.Currency))
		}
		if err := d.cards.Write([]string{c.ID, c.Name, string(j.item.Occasion), line}); err != nil {
			return "", fmt.Errorf("write card list: %w", err)
		}
		if err := d.cards.Flush(); err != nil {
			return "", fmt.Errorf("write card list: %w", err)
		}
		return "", nil
	}
	to, err := c.MailAddress()
	if err != nil {
		return "", err
	}
	return d.sender.Send(ctx, mail.Message{
		FromName: d.mc.FromName, FromAddr: d.mc.FromAddr,
		ToName: c.Name, ToAddr: to,
		Subject: j.subject, Body: j.body,
		Headers: map[string]string{"X-Makegood-Occasion": string(j.item.Occasion)},
		Nonce:   nonce,
	})
}

// report prints the outcome: the JSON summary, or a table of notes on
// stdout and the counts and failures on stderr.
func (d *run) report(fatal error) error {
	res, opts := d.res, d.opts
	errOut := opts.IO.ErrOut
	if opts.Output.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else if d.cards == nil && !opts.DryRun && len(res.Notes) > 0 {
		// The Message-ID (some 45 characters) is an id, never cut, and
		// would take the table past 80 columns: at a terminal it is for
		// --wide (and --json); piped, every column stays.
		headers := []string{"ID", "CUSTOMER", "OCCASION", "VIA", "STATUS", "MESSAGE-ID"}
		withID := !opts.IO.IsStdoutTTY() || opts.Output.Wide
		if !withID {
			headers = headers[:len(headers)-1]
		}
		t := cmdutil.NewTable(opts.IO, false, headers...).Wide(opts.Output.Wide)
		for _, n := range res.Notes {
			id := ""
			if n.ID != nil {
				id = fmt.Sprint(*n.ID)
			}
			cells := []string{id, n.Customer, n.Occasion, n.Via, n.Status}
			if withID {
				mid := ""
				if n.MessageID != nil {
					mid = *n.MessageID
				}
				cells = append(cells, mid)
			}
			t.Append(cells...)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	for _, f := range d.failures {
		fmt.Fprintf(errOut, "Failed: %s\n", f)
	}
	switch {
	case opts.DryRun:
		would := len(res.Notes) - res.Failed
		fmt.Fprintf(errOut, "Dry run: would send %s via %s; %d skipped (already thanked); %d would fail. Nothing was sent or recorded.\n",
			cmdutil.Plural(would, "note", "notes"), d.via, res.Skipped, res.Failed)
	case len(res.Notes) == 0 && res.Skipped == 0 && res.Unknown == 0 && res.Deferred == 0 && fatal == nil:
		fmt.Fprintln(errOut, "No one to thank: nobody is due a note for this occasion.")
	default:
		extra := ""
		if res.Unknown > 0 {
			extra += fmt.Sprintf("; %d unknown (not sent again)", res.Unknown)
		}
		if res.Deferred > 0 {
			extra += fmt.Sprintf("; %d deferred (cool-down)", res.Deferred)
		}
		if opts.MarkSent {
			fmt.Fprintf(errOut, "Marked %s as sent by hand; %d skipped (already thanked)%s; %d failed.\n",
				cmdutil.Plural(res.Sent, "thank-you note", "thank-you notes"), res.Skipped, extra, res.Failed)
			break
		}
		verb := "Sent"
		if d.via == ledger.ViaPrint {
			verb = "Listed"
		}
		fmt.Fprintf(errOut, "%s %s via %s; %d skipped (already thanked)%s; %d failed.\n",
			verb, cmdutil.Plural(res.Sent, "thank-you note", "thank-you notes"), d.via, res.Skipped, extra, res.Failed)
		if d.recovered > 0 {
			fmt.Fprintf(errOut, "Of these, %s found in the outbox, written by a run that stopped before recording it: recorded, not written again.\n",
				cmdutil.Plural(d.recovered, "was", "were"))
		}
		if d.via == ledger.ViaOutbox && res.Sent > 0 {
			fmt.Fprintf(errOut, "The notes are in %s.\n", d.mc.Outbox)
		}
		if res.Failed > 0 {
			fmt.Fprintln(errOut, "Failed notes are recorded; run the same command again to retry them.")
		}
	}
	if d.notAttempted > 0 {
		fmt.Fprintf(errOut, "Stopped before %s; run the same command again to send them.\n", cmdutil.Plural(d.notAttempted, "note", "notes"))
	}
	return nil
}
