package goodwill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	creditshared "github.com/makegood/makegood/internal/cli/credit/shared"
	"github.com/makegood/makegood/internal/cli/goodwill/shared"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/goodwill"
	"github.com/makegood/makegood/pkg/money"
)

// SuggestOptions holds `goodwill suggest`'s inputs.
type SuggestOptions struct {
	IO              *iostreams.IOStreams
	Store           func(context.Context) (ledger.Store, error)
	Prompter        func() prompt.Prompter
	Now             func() time.Time
	CanPrompt       bool
	DefaultCurrency string
	Policy          goodwill.Policy
	Plans           ledger.PlanPrices

	Customer string
	Downtime string
	Incident string
	Severity string
	Impact   string
	DataLoss bool
	Issue    bool
	Pick     string
	Reason   string
	Note     string
	Yes      bool
	Output   cmdutil.OutputFlags

	// Changed tells which flags were given.
	Changed func(string) bool
}

// NewCmdSuggest builds `goodwill suggest`.
func NewCmdSuggest(f *cmdutil.Factory, runF func(*SuggestOptions) error) *cobra.Command {
	opts := &SuggestOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "suggest",
		Short: "Suggest what to give a customer after an incident",
		Long: `Suggest what to give a customer after an incident: ranked options, each with
its amount in the customer's currency and a reason that shows its figures,
the recommendation first and marked.

The downtime is --downtime (24h, 90m, 2d12h), or the incident's: from its
start to its fix, or to now while it is open. --downtime with --incident
overrides the incident's downtime for this customer. The severity is
--severity, or the incident's; so is the impact (--impact 30% when the
service was degraded rather than down: make-whole and the SLA bands count
the downtime at that share).

History comes from the ledger: other incidents that affected the customer in
the 12 months before, what they were credited in that window (net of voids),
and everything credited this calendar month in the currency, against
goodwill.monthly_budget.

--issue records the recommendation as a credit (or --pick KIND another
option: make_whole, sla_credit, next_invoice, gesture, or gesture:N for the
Nth gesture), linked to --incident, and prints it as credit issue does. With
--incident, it is the customer's compensation for the incident: a customer
gets one per incident, whichever option and whichever command (resolve
too) gives it, so running the command again, or at once in several
processes, does not give twice; void it to give something else. The
recommendation counts against goodwill.monthly_budget, which is checked
again as the credit is written, so runs that overlap cannot together
pass it.`,
		Example: `  makegood goodwill suggest --customer alice@example.com --downtime 24h
  makegood goodwill suggest --customer alice@example.com --incident 3 --json
  makegood goodwill suggest --customer alice@example.com --incident 3 --issue
  makegood goodwill suggest --customer alice@example.com --incident 3 --issue --pick gesture`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.CanPrompt = f.CanPrompt()
			if !opts.CanPrompt {
				if opts.Customer == "" {
					return cmdutil.RequiredError("--customer")
				}
				if opts.Downtime == "" && opts.Incident == "" {
					return cmdutil.RequiredError("--downtime or --incident")
				}
			}
			if opts.Changed("pick") && !opts.Issue {
				return cmdutil.FlagErrorf("--pick chooses what --issue records; add --issue")
			}
			if opts.Pick != "" {
				if err := validatePick(opts.Pick); err != nil {
					return err
				}
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.DefaultCurrency = cfg.GetString("currency")
			if opts.Policy, err = shared.LoadPolicy(cfg); err != nil {
				return err
			}
			if opts.Plans, err = cmdutil.Plans(cfg); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return suggestRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Customer ID")
	fl.StringVar(&opts.Downtime, "downtime", "", "How long they could not use the service: 24h, 90m, 2d12h")
	fl.StringVar(&opts.Incident, "incident", "", "Incident ID: its downtime and severity, and what --issue links to")
	fl.StringVar(&opts.Severity, "severity", "", "low, normal, high or critical (default: the incident's, else normal)")
	fl.StringVar(&opts.Impact, "impact", "", "How much of the service was lost, e.g. 30% (default: the incident's, else 100%)")
	fl.BoolVar(&opts.DataLoss, "data-loss", false, "The customer lost data")
	fl.BoolVar(&opts.Issue, "issue", false, "Record the recommendation (or --pick) as a credit or gesture")
	fl.StringVar(&opts.Pick, "pick", "", "With --issue: the option to record instead of the recommendation")
	fl.StringVar(&opts.Reason, "reason", "", "With --issue: the credit's reason (default: outage when there was downtime, else goodwill)")
	fl.StringVar(&opts.Note, "note", "", "With --issue: the credit's note (default: the option's reason)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "With --issue at a terminal: do not ask for confirmation")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(ledger.Severities(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("pick", cobra.FixedCompletions(pickKinds(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func pickKinds() []string {
	return []string{goodwill.KindRecommended, goodwill.KindMakeWhole, goodwill.KindSLACredit,
		goodwill.KindNextInvoice, goodwill.KindGesture}
}

func validatePick(pick string) error {
	kind, n, hasN := strings.Cut(pick, ":")
	ok := false
	for _, k := range pickKinds() {
		ok = ok || kind == k
	}
	if hasN {
		i, err := strconv.Atoi(n)
		ok = ok && kind == goodwill.KindGesture && err == nil && i >= 1
	}
	if !ok {
		return ledger.Fieldf("--pick", "%q is not an option kind; use one of %s, or gesture:N for the Nth gesture",
			pick, strings.Join(pickKinds(), ", "))
	}
	return nil
}

// SuggestJSON is `goodwill suggest --json`.
type SuggestJSON struct {
	Customer    string          `json:"customer"`
	Currency    string          `json:"currency"`
	Recommended RecommendedJSON `json:"recommended"`
	Options     []OptionJSON    `json:"options"`
	Flags       []goodwill.Flag `json:"flags"`
}

// RecommendedJSON is the recommendation in SuggestJSON: always money.
type RecommendedJSON struct {
	Kind        string `json:"kind"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
	Reason      string `json:"reason"`
}

// OptionJSON is one option in SuggestJSON; a gesture has a null amount and
// its text in gesture, money a null gesture.
type OptionJSON struct {
	Kind        string  `json:"kind"`
	Amount      *string `json:"amount"`
	AmountMinor int64   `json:"amount_minor"`
	Gesture     *string `json:"gesture"`
	Reason      string  `json:"reason"`
}

// NewSuggestJSON shapes s.
func NewSuggestJSON(s goodwill.Suggestion) SuggestJSON {
	out := SuggestJSON{Customer: s.Customer, Currency: s.Currency, Options: []OptionJSON{}, Flags: s.Flags,
		Recommended: RecommendedJSON{Kind: s.Recommended.Kind, Amount: s.Recommended.Amount.Decimal(),
			AmountMinor: s.Recommended.Amount.Minor, Reason: s.Recommended.Reason}}
	if out.Flags == nil {
		out.Flags = []goodwill.Flag{}
	}
	for _, o := range s.Options {
		oj := OptionJSON{Kind: o.Kind, AmountMinor: o.Amount.Minor, Reason: o.Reason}
		if o.Kind == goodwill.KindGesture {
			g := o.Gesture
			oj.Gesture = &g
		} else {
			a := o.Amount.Decimal()
			oj.Amount = &a
		}
		out.Options = append(out.Options, oj)
	}
	return out
}

// suggestCase is what a suggestion was worked out from.
type suggestCase struct {
	customer ledger.Customer
	incident *ledger.Incident
	downtime time.Duration
	severity string
	impact   int64 // basis points; 0 is all of it
}

func suggestRun(ctx context.Context, opts *SuggestOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	now := opts.Now()
	k, err := settleCase(ctx, opts, st, now)
	if err != nil {
		return err
	}
	s, err := suggest(ctx, opts, st, k, now)
	if err != nil {
		return err
	}
	if !opts.Issue {
		if opts.Output.JSON {
			return cmdutil.WriteJSON(opts.IO.Out, NewSuggestJSON(s))
		}
		return printSuggestion(opts.IO, s, k)
	}
	return issue(ctx, opts, st, s, k, now)
}

// settleCase reads the customer, the incident and the flags into one case,
// asking at a terminal for what is missing.
func settleCase(ctx context.Context, opts *SuggestOptions, st ledger.Store, now time.Time) (suggestCase, error) {
	var k suggestCase
	var err error
	if opts.Customer == "" {
		if opts.Customer, err = cmdutil.PickCustomer(ctx, opts.Prompter(), st); err != nil {
			return k, err
		}
	}
	if err := ledger.ValidateID("--customer", opts.Customer); err != nil {
		return k, err
	}
	if k.customer, err = st.Customer(ctx, opts.Customer); err != nil {
		return k, err
	}
	if opts.Downtime == "" && opts.Incident == "" {
		if err := askIncidentOrDowntime(ctx, opts, st); err != nil {
			return k, err
		}
	}
	if opts.Incident != "" {
		id, err := ledger.ParseIncidentID("--incident", opts.Incident)
		if err != nil {
			return k, err
		}
		inc, err := st.Incident(ctx, id)
		if err != nil {
			return k, err
		}
		k.incident = &inc
		k.downtime = inc.Downtime(now).Truncate(time.Second)
		k.severity = inc.Severity
		k.impact = inc.ImpactBP
	}
	if opts.Impact != "" {
		if k.impact, err = ledger.ParseImpact("--impact", opts.Impact); err != nil {
			return k, err
		}
	}
	if opts.Downtime != "" {
		if k.downtime, err = ParseDowntime("--downtime", opts.Downtime); err != nil {
			return k, err
		}
	}
	if opts.Severity != "" {
		if err := ledger.ValidateSeverity("--severity", opts.Severity); err != nil {
			return k, err
		}
		k.severity = opts.Severity
	}
	if k.severity == "" {
		k.severity = ledger.SeverityNormal
	}
	return k, nil
}

// suggest gathers the ledger's history and asks the policy engine.
func suggest(ctx context.Context, opts *SuggestOptions, st ledger.Store, k suggestCase, now time.Time) (goodwill.Suggestion, error) {
	return shared.Suggest(ctx, st, opts.Policy, opts.DefaultCurrency, shared.Case{Customer: k.customer, Incident: k.incident,
		Downtime: k.downtime, Severity: k.severity, DataLoss: opts.DataLoss, ImpactBP: k.impact, Plans: opts.Plans}, now)
}

// ParseDowntime reads a downtime: a Go duration (24h, 90m, 1h30m) with
// whole days allowed in front (2d, 2d12h). It must not be negative.
func ParseDowntime(field, s string) (time.Duration, error) {
	bad := ledger.Fieldf(field, "%q is not a downtime (want e.g. 24h, 90m, 1h30m or 2d12h)", s)
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, bad
	}
	var total time.Duration
	rest := s
	if days, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 3660 {
			return 0, bad
		}
		total, rest = time.Duration(n)*24*time.Hour, after
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, bad
		}
		total += d
	}
	return total, nil
}

// printSuggestion writes the options: a table at a terminal with the
// recommendation marked, tab-separated rows (kind, amount, amount_minor,
// gesture, reason) when piped. Flags go to stderr when piped, so that
// stdout stays rows.
func printSuggestion(ios *iostreams.IOStreams, s goodwill.Suggestion, k suggestCase) error {
	if !ios.IsStdoutTTY() {
		t := cmdutil.NewTable(ios, false, "kind", "amount", "amount_minor", "gesture", "reason")
		for _, o := range s.Options {
			amount := o.Amount.Decimal()
			if o.Kind == goodwill.KindGesture {
				amount = ""
			}
			t.Append(o.Kind, amount, fmt.Sprint(o.Amount.Minor), o.Gesture, o.Reason)
		}
		for _, fl := range s.Flags {
			fmt.Fprintf(ios.ErrOut, "%s: %s\n", fl.Code, fl.Message)
		}
		return t.Render()
	}
	what := fmt.Sprintf("%s down, %s severity", view.Duration(k.downtime), k.severity)
	if k.impact != 0 && k.impact != ledger.FullImpact {
		what = fmt.Sprintf("%s degraded at %s impact, %s severity", view.Duration(k.downtime), ledger.FormatImpact(k.impact), k.severity)
	}
	if k.incident != nil {
		what = fmt.Sprintf("incident %d (%s), %s", k.incident.ID, k.incident.Title, what)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "What to give %s for %s:\n\n", cmdutil.CustomerLabel(k.customer), what)
	// Reasons carry the figures, so they are wrapped rather than cut to
	// fit a table cell.
	width := 0
	for _, o := range s.Options {
		width = max(width, len(o.Kind))
	}
	for i, o := range s.Options {
		mark, give := " ", o.Amount.String()
		if i == 0 {
			mark = "*"
		}
		if o.Kind == goodwill.KindGesture {
			give = o.Gesture
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", mark, width, o.Kind, give)
		for _, l := range wrap(o.Reason, ios.TerminalWidth()-6) {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	b.WriteString("\n* recommended\n")
	for _, fl := range s.Flags {
		fmt.Fprintf(&b, "! %s: %s\n", fl.Code, fl.Message)
	}
	_, err := fmt.Fprint(ios.Out, b.String())
	return err
}

// wrap breaks s into lines of at most width runes at spaces (a longer word
// stays whole).
func wrap(s string, width int) []string {
	width = max(width, 20)
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// issue records the recommendation, or the picked option, linked to the
// incident.
func issue(ctx context.Context, opts *SuggestOptions, st ledger.Store, s goodwill.Suggestion, k suggestCase, now time.Time) error {
	interactive := opts.CanPrompt && !opts.Yes && !opts.Output.JSON
	if interactive {
		if err := printSuggestion(opts.IO, s, k); err != nil {
			return err
		}
	}
	pick := opts.Pick
	if interactive && pick == "" {
		choices := make([]prompt.Option, len(s.Options))
		gestures := 0
		for i, o := range s.Options {
			value, give := o.Kind, o.Amount.String()
			if o.Kind == goodwill.KindGesture {
				gestures++
				value, give = fmt.Sprintf("%s:%d", o.Kind, gestures), o.Gesture
			}
			choices[i] = prompt.Option{Label: o.Kind + ": " + give, Value: value}
		}
		var err error
		if pick, err = opts.Prompter().Select(ctx, "What to give", choices, goodwill.KindRecommended); err != nil {
			return err
		}
	}
	o, err := pickOption(s, pick)
	if err != nil {
		return err
	}
	nc, err := optionCredit(opts, k, s, o, now)
	if err != nil {
		return err
	}

	if interactive {
		give := o.Amount.String()
		if o.Kind == goodwill.KindGesture {
			give = fmt.Sprintf("the gesture %q", o.Gesture)
		}
		question := fmt.Sprintf("Issue %s to %s for %s?", give, cmdutil.CustomerLabel(k.customer), nc.Reason)
		if k.incident != nil {
			question = fmt.Sprintf("Issue %s to %s for %s, for incident %d?", give, cmdutil.CustomerLabel(k.customer), nc.Reason, k.incident.ID)
		}
		ok, err := opts.Prompter().Confirm(ctx, question, true)
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.ErrCancel
		}
	}
	c, created, err := st.IssueCredit(ctx, nc)
	// The budget is checked again as the credit is written. When other
	// runs spent it meanwhile, a run without a person to ask works the
	// suggestion out again from the ledger as it now stands (the
	// recommendation shrinks to what is left, never below make-whole) and
	// gives that; one at a terminal says so instead of giving another
	// amount than the one confirmed.
	for attempt := 0; errors.Is(err, ledger.ErrBudget) && !interactive && attempt < budgetRetries; attempt++ {
		if s, err = suggest(ctx, opts, st, k, now); err != nil {
			return err
		}
		if o, err = pickOption(s, pick); err != nil {
			return err
		}
		if nc, err = optionCredit(opts, k, s, o, now); err != nil {
			return err
		}
		c, created, err = st.IssueCredit(ctx, nc)
	}
	if err != nil {
		return err
	}
	if !created && nc.Compensation && (c.AmountMinor != nc.AmountMinor || c.Currency != nc.Currency || c.Gesture != nc.Gesture) {
		return ledger.Conflictf("%s was compensated for incident %d already, with credit %d (%s): a customer gets one "+
			"compensation per incident; to give %s instead, void credit %d first",
			cmdutil.CustomerLabel(k.customer), k.incident.ID, c.ID, describeCredit(c), describeCredit(ledger.Credit{
				AmountMinor: nc.AmountMinor, Currency: nc.Currency, Gesture: nc.Gesture}), c.ID)
	}
	return creditshared.PrintIssued(opts.IO, c, k.customer, created, opts.Output.JSON, now)
}

// budgetRetries bounds how often a run works its suggestion out again
// after other runs spent the budget: each retry follows another run's
// write, so a few are plenty.
const budgetRetries = 8

// optionCredit is the credit or gesture that gives option o. With an
// incident it is the customer's compensation for it (one per customer
// and incident, whichever path gives it); the recommendation counts
// against the monthly budget, which the ledger checks as it writes.
func optionCredit(opts *SuggestOptions, k suggestCase, s goodwill.Suggestion, o goodwill.Option, now time.Time) (ledger.NewCredit, error) {
	nc := ledger.NewCredit{Customer: k.customer.ID, Reason: opts.Reason, Note: opts.Note, IssuedAt: now}
	if o.Kind == goodwill.KindGesture {
		nc.Gesture = o.Gesture
	} else {
		if o.Amount.Minor <= 0 {
			return nc, ledger.Conflictf("there is nothing to give as %s: it comes to %s (%s); pick a gesture, or give nothing",
				o.Kind, o.Amount, o.Reason)
		}
		nc.AmountMinor, nc.Currency = o.Amount.Minor, o.Amount.Currency
		nc.Budget = shared.BudgetFor(s, o, now)
	}
	if nc.Reason == "" {
		nc.Reason = ledger.ReasonGoodwill
		if k.downtime > 0 {
			nc.Reason = ledger.ReasonOutage
		}
	}
	if err := ledger.ValidateReason("--reason", nc.Reason); err != nil {
		return nc, err
	}
	if !opts.Changed("note") {
		nc.Note = truncateRunes(fmt.Sprintf("goodwill suggest, %s: %s", o.Kind, o.Reason), ledger.MaxNoteLen)
	}
	if err := ledger.ValidateText("--note", nc.Note, ledger.MaxNoteLen); err != nil {
		return nc, err
	}
	if k.incident != nil {
		nc.IncidentID, nc.Compensation = k.incident.ID, true
	}
	// The checks the ledger makes as it writes, made now so that they name
	// what was asked for (a $1,000,000,000 plan's recommendation is more
	// than one credit may be).
	if err := nc.Validate(); err != nil {
		var fe *ledger.FieldError
		if errors.As(err, &fe) && fe.Field == "amount" {
			return nc, ledger.Fieldf("--pick", "%s is %s: %v", o.Kind, o.Amount, fe.Err)
		}
		return nc, err
	}
	return nc, nil
}

func describeCredit(c ledger.Credit) string {
	if c.Gesture != "" {
		return fmt.Sprintf("the gesture %q", c.Gesture)
	}
	return money.Format(c.AmountMinor, c.Currency)
}

// pickOption finds the option --pick names: "" or recommended, a money
// kind, gesture (the first) or gesture:N.
func pickOption(s goodwill.Suggestion, pick string) (goodwill.Option, error) {
	if pick == "" {
		return s.Recommended, nil
	}
	kind, nth, hasN := strings.Cut(pick, ":")
	want := 1
	if hasN {
		want, _ = strconv.Atoi(nth)
	}
	seen := 0
	var have []string
	for _, o := range s.Options {
		if o.Kind == kind {
			seen++
			if seen == want {
				return o, nil
			}
		}
		if !slices.Contains(have, o.Kind) {
			have = append(have, o.Kind)
		}
	}
	if kind == goodwill.KindGesture && seen > 0 {
		return goodwill.Option{}, ledger.Fieldf("--pick", "there are only %d gestures for this customer", seen)
	}
	return goodwill.Option{}, ledger.Fieldf("--pick", "%s is not among the options for this case (%s)", kind, strings.Join(have, ", "))
}

func askIncidentOrDowntime(ctx context.Context, opts *SuggestOptions, st ledger.Store) error {
	p := opts.Prompter()
	options, err := cmdutil.IncidentOptions(ctx, st, opts.Customer)
	if err != nil {
		return err
	}
	const none = "\x00downtime"
	choice := none
	if len(options) > 0 {
		options = append(options, prompt.Option{Label: "no incident: type the downtime", Value: none})
		if choice, err = p.Select(ctx, "Incident", options, options[0].Value); err != nil {
			return err
		}
	}
	if choice != none {
		opts.Incident = choice
		return nil
	}
	opts.Downtime, err = p.Input(ctx, "Downtime (e.g. 24h, 90m, 2d12h)", "", func(s string) error {
		_, err := ParseDowntime("downtime", s)
		return err
	})
	return err
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
