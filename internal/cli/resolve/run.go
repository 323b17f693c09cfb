package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/viper"

	apologycmd "github.com/makegood/makegood/internal/cli/apology"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	goodwillcmd "github.com/makegood/makegood/internal/cli/goodwill"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/goodwill"
)

// env is what a run needs beyond the options: configuration read once.
type env struct {
	cfg       *viper.Viper
	mail      cmdutil.MailConfig
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
	policy, err := goodwillcmd.LoadPolicy(e.cfg)
	if err != nil {
		return err
	}
	rules, err := apologycmd.LoadRules(e.cfg)
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
		k := goodwillcmd.Case{Customer: c, Downtime: downtime, Severity: inc.Severity, ImpactBP: inc.ImpactBP, Plans: plans}
		if inc.ID != 0 {
			k.Incident = &inc
		}
		return goodwillcmd.Suggest(ctx, st, policy, defCur, k, now)
	}
	defVia := e.mail.Via
	if defVia != ViaSMTP {
		defVia = ViaOutbox // print is for cards, not apologies
	}

	var base *Plan
	if opts.Incident != 0 {
		if base, err = loadCase(ctx, st, opts.Incident); err != nil {
			return err
		}
	}
	var plan *Plan
	if opts.CanPrompt && !opts.anyDecisionFlag() {
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

	// Everything that can refuse is asked before anything is written.
	var sender mail.Sender
	if plan.outgoing() > 0 && plan.Via != ViaNone {
		if sender, err = e.mail.Sender(plan.Via, opts.Now); err != nil {
			return err
		}
	}
	res, err := st.RecordCase(ctx, plan.ledgerCase(now))
	if err != nil {
		return fmt.Errorf("record the case: %w", err)
	}
	out := newOutcome(plan, res, now)
	out.deliver(ctx, st, sender, e.mail, plan.Via, now)
	return out.print(opts)
}

// anyDecisionFlag reports whether a flag makes one of the walk's
// decisions. Then they all come from flags, even at a terminal, and a
// missing one is an error: half a walk prefilled from flags would leave
// the operator guessing which answers count.
func (o *Options) anyDecisionFlag() bool {
	for _, name := range []string{"title", "what", "started", "reported", "severity", "impact", "customer", "apology-file", "keep-flagged",
		"fixed-at", "not-fixed"} {
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
			ImpactBP: p.Incident.ImpactBP}
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
		}
		if p.Action == ActionRecord && !t.Compensated {
			switch {
			case t.Give.Money():
				r.Credits = []ledger.NewCredit{{AmountMinor: t.Give.Amount.Minor, Currency: t.Give.Amount.Currency,
					Reason: "goodwill", Note: creditNote(t.Give), IssuedAt: now}}
			case t.Give.Gesture != "":
				r.Credits = []ledger.NewCredit{{Gesture: t.Give.Gesture, Reason: "goodwill", Note: creditNote(t.Give), IssuedAt: now}}
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
