package apology

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/draft"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/apology"
)

// DraftOptions holds `apology draft`'s inputs.
type DraftOptions struct {
	IO       *iostreams.IOStreams
	Store    func(context.Context) (ledger.Store, error)
	Prompter func() prompt.Prompter
	Now      func() time.Time
	Drafting
	Customer string
	Incident string
	Output   cmdutil.OutputFlags
}

// NewCmdDraft builds `apology draft`.
func NewCmdDraft(f *cmdutil.Factory, runF func(*DraftOptions) error) *cobra.Command {
	opts := &DraftOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "draft",
		Short: "Draft an apology to one customer for one incident",
		Long: `Print a short, direct apology: what happened (the incident's own words), that
it is fixed or being fixed right now, what the customer is given (the
credits and gestures linked to the incident for them), and a thank-you. No
excuses and no stock regret. The first line is "Subject: ...".

The customer's locale picks the template: the first found of
<config dir>/templates/apology/default.<locale>.tmpl (pt-BR, then pt),
<config dir>/templates/apology/default.tmpl, and the built-in English one.
Templates are text/template with .FirstName, .CustomerName, .Title, .What,
.Fixed, .Given (a list), .GivenText and .SenderName; the sign-off is
sender.name from the config file.

The draft is checked like apology check; findings (usually from the
incident's own words) are printed to stderr as warnings.`,
		Example: `  makegood apology draft --customer alice@example.com --incident 3 > apology.txt
  makegood apology draft --customer alice@example.com --incident 3 | makegood apology record --customer alice@example.com --incident 3 --file -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.CanPrompt() {
				if opts.Customer == "" {
					return cmdutil.RequiredError("--customer")
				}
				if opts.Incident == "" {
					return cmdutil.RequiredError("--incident")
				}
			}
			if err := opts.load(f); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return draftRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "Customer ID")
	cmd.Flags().StringVar(&opts.Incident, "incident", "", "Incident ID")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

// DraftJSON is `apology draft --json`.
type DraftJSON struct {
	Customer string            `json:"customer"`
	Incident int64             `json:"incident"`
	Locale   *string           `json:"locale"`
	Subject  string            `json:"subject"`
	Body     string            `json:"body"`
	Findings []apology.Finding `json:"findings"`
}

func draftRun(ctx context.Context, opts *DraftOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	a, err := resolveAbout(ctx, st, opts.Prompter, opts.Customer, opts.Incident)
	if err != nil {
		return err
	}
	subject, body, err := renderDraft(ctx, st, a, opts.ConfigDir, opts.SenderName, opts.Now())
	if err != nil {
		return err
	}
	text := draft.Text(subject, body)
	findings := apology.Check(text, opts.Rules)
	if opts.Output.JSON {
		out := DraftJSON{Customer: a.customer.ID, Incident: a.incident.ID, Subject: subject, Body: body, Findings: findings}
		if a.customer.Locale != "" {
			out.Locale = &a.customer.Locale
		}
		return cmdutil.WriteJSON(opts.IO.Out, out)
	}
	warnFindings(opts.IO, findings, "the draft")
	if opts.IO.IsStdoutTTY() {
		// Read at a terminal, the customer's name and the incident's words
		// come from the ledger: escaped. Into a file they stay as written.
		text = cmdutil.EscapeText(text)
	}
	_, err = fmt.Fprint(opts.IO.Out, text)
	return err
}

// renderDraft writes the draft for a: what the customer was given for the
// incident comes from the ledger.
func renderDraft(ctx context.Context, st ledger.Store, a about, configDir, sender string, now time.Time) (subject, body string, err error) {
	given, err := st.Credits(ctx, ledger.CreditFilter{Customer: a.customer.ID, Incident: a.incident.ID, Now: now})
	if err != nil {
		return "", "", err
	}
	// Oldest first, the order they were given in.
	for i, j := 0, len(given)-1; i < j; i, j = i+1, j-1 {
		given[i], given[j] = given[j], given[i]
	}
	subject, body, err = draft.Render(a.customer.Locale, configDir, draft.NewData(a.customer, a.incident, given, sender))
	if err != nil {
		// The template is the operator's (or a locale's) to fix: bad input.
		return "", "", &ledger.FieldError{Field: "apology template", Err: err}
	}
	return subject, body, nil
}
