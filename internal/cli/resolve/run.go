package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/viper"

	apologyshared "github.com/makegood/makegood/internal/cli/apology/shared"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	goodwillshared "github.com/makegood/makegood/internal/cli/goodwill/shared"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/goodwill"
)

// env is what a run needs beyond the options: configuration read once.
type env struct {
	cfg       *viper.Viper
	mail      mail.Config
	configDir string
}

func resolveRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	mc, err := f.MailConfig()
	if err != nil {
		return err
	}
	return run(ctx, opts, env{cfg: cfg, mail: mc, configDir: f.ConfigDir()})
}

func run(ctx context.Context, opts *Options, e env) error {
	now := opts.Now()
	policy, err := goodwillshared.LoadPolicy(e.cfg)
	if err != nil {
		return err
	}
	rules, err := apologyshared.LoadRules(e.cfg)
	if err != nil {
		return err
	}
	plans, err := cmdutil.Plans(e.cfg)
	if err != nil {
		return err
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	defCur := strings.ToUpper(e.cfg.GetString("currency"))
	src := &storeSource{st: st, rules: rules, configDir: e.configDir, sender: e.mail.FromName, now: now}
	src.suggest = func(ctx context.Context, c ledger.Customer, inc ledger.Incident, downtime time.Duration) (goodwill.Suggestion, error) {
		k := goodwillshared.Case{Customer: c, Downtime: downtime, Severity: inc.Severity, ImpactBP: inc.ImpactBP, Plans: plans}
		if inc.ID != 0 {
			k.Incident = &inc
		}
		return goodwillshared.Suggest(ctx, st, policy, defCur, k, now)
	}
	defVia := e.mail.Via
	if defVia != ViaSMTP {
		defVia = ViaOutbox // print is for cards, not apologies
	}

	interactive := opts.CanPrompt && !opts.anyDecisionFlag()
	incident := opts.Incident
	if !interactive && incident == 0 {
		// A script run again with the same --title, --started and
		// customers goes on with the incident the first run opened.
		if incident, err = knownCase(ctx, st, opts, now); err != nil {
			return err
		}
		if incident != 0 {
			fmt.Fprintf(opts.IO.ErrOut, "Incident #%d has the same title, start and customers: going on with it.\n", incident)
		}
	}
	var (
		plan *Plan
		res  ledger.CaseResult
	)
	// A recommendation counts against the monthly budget, which the
	// ledger checks again as the case is written; when other runs spent it
	// meanwhile, a script's plan is made again from the ledger as it now
	// stands (a walk says so instead: the operator confirmed an amount).
	for attempt := 0; ; attempt++ {
		var base *Plan
		if incident != 0 {
			if base, err = loadCase(ctx, st, incident); err != nil {
				var done resolvedError
				if incident != opts.Incident && errors.As(err, &done) {
					fmt.Fprintf(opts.IO.ErrOut, "Incident #%d is resolved already: nothing more to do (makegood incident show %d).\n", incident, incident)
					return nil
				}
				return err
			}
		}
		if interactive {
			plan, err = Walk(ctx, src, opts.Prompter(), now, defCur, defVia, base)
			if errors.Is(err, prompt.ErrAborted) || errors.Is(err, prompt.ErrInputEnded) {
				if opts.Incident != 0 {
					return fmt.Errorf("%w (incident #%d is as it was)", cmdutil.ErrCancel, opts.Incident)
				}
				return cmdutil.ErrCancel
			}
		} else {
			plan, err = planFromFlags(ctx, src, opts, now, base, defCur, defVia, opts.IO.In)
		}
		if err != nil {
			return err
		}
		if n := plan.followUpsLeft; n > 0 && attempt == 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%s the first apology before the fix and no follow-up now (--follow-up sends the it's-fixed one).\n",
				cmdutil.Plural(n, "customer got", "customers got"))
		}

		// Everything that can refuse is asked before anything is written.
		var sender mail.Sender
		if plan.outgoing() > 0 && plan.Via != ViaNone {
			if sender, err = cmdutil.MailSender(e.mail, plan.Via, opts.Now); err != nil {
				return err
			}
		}
		if res, err = st.RecordCase(ctx, plan.ledgerCase(now)); err == nil {
			out := newOutcome(plan, res, now)
			out.deliver(ctx, st, sender, e.mail, plan.Via, now)
			return out.print(opts)
		}
		// (Standard input, read for --apology-file -, cannot be read twice.)
		if !errors.Is(err, ledger.ErrBudget) || interactive || opts.ApologyFile == "-" || attempt == budgetRetries {
			return fmt.Errorf("record the case: %w", err)
		}
	}
}

// budgetRetries bounds how often a script's plan is made again after
// other runs spent the monthly budget.
const budgetRetries = 8

// knownCase finds the incident a run with --title opened before, by its
// case key (ledger.CaseKey); 0 when there is none.
func knownCase(ctx context.Context, st ledger.Store, o *Options, now time.Time) (int64, error) {
	if o.Title == "" {
		return 0, nil
	}
	started := now
	if o.Started != "" {
		t, err := ledger.ParseTime("--started", o.Started)
		if err != nil {
			return 0, err
		}
		started = t
	}
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{CaseKey: ledger.CaseKey(o.Title, started, o.Customers), Limit: 1})
	if err != nil || len(incs) == 0 {
		return 0, err
	}
	return incs[0].ID, nil
}

// anyDecisionFlag reports whether a flag makes one of the walk's
// decisions. Then they all come from flags, even at a terminal, and a
// missing one is an error: half a walk prefilled from flags would leave
// the operator guessing which answers count.
func (o *Options) anyDecisionFlag() bool {
	for _, name := range []string{"title", "what", "started", "reported", "severity", "impact", "customer", "apology-file", "keep-flagged",
		"fixed-at", "not-fixed", "follow-up"} {
		if o.Changed(name) {
			return true
		}
	}
	return o.compensationFlag() != ""
}

// ledgerCase turns the plan into what the store records in one
// transaction.
func (p *Plan) ledgerCase(now time.Time) ledger.Case {
	c := ledger.Case{Incident: p.Incident.ID}
	if p.Incident.ID == 0 {
		ids := make([]string, 0, len(p.Targets))
		for _, t := range p.Targets {
			ids = append(ids, t.Customer.ID)
		}
		c.NewIncident = &ledger.NewIncident{Title: p.Incident.Title, What: p.Incident.What, Severity: p.Incident.Severity,
			StartedAt: p.Incident.StartedAt, ReportedAt: p.Incident.ReportedAt, CreatedAt: now, Customers: ids,
			ImpactBP: p.Incident.ImpactBP, CaseKey: ledger.CaseKey(p.Incident.Title, p.Incident.StartedAt, ids)}
	}
	for _, t := range p.NewTargets() {
		c.NewCustomers = append(c.NewCustomers, t.Customer)
	}
	fixed := p.Fixed && p.Incident.FixedAt == nil
	for _, t := range p.Targets {
		r := ledger.Resolution{Customer: t.Customer.ID, At: now}
		if fixed {
			at := p.FixedAt
			r.FixedAt = &at
		}
		if body := t.outgoing(); body != "" {
			status := ledger.ApologyQueued
			if p.Via == ViaNone {
				status = ledger.ApologySent // the operator sends it
			}
			r.Apology = &ledger.NewApology{Body: body, RecordedAt: now, Via: "email", Status: status}
			r.ApologiesSeen = t.apologies
		}
		if p.Action == ActionRecord && !t.Compensated {
			switch {
			case t.Give.Money():
				nc := ledger.NewCredit{AmountMinor: t.Give.Amount.Minor, Currency: t.Give.Amount.Currency,
					Reason: ledger.ReasonGoodwill, Note: creditNote(t.Give), IssuedAt: now}
				if t.Suggestion != nil && t.Give.Kind == goodwill.KindRecommended {
					nc.Budget = goodwillshared.BudgetFor(*t.Suggestion, goodwill.Option{Kind: t.Give.Kind, Amount: t.Give.Amount}, now)
				}
				r.Credits = []ledger.NewCredit{nc}
			case t.Give.Gesture != "":
				r.Credits = []ledger.NewCredit{{Gesture: t.Give.Gesture, Reason: ledger.ReasonGoodwill, Note: creditNote(t.Give), IssuedAt: now}}
			}
		}
		c.Resolutions = append(c.Resolutions, r)
	}
	return c
}

// creditNote keeps the option's reason with the credit, trimmed to what a
// note holds.
func creditNote(g Give) string {
	n := strings.ReplaceAll(g.Kind, "_", " ") + ": " + g.Reason
	if r := []rune(n); len(r) > ledger.MaxNoteLen {
		n = string(r[:ledger.MaxNoteLen])
	}
	return n
}
