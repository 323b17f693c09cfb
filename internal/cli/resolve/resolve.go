// Package resolve implements `makegood resolve`, the guided walk through a
// customer's bad day: what happened, apologize, fix, compensate, confirm.
// The walk (walk.go) only decides; this file parses flags into the same
// decisions for scripts, and run.go carries a plan out.
package resolve

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/goodwill"
)

// Options holds `resolve`'s inputs.
type Options struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Prompter  func() prompt.Stepper
	Now       func() time.Time
	CanPrompt bool

	Incident    int64 // 0 when not given
	Title       string
	What        string
	Started     string
	Reported    string
	Severity    string
	Impact      string
	Customers   []string
	ApologyFile string
	KeepFlagged bool
	FixedAt     string
	NotFixed    bool
	// FollowUp sends, when a saved case is resumed with its fix, the
	// it's-fixed follow-up drafted from the template to every customer
	// who got the first apology before it.
	FollowUp bool

	AcceptSuggestion bool
	Pick             string
	Amount           string
	Gesture          string
	NoCompensation   bool

	Via        string
	Accessible bool
	Output     cmdutil.OutputFlags

	// Changed tells which flags were given.
	Changed func(string) bool
}

// compensationFlags are the ways to decide what to give, one of which a
// script must choose once the fix is in.
func compensationFlags() []string {
	return []string{"accept-suggestion", "pick", "amount", "gesture", "no-compensation"}
}

// pickKinds are the option kinds --pick accepts.
func pickKinds() []string {
	return []string{goodwill.KindRecommended, goodwill.KindMakeWhole, goodwill.KindSLACredit,
		goodwill.KindNextInvoice, goodwill.KindGesture}
}

// NewCmdResolve builds `makegood resolve`. runF replaces the run function in
// tests.
func NewCmdResolve(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	var incident string
	cmd := &cobra.Command{
		Use:   "resolve",
		Short: "Walk through a customer's bad day: apologize, fix, compensate",
		Long: `Walk through what to do when something went wrong for a customer, step by step:

  1. What happened — pick an open incident or open a new one, and who it affected
  2. Apologize     — a draft to edit, checked for excuses and stock phrases
  3. Fix           — fixed already? If not, the case is saved: resume it with
                     makegood resolve --incident ID once it is
  4. Compensate    — goodwill suggest's options, a custom amount, a gesture, or nothing
  5. Confirm       — everything is recorded in one transaction, then the apology goes out

At the end it prints time-to-apology and time-to-fix. Shift+Tab on a step's
first field goes back a step; Esc or Ctrl-C cancels and writes nothing.
--accessible (or ACCESSIBLE=1, TERM=dumb, or a terminal narrower than 50
columns) asks plain line-by-line questions.

Without a terminal (or with --no-input) every decision comes from flags, and a
missing one is an error naming its flag:
  the incident     --incident ID, or --title and --what (with --customer)
  the fix          --fixed-at TIME or --not-fixed
  the compensation --accept-suggestion, --pick KIND, --amount X, --gesture TEXT
                   or --no-compensation (not with --not-fixed: it comes after the fix)
The apology is the draft unless --apology-file gives one; a file with flagged
phrases needs --keep-flagged. Any of these flags, even at a terminal, means
all decisions come from flags.

A case saved with --not-fixed told its customers it was being fixed. When
you resume it with --fixed-at, --follow-up sends each of them the it's-fixed
follow-up, drafted from the apology template with the fix and what they are
given, and checked like the first apology (a draft with flagged phrases is
refused: fix the template, or resume at a terminal, where you can edit it).
Without --follow-up they get no further message; the walk offers it to each.`,
		Example: `  makegood resolve
  makegood resolve --incident 7
  makegood resolve --no-input --title "Login outage" --what "Nobody could log in for 3 hours" \
    --customer alice@example.com --fixed-at 2026-11-24T12:00:00Z --accept-suggestion --json
  makegood resolve --no-input --incident 7 --fixed-at now --accept-suggestion --follow-up`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.CanPrompt = f.CanPrompt()
			opts.Accessible = opts.Accessible || f.Accessible()
			accessible := opts.Accessible
			opts.Prompter = func() prompt.Stepper {
				if f.Prompter != nil {
					if s, ok := f.Prompter.(prompt.Stepper); ok {
						return s
					}
				}
				return prompt.NewHuh(f.IOStreams.In, f.IOStreams.Out, accessible)
			}
			if cmd.Flags().Changed("incident") {
				id, err := ledger.ParseIncidentID("--incident", incident)
				if err != nil {
					return err
				}
				opts.Incident = id
			}
			if err := validateFlags(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return resolveRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&incident, "incident", "", "An open incident's ID, or a saved case to resume")
	fl.StringVar(&opts.Title, "title", "", "Open a new incident with this title")
	fl.StringVar(&opts.What, "what", "", "What happened, in plain words (with --title)")
	fl.StringVar(&opts.Started, "started", "", "When it started, RFC 3339 (with --title; default now)")
	fl.StringVar(&opts.Reported, "reported", "", "When the customer told you, RFC 3339 (with --title; default now)")
	fl.StringVar(&opts.Severity, "severity", "", "low, normal, high or critical (with --title; default normal)")
	fl.StringVar(&opts.Impact, "impact", "", "How much of the service was lost, e.g. 30% when degraded (with --title; default 100%)")
	fl.StringArrayVar(&opts.Customers, "customer", nil, "An affected customer's ID (repeatable)")
	fl.StringVar(&opts.ApologyFile, "apology-file", "", "The apology to send, from a file or - for stdin (default: the draft)")
	fl.BoolVar(&opts.KeepFlagged, "keep-flagged", false, "Send an --apology-file even if apology check flags phrases in it")
	fl.StringVar(&opts.FixedAt, "fixed-at", "", "When it was fixed, RFC 3339, or now")
	fl.BoolVar(&opts.NotFixed, "not-fixed", false, "Not fixed yet: save the case (and send the apology); resume with --incident")
	fl.BoolVar(&opts.FollowUp, "follow-up", false, "With --incident and --fixed-at: send the it's-fixed follow-up to everyone apologized to before the fix (default: none)")
	fl.BoolVar(&opts.AcceptSuggestion, "accept-suggestion", false, "Give each customer goodwill suggest's recommendation")
	fl.StringVar(&opts.Pick, "pick", "", "Give goodwill suggest's option of this kind: "+strings.Join(pickKinds(), ", "))
	fl.StringVar(&opts.Amount, "amount", "", "Give a credit of this amount, in each customer's currency")
	fl.StringVar(&opts.Gesture, "gesture", "", "Give this gesture instead of money")
	fl.BoolVar(&opts.NoCompensation, "no-compensation", false, "Give nothing (the exception)")
	fl.StringVar(&opts.Via, "via", "", "Deliver the apology via outbox, smtp or none (default: config mail.via, then outbox)")
	fl.BoolVar(&opts.Accessible, "accessible", false, "Plain line-by-line prompts for screen readers and dumb terminals (env ACCESSIBLE)")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	cmd.MarkFlagsMutuallyExclusive("incident", "title")
	cmd.MarkFlagsMutuallyExclusive("fixed-at", "not-fixed")
	cmd.MarkFlagsMutuallyExclusive(compensationFlags()...)
	_ = cmd.RegisterFlagCompletionFunc("pick", cobra.FixedCompletions(pickKinds(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions(Vias(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(ledger.Severities(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validateFlags checks what can be checked before the ledger is opened:
// values that are malformed anywhere, and, off a terminal, decisions that
// are missing whatever the ledger holds. Decisions that depend on the
// ledger (a resumed case may already be fixed) are checked by the run.
func validateFlags(o *Options) error {
	if o.Via != "" && !slices.Contains(Vias(), o.Via) {
		return cmdutil.FlagErrorf("--via: %q is not a delivery; use one of %s", o.Via, strings.Join(Vias(), ", "))
	}
	if o.Pick != "" && !slices.Contains(pickKinds(), o.Pick) {
		return cmdutil.FlagErrorf("--pick: %q is not an option kind; use one of %s", o.Pick, strings.Join(pickKinds(), ", "))
	}
	if o.Severity != "" && !slices.Contains(ledger.Severities(), o.Severity) {
		return cmdutil.FlagErrorf("--severity: %q is not a severity; use one of %s", o.Severity, strings.Join(ledger.Severities(), ", "))
	}
	for _, name := range []string{"what", "started", "reported", "severity", "impact"} {
		if o.Changed(name) && o.Incident != 0 {
			return cmdutil.FlagErrorf("--%s describes a new incident and goes with --title, not --incident", name)
		}
	}
	if o.Changed("gesture") && strings.TrimSpace(o.Gesture) == "" {
		return cmdutil.FlagErrorf("--gesture must not be empty")
	}
	if o.NotFixed {
		if name := o.compensationFlag(); name != "" {
			return cmdutil.FlagErrorf("--%s cannot be used with --not-fixed: compensation comes once it is fixed; give it when you resume with --incident", name)
		}
	}
	if o.FollowUp && (o.NotFixed || o.Incident == 0) {
		return cmdutil.FlagErrorf("--follow-up goes with --incident ID and --fixed-at: it tells the customers of a saved case that it is fixed")
	}
	if o.KeepFlagged && o.ApologyFile == "" {
		return cmdutil.FlagErrorf("--keep-flagged goes with --apology-file: the draft has nothing flagged")
	}
	if o.CanPrompt && !o.anyDecisionFlag() {
		return nil
	}
	// Off a terminal, in the order the walk asks.
	if o.Incident == 0 {
		if o.Title == "" {
			return cmdutil.RequiredError("--incident or --title")
		}
		if o.What == "" {
			return cmdutil.RequiredError("--what")
		}
		if len(o.Customers) == 0 {
			return cmdutil.RequiredError("--customer")
		}
		// A new incident cannot be fixed already as far as the ledger knows.
		if o.FixedAt == "" && !o.NotFixed {
			return cmdutil.RequiredError("--fixed-at or --not-fixed")
		}
	}
	if o.FixedAt != "" && o.compensationFlag() == "" {
		return cmdutil.RequiredError(compensationRequired)
	}
	return nil
}

// compensationRequired names the flags of the compensation decision.
const compensationRequired = "--accept-suggestion, --pick, --amount, --gesture or --no-compensation"

// compensationFlag is the compensation flag given, or "".
func (o *Options) compensationFlag() string {
	for _, name := range compensationFlags() {
		if o.Changed(name) {
			return name
		}
	}
	return ""
}
